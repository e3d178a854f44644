"""``manage.py demo_scenario --code 620103 --seed 42``: one day of the operation, for the demo."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianfang.core.audit_labels import labelled_counts
from lianfang.demo.services import ScenarioError, scenario_run
from lianfang.divisions.models import Division, Level


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _(
            "Write the demo scenario (an infection, its areas, a testing round, service requests, gate duty, "
            "contacts, monitoring, disinfection, a notice) through the services; re-run safe."
        )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help=_("district code, e.g. 620103"))
        parser.add_argument("--seed", type=int, default=42, help=_("random seed (default 42)"))

    def handle(self, *args, code, seed, **options):
        try:
            district = Division.objects.get(code=code, level=Level.DISTRICT)
        except Division.DoesNotExist:
            raise CommandError(
                _("district %(code)s is not loaded: run load_divisions --code %(code)s first") % {"code": code}
            ) from None
        started = time.perf_counter()

        def say(message: str) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  … {message}")

        try:
            report = scenario_run(district=district, seed=seed, say=say)
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        if not report.created:
            self.stdout.write(_("Demo scenario of %(code)s already present: nothing changed.") % {"code": code})
            return
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo scenario in %(place)s (%(code)s), seed %(seed)s: %(counts)s in %(seconds).1f s.")
                % {
                    "place": report.compound.short_name,
                    "code": report.compound.code,
                    "seed": seed,
                    "counts": labelled_counts(report.counts),
                    "seconds": time.perf_counter() - started,
                }
            )
        )
