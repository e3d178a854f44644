"""``manage.py generate_workforce --code 620103 --scale 0.05 --seed 42``: the demo workforce and grid alone.

generate_population calls the same generator at its end; this command re-runs it (idempotent) for a
district whose population already exists.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from lianfang.divisions.models import Division
from lianfang.workforce.generator import generate_workforce


class Command(BaseCommand):
    help = "Generate the demo workforce and responsibility grid over a district's existing households."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="district code")
        parser.add_argument("--scale", type=float, default=0.1)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, code, scale, seed, **options):
        try:
            district = Division.objects.get(code=code)
            started = time.perf_counter()
            counts = generate_workforce(district=district, scale=scale, seed=seed)
        except Division.DoesNotExist:
            raise CommandError(f"division {code} is not loaded") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{k} {v}" for k, v in counts.items()) or "no households: nothing to do"
        self.stdout.write(f"{code}: {summary} ({time.perf_counter() - started:.1f} s)")
