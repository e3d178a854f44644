"""``manage.py daily_report --code 620103 --date 2022-03-27 --format json|xlsx|pdf|text``.

Writes the daily report of a district, street/town or community as of a day (default today, in
Asia/Shanghai): JSON and text to standard output (or ``--output``), XLSX and PDF to ``--output``
(default ``daily-<code>-<date>.<ext>`` in the current folder). ``--user`` computes it within that
user's scope (default: the whole installation). ``--close`` also closes the day when every positive
pool has its follow-up (needs ``--user`` with the command capability); running it again is harmless.
"""

from __future__ import annotations

import json
import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from lianfang.core.filters import future_day_error
from lianfang.divisions.models import Division
from lianfang.reports import daily, days, documents, render, services


class Command(BaseCommand):
    help = "Write the daily report of a division as of a day (json, xlsx, pdf or text)."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="division code (district, street/town or community)")
        parser.add_argument("--date", default="", help="YYYY-MM-DD (default: today, Asia/Shanghai)")
        parser.add_argument("--format", default="text", choices=["json", "xlsx", "pdf", "text"])
        parser.add_argument("--lang", default="zh-hans", choices=list(daily.LANGUAGES))
        parser.add_argument("--output", default="", help="file to write (default: stdout for json/text)")
        parser.add_argument("--user", default="", help="compute within this user's scope")
        parser.add_argument("--close", action="store_true", help="close the day when it can be closed")

    def handle(self, *args, **options):
        from lianfang.accounts.models import User  # noqa: PLC0415

        try:
            day = days.parse(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        if error := future_day_error(day):
            raise CommandError(f"--date: {' '.join(error.messages)}")
        division = Division.objects.filter(code=options["code"]).first()
        if division is None:
            raise CommandError(f"--code {options['code']}: no such division (load the divisions first)")
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"--user {options['user']}: no such active user")
        else:
            user = daily.system_reader()
        if options["close"]:
            if not options["user"]:
                raise CommandError("--close needs --user (the person closing the day)")
            self._close(user, division, day)
        try:
            report, _row = daily.report_for(user=user, division=division, day=day)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:  # no report rule set in force on the day
            raise CommandError(f"--date: {'; '.join(exc.messages)}") from None
        fmt, language = options["format"], options["lang"]
        if fmt == "json":
            self._write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", options["output"])
            return
        from django.utils import translation  # noqa: PLC0415

        with translation.override(language):
            mark = render.watermark(user)
        doc = documents.daily_document(report, language=language, watermark=mark)
        if fmt == "text":
            self._write(render.to_text(doc), options["output"])
            return
        content = render.to_xlsx(doc) if fmt == "xlsx" else render.to_pdf(doc)
        path = options["output"] or f"daily-{division.code}-{day.isoformat()}.{fmt}"
        with open(path, "wb") as handle:
            handle.write(content)
        self.stderr.write(f"wrote {path} ({len(content)} bytes)")

    def _close(self, user, division, day):
        from lianfang.reports.models import DailyReport, ReportStatus  # noqa: PLC0415

        if DailyReport.objects.filter(division=division, day=day, status=ReportStatus.CLOSED).exists():
            self.stderr.write(f"{day} is already closed")
            return
        try:
            services.daily_report_close(actor=user, division=division, day=day, note="daily_report --close")
        except PermissionDenied as exc:
            raise CommandError(f"--close: {exc}") from None
        except ValidationError as exc:
            raise CommandError(f"--close: {'; '.join(exc.messages)}") from None
        self.stderr.write(f"closed {division.code} {day}")

    def _write(self, text: str, output: str) -> None:
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"wrote {output}")
        else:
            sys.stdout.write(text)
