"""``manage.py export_registry --community CODE --output FILE.xlsx|.csv [--unmasked --reason R --user NAME]``.

Writes the residents of a division in the import template layout (importing it again changes
nothing), as XLSX or, for an ``--output`` ending in ``.csv``, as CSV in UTF-8 with a BOM. Masked by
default; ``--unmasked`` needs ``--user`` (with EXPORT and REVEAL_PII) and ``--reason``, is
watermarked and audited. Every message is translated; a file that cannot be written
is a CommandError naming its path.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.accounts.models import User
from lianfang.divisions.models import Division
from lianfang.registry.exporters import EXPORT_FORMATS, registry_export
from lianfang.registry.management import error_text, write_error


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _("Export the residents of a division as XLSX or CSV in the import template layout (masked by default).")

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, help=_("division code: community, street or district"))
        parser.add_argument("--output", required=True, type=Path, help=_("the .xlsx or .csv file to write"))
        parser.add_argument(
            "--unmasked",
            action="store_true",
            help=_("full ID and phone numbers (needs --user, --reason)"),
        )
        parser.add_argument("--reason", default="", help=_("why an unmasked export is needed (audited)"))
        parser.add_argument("--user", help=_("username exporting (default: the system; required with --unmasked)"))

    def handle(self, *args, community: str, output: Path, unmasked: bool, reason: str, user: str | None, **opts):
        output = Path(output)
        target = Division.objects.filter(code=community).first()
        if target is None:
            raise CommandError(_("unknown division code %(code)s") % {"code": community})
        file_format = output.suffix.lower().lstrip(".")
        if file_format not in EXPORT_FORMATS:
            raise CommandError(_("--output must be an .xlsx or .csv file: %(path)s") % {"path": output})
        if not output.parent.is_dir() or output.is_dir():
            raise write_error(output)
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("unknown or inactive user %(user)s") % {"user": user})
        if unmasked and actor is None:
            raise CommandError(_("--unmasked needs --user (a user allowed to see unmasked data) and --reason"))
        try:
            count = registry_export(
                actor=actor, target=target, output=output, unmasked=unmasked, reason=reason, file_format=file_format
            )
        except OSError as exc:
            raise write_error(output, exc) from exc
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(error_text(exc)) from exc
        if unmasked:
            message = ngettext(
                "%(count)d resident written to %(path)s (unmasked, watermarked)",
                "%(count)d residents written to %(path)s (unmasked, watermarked)",
                count,
            )
        else:
            message = ngettext(
                "%(count)d resident written to %(path)s", "%(count)d residents written to %(path)s", count
            )
        self.stdout.write(message % {"count": count, "path": output})
