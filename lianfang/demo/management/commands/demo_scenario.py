"""``manage.py demo_scenario --code 620103 --seed 42``: one day of the operation, for the demo."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from lianfang.demo.services import ScenarioError, scenario_run
from lianfang.divisions.models import Division, Level


class Command(BaseCommand):
    help = (
        "Write the demo scenario (an infection, its areas, a testing round, service requests, gate duty, "
        "contacts, monitoring, disinfection, a notice) through the services; re-run safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="district code, e.g. 620103")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, code, seed, **options):
        try:
            district = Division.objects.get(code=code, level=Level.DISTRICT)
        except Division.DoesNotExist:
            raise CommandError(f"district {code} is not loaded: run load_divisions --code {code} first") from None
        started = time.perf_counter()

        def say(message: str) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  … {message}")

        try:
            report = scenario_run(district=district, seed=seed, say=say)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        if not report.created:
            self.stdout.write(f"Demo scenario of {code} already present: nothing changed.")
            return
        counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo scenario in {report.compound.short_name} ({report.compound.code}), seed {seed}: {counts} "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )
