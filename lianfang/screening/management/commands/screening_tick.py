"""``manage.py screening_tick``: flag overdue results and escalate overdue follow-up steps (idempotent;
run every few minutes from cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from lianfang.screening.services.tick import screening_tick


class Command(BaseCommand):
    help = "Flag results pending longer than the rule set allows and escalate overdue follow-up steps."

    def handle(self, *args, **options):
        report = screening_tick(actor=None)
        self.stdout.write(
            f"tubes flagged: {report.tubes_flagged}; steps escalated: {report.steps_escalated}; "
            f"notices: {report.notices}"
        )
