"""``manage.py create_demo_users --code 620103``: one demo user per role, logins printed in Chinese
and English whatever the language (``make demo`` shows them to readers of either)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from wcwidth import wcswidth

from lianfang.accounts.demo_names import stored_demo_name
from lianfang.accounts.roles import Role
from lianfang.accounts.selectors import demo_places
from lianfang.accounts.services import demo_user_ensure
from lianfang.divisions.models import Division, Level


def login_table(rows: list[tuple[str, ...]], indent: str = "  ", gap: int = 2) -> list[str]:
    """``rows`` of text cells as lines whose columns line up on a terminal: each cell but the last is
    padded to its column's widest cell counted in display columns (wcwidth.wcswidth: a Chinese
    character takes two, so str.ljust would misalign "网格员" against "commander"). No trailing spaces.
    Raises ValueError for a cell holding a control character (wcswidth answers -1 for it)."""
    widths = [0] * max((len(row) for row in rows), default=0)
    for row in rows:
        for index, cell in enumerate(row):
            width = wcswidth(cell)
            if width < 0:
                raise ValueError(f"cell {cell!r} holds a control character")
            widths[index] = max(widths[index], width)
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - wcswidth(cell) + gap) for i, cell in enumerate(row[:-1])]
        lines.append((indent + "".join(cells) + (row[-1] if row else "")).rstrip())
    return lines


def bilingual_logins(rows, password: str) -> list[str]:
    """The login table ``make demo`` prints, in Chinese and English whatever the active language:
    the title in both languages, then a heading row and one row per ``(username, lazy role label,
    division)`` — the username, the role in Chinese, the role in English, the division's short name
    and code — aligned by :func:`login_table`; the heading's first cell is "用户名 User", and so on."""
    lines, heads, roles = [], [], {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            lines.append(_("Demo logins (password for all: %(password)s)") % {"password": password})
            heads.append((_("User name"), _("Role"), _("Division")))
            roles[language] = [str(label) for _u, label, _d in rows]
    zh, en = heads
    table = [(f"{zh[0]} {en[0]}", zh[1], en[1], f"{zh[2]} {en[2]}")]
    for index, (username, _label, division) in enumerate(rows):
        table.append(
            (username, roles["zh-hans"][index], roles["en"][index], f"{division.short_name} ({division.code})")
        )
    return lines + login_table(table)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _("Create (or refresh) one demo user per role in a district and print the logins.")

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help=_("district code"))

    def handle(self, *args, code, **options):
        password = os.environ.get("LIANFANG_DEMO_PASSWORD", "lianfang-demo")
        try:
            district = Division.objects.get(code=code, level=Level.DISTRICT)
        except Division.DoesNotExist:
            raise CommandError(_("district %(code)s is not loaded") % {"code": code}) from None
        try:
            places = demo_places(district)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        street, community, compound, site = places["street"], places["community"], places["compound"], places["site"]
        plan = [
            ("commander", Role.DISTRICT_COMMANDER, district),
            ("street", Role.STREET_OFFICER, street),
            ("community", Role.COMMUNITY_STAFF, community),
            ("cadre", Role.STATIONED_CADRE, community),
            ("grid", Role.GRID_WORKER, compound),
            ("volunteer", Role.VOLUNTEER, compound),
            ("desk", Role.VOLUNTEER, site),  # the demo round's sampling desks
            ("representative", Role.HOUSEHOLD_REPRESENTATIVE, compound),
        ]
        # the table names what a login is for where the role alone would read the same as another's
        # (new-user trial: "desk" read "Volunteer", like "volunteer")
        duties = {"desk": pgettext_lazy("demo login role", "Volunteer: sampling desk")}
        rows = []
        for username, role, division in plan:
            user = demo_user_ensure(
                actor=None,
                username=username,
                display_name=stored_demo_name(username),  # zh-Hans stored, shown in the reader's language
                password=password,
                role=role,
                division=division,
            )
            rows.append((username, duties.get(username, Role(role).label), division))
            self._link_worker(user, role, district)
        demo_user_ensure(
            actor=None,
            username="admin",
            display_name=stored_demo_name("admin"),
            password=password,
            role=None,
            division=None,
            superuser=True,
        )
        rows.append(("admin", gettext_lazy("Superuser (/admin/)"), district))
        self.stdout.write("")
        title_zh, title_en, *table = bilingual_logins(rows, password)
        self.stdout.write(self.style.SUCCESS(title_zh))
        self.stdout.write(self.style.SUCCESS(title_en))
        for line in table:
            self.stdout.write(line)
        self.stdout.write("")

    def _link_worker(self, user, role, district):
        """Link the grid worker, stationed cadre and household representative logins to a generated
        worker of their division (workforce.generator.link_demo_worker), so their duty pages show something."""
        try:
            from lianfang.workforce.generator import link_demo_worker  # noqa: PLC0415 (optional app hook)
        except ImportError:
            return
        link_demo_worker(user=user, district=district, role=role)
