"""``manage.py generate_population --code 620103 --scale 0.1 --seed 42``: a seeded demo population."""

from __future__ import annotations

import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianfang.core.audit_labels import labelled_counts
from lianfang.divisions.models import Division
from lianfang.registry.generator import generate_population


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _("Generate compounds, buildings, households and residents (and the workforce) for a district.")

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help=_("district code, e.g. 620103"))
        parser.add_argument("--scale", type=float, default=0.1, help=_("1.0 = about 0.56 M residents (default 0.1)"))
        parser.add_argument("--seed", type=int, default=42, help=_("random seed (default 42)"))
        parser.add_argument("--measure-memory", action="store_true", help=_("report peak Python memory (tracemalloc)"))

    def handle(self, *args, code, scale, seed, measure_memory, **options):
        try:
            district = Division.objects.get(code=code)
        except Division.DoesNotExist:
            raise CommandError(
                _("division %(code)s is not loaded: run load_divisions --code %(code)s first") % {"code": code}
            ) from None
        if measure_memory:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            report = generate_population(
                actor=None, district=district, scale=scale, seed=seed, progress=lambda m: self.stdout.write(f"  … {m}")
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        extra = labelled_counts(report.extra)
        figures = {
            "code": code,
            "scale": scale,
            "seed": seed,
            "compounds": report.compounds,
            "buildings": report.buildings,
            "units": report.units,
            "households": report.households,
            "residents": report.residents,
            "seconds": f"{elapsed:.1f}",
            "extra": extra,
        }
        if report.skipped:
            self.stdout.write(
                _(
                    "Population of %(code)s already present (%(households)d households, %(residents)d residents): "
                    "nothing created. %(extra)s"
                )
                % figures
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Generated %(code)s scale %(scale)s seed %(seed)s: %(compounds)d compounds, %(buildings)d "
                        "buildings, %(units)d units, %(households)d households, %(residents)d residents in "
                        "%(seconds)s s. %(extra)s"
                    )
                    % figures
                )
            )
        if measure_memory:
            _current, peak = tracemalloc.get_traced_memory()
            self.stdout.write(_("peak Python memory: %(mib).0f MiB") % {"mib": peak / 2**20})
