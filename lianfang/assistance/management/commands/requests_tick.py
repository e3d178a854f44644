"""``manage.py requests_tick``: apply the service-request escalations due now (idempotent; run from cron
every minute). ``--at 2022-03-27T10:00+08:00`` evaluates at another instant (tests, replays)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from lianfang.assistance.services.escalation import requests_tick


class Command(BaseCommand):
    help = "Escalate overdue service requests one level up their responsibility chain (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="an aware ISO instant (default: now)")

    def handle(self, *args, at=None, **options):
        now = None
        if at:
            try:
                now = dt.datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(f"--at: not an ISO datetime: {at!r}") from exc
            if now.tzinfo is None:
                raise CommandError(f"--at: give a time zone offset, e.g. {at}+08:00")
        started = time.perf_counter()
        report = requests_tick(now=now)
        self.stdout.write(f"requests_tick: {report} in {time.perf_counter() - started:.3f} s")
