"""``manage.py workforce_sheet --code 620103 --date 2022-03-27 --format json|xlsx|text``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from lianfang.divisions.models import Division
from lianfang.workforce.selectors import SYSTEM
from lianfang.workforce.sheet import render_json, render_text, render_xlsx, workforce_sheet


class Command(BaseCommand):
    help = (
        "Print (text, json) or write (xlsx) the daily workforce sheet of a district, street or community "
        "as of a date: deployments active that day, per street and community, with the totals sentence."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="division code: district, street/town or community")
        parser.add_argument("--date", help="YYYY-MM-DD (default: today in the district's time zone)")
        parser.add_argument("--format", choices=["text", "json", "xlsx"], default="text")
        parser.add_argument("--output", help="file to write (xlsx default: workforce-CODE-DATE.xlsx)")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="labels: zh-hans (default) or en")

    def handle(self, *args, code, date, format, output, language, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from None
        try:
            division = Division.objects.get(code=code)
        except Division.DoesNotExist:
            raise CommandError(f"division {code} is not loaded") from None
        with translation.override(language):
            try:
                data = workforce_sheet(user=SYSTEM, division=division, on=day)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if format == "xlsx":
                path = Path(output or f"workforce-{code}-{day.isoformat()}.xlsx")
                path.write_bytes(render_xlsx(data))
                self.stdout.write(f"wrote {path}")
                return
            text = render_json(data) if format == "json" else render_text(data)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
