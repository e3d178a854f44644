"""``manage.py care_tick``: today's check-in tasks for vulnerable residents of sealed areas and the
medicine refill requests that are due (idempotent; run from cron, e.g. every hour)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from lianfang.assistance.services.care import care_tick


class Command(BaseCommand):
    help = "Create today's proactive-care check-ins and open due medicine refills (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD (default: today in Asia/Shanghai)")

    def handle(self, *args, day=None, **options):
        on = None
        if day:
            try:
                on = dt.date.fromisoformat(day)
            except ValueError as exc:
                raise CommandError(f"--day: not a date: {day!r}") from exc
        self.stdout.write(f"care_tick: {care_tick(on=on)}")
