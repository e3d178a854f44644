"""``manage.py load_divisions --source DIR --code CODE``: load official divisions (idempotent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lianfang.divisions.services import DivisionDataError, UnknownDivisionCode, load_divisions


class Command(BaseCommand):
    help = "Load the NBS 2023 divisions of a province/city/district code (with its ancestors) from CSV files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            default=str(Path(__file__).resolve().parents[5] / "shared/data/divisions"),
            help="folder holding provinces.csv ... villages.csv (default: ../shared/data/divisions)",
        )
        parser.add_argument("--code", required=True, help="province (2), city (4) or district (6 digits) code")

    def handle(self, *args, source, code, **options):
        try:
            report = load_divisions(actor=None, source=Path(source), code=code.strip())
        except (DivisionDataError, UnknownDivisionCode) as exc:
            raise CommandError(str(exc)) from exc
        kinds = ", ".join(f"{k}={n}" for k, n in sorted(report.by_kind.items()))
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {code}: {report.created} created, {report.updated} updated, "
                    f"{report.unchanged} unchanged ({kinds})"
                )
            )
        else:
            self.stdout.write(
                f"Divisions of {code} already up to date: nothing changed ({report.unchanged} rows; {kinds})"
            )
