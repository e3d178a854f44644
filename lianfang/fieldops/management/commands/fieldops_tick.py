"""The recurring work of field operations, idempotent: run it every few minutes from cron or a
systemd timer (any number of runs raises each alert once)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lianfang.fieldops.services.disinfection import disinfection_overdue_flag, disinfection_schedules_generate
from lianfang.fieldops.services.gates import duty_missed_flag, duty_roster_generate_period
from lianfang.fieldops.services.monitoring import monitoring_missed_flag
from lianfang.fieldops.services.patrols import patrol_rounds_close_stale
from lianfang.fieldops.services.quarantine import quarantine_progress


class Command(BaseCommand):
    """manage.py fieldops_tick: see ``help``."""

    help = (
        "Flag missed guard check-ins and uncovered duty, close stale patrol rounds, move quarantines on as their "
        "periods end, flag missing health check-ins and overdue disinfection; optionally prepare rosters and "
        "disinfection schedules for the coming days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--code", default=settings.LIANFANG_DISTRICT_CODE, help="division code (default: the district)"
        )
        parser.add_argument(
            "--roster-days", type=int, default=0, help="also generate gate rosters for today and the next N-1 days"
        )
        parser.add_argument(
            "--schedules", action="store_true", help="also schedule disinfection for sealed and controlled compounds"
        )

    def handle(self, *args, code, roster_days, schedules, **options):
        now = timezone.now()
        report = {}
        if roster_days:
            try:  # 1 to 31 days (services.gates.duty_roster_period_check), all or nothing
                done = duty_roster_generate_period(
                    actor=None, code=code, first_day=timezone.localdate(now), days=roster_days
                )
            except ValidationError as exc:
                raise CommandError(f"--roster-days: {' '.join(exc.messages)}") from None
            report["roster_slots_created"] = done.created
        if schedules:
            report["schedules_created"] = disinfection_schedules_generate(actor=None, code=code)["created"]
        report.update({f"duty_{k}": v for k, v in duty_missed_flag(now=now).items()})
        report["patrols_closed"] = patrol_rounds_close_stale(now=now)
        report.update({f"quarantine_{k}": v for k, v in quarantine_progress(today=timezone.localdate(now)).items()})
        report["monitoring_missed"] = monitoring_missed_flag(now=now)
        report["disinfection_overdue"] = disinfection_overdue_flag(now=now)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in report.items()))
