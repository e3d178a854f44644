"""``python manage.py zone_tick``: recompute control-area clocks and raise due proposals (cron)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from lianfang.zones.services import zone_tick


class Command(BaseCommand):
    help = "Recompute every active control area's clock and raise due downgrade/lift/upgrade proposals."

    def add_arguments(self, parser):
        parser.add_argument(
            "--on",
            help="evaluate at the end of this day (YYYY-MM-DD, Asia/Shanghai) instead of now; for catching up",
        )

    def handle(self, *args, **options):
        on = None
        if options["on"]:
            try:
                on = dt.date.fromisoformat(options["on"])
            except ValueError as exc:
                raise CommandError(f"--on {options['on']!r} is not a date (YYYY-MM-DD)") from exc
        report = zone_tick(actor=None, on=on)
        self.stdout.write(
            f"areas refreshed: {report.refreshed}; downgrade proposals: {report.downgrades}; "
            f"upgrade proposals: {report.upgrades}; lifts due: {report.lifts_due}; due marks cleared: {report.cleared}"
        )
