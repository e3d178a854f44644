"""``manage.py load_divisions --source DIR --code CODE``: load official divisions (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianfang.core.forms import listing
from lianfang.divisions.models import Kind
from lianfang.divisions.services import DivisionDataError, UnknownDivisionCode, load_divisions


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _("Load the NBS 2023 divisions of a province/city/district code (with its ancestors) from CSV files.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            default=str(Path(__file__).resolve().parents[5] / "shared/data/divisions"),
            help=_("folder holding provinces.csv ... villages.csv (default: ../shared/data/divisions)"),
        )
        parser.add_argument("--code", required=True, help=_("province (2), city (4) or district (6 digits) code"))

    def handle(self, *args, source, code, **options):
        try:
            report = load_divisions(actor=None, source=Path(source), code=code.strip())
        except (DivisionDataError, UnknownDivisionCode) as exc:
            raise CommandError(str(exc)) from exc
        kinds = listing(f"{Kind(k).label if k in Kind.values else k} {n}" for k, n in sorted(report.by_kind.items()))
        figures = {
            "code": code,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "kinds": kinds,
        }
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Loaded %(code)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged (%(kinds)s)")
                    % figures
                )
            )
        else:
            self.stdout.write(
                _("Divisions of %(code)s already up to date: nothing changed (%(unchanged)d rows; %(kinds)s)") % figures
            )
