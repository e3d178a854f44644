"""``manage.py generate_population --code 620103 --scale 0.1 --seed 42``: a seeded demo population."""

from __future__ import annotations

import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError

from lianfang.divisions.models import Division
from lianfang.registry.generator import generate_population


class Command(BaseCommand):
    help = "Generate compounds, buildings, households and residents (and the workforce) for a district."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="district code, e.g. 620103")
        parser.add_argument("--scale", type=float, default=0.1, help="1.0 = about 0.56 M residents (default 0.1)")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--measure-memory", action="store_true", help="report peak Python memory (tracemalloc)")

    def handle(self, *args, code, scale, seed, measure_memory, **options):
        try:
            district = Division.objects.get(code=code)
        except Division.DoesNotExist:
            raise CommandError(f"division {code} is not loaded: run load_divisions --code {code} first") from None
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
        extra = ", ".join(f"{k} {v}" for k, v in report.extra.items())
        if report.skipped:
            self.stdout.write(
                f"Population of {code} already present ({report.households} households, "
                f"{report.residents} residents): nothing created. {extra}"
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {code} scale {scale} seed {seed}: {report.compounds} compounds, {report.buildings} "
                    f"buildings, {report.units} units, {report.households} households, {report.residents} residents "
                    f"in {elapsed:.1f} s. {extra}"
                )
            )
        if measure_memory:
            _, peak = tracemalloc.get_traced_memory()
            self.stdout.write(f"peak Python memory: {peak / 2**20:.0f} MiB")
