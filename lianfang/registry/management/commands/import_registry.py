"""``manage.py import_registry FILE --community CODE [--dry-run] [--workers] [--user NAME]``: import a roster.

Exit status 0 when the file was imported, checked (dry run) or changed nothing; 1 (CommandError)
when it has errors, printing where the error report is. See docs/import.md.

Every message is translated (the active language: settings.LANGUAGE_CODE unless the shell sets
another). The problems are printed with their ID and phone numbers masked as the batch page and the
API show them (exporters.masked_issues); the error report file keeps the originals.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from lianfang.accounts.models import User
from lianfang.divisions.models import Division
from lianfang.registry.exporters import masked_issues
from lianfang.registry.importing.batches import registry_import
from lianfang.registry.importing.reading import ImportFileError
from lianfang.registry.management import error_text, read_error
from lianfang.registry.models import ImportKind, ImportStatus

PHASES = {"read": gettext_lazy("reading"), "validate": gettext_lazy("validating"), "write": gettext_lazy("writing")}
SHOWN_ISSUES = 20


def shown_line(batch, counts: dict) -> str:
    """The line under the listed problems when not all of them are listed: how many of how many were
    shown (the first SHOWN_ISSUES, errors first), the file's errors and warnings in all (``counts``; the
    batch keeps only the first batches.MAX_STORED_ISSUES problems), and that the report lists every
    one (its path is the next line). "" when every problem was listed."""
    errors = counts.get("errors", sum(1 for i in batch.issues if i["severity"] == "error"))
    warnings = counts.get("warnings", sum(1 for i in batch.issues if i["severity"] == "warning"))
    shown = min(len(batch.issues), SHOWN_ISSUES)
    total = max(errors + warnings, len(batch.issues))
    if total <= shown:
        return ""
    values = {
        "shown": shown,
        "total": total,
        "errors": ngettext("%(n)d error", "%(n)d errors", errors) % {"n": errors},
        "warnings": ngettext("%(n)d warning", "%(n)d warnings", warnings) % {"n": warnings},
    }
    if batch.report:
        return (
            _(
                "… only the first %(shown)d of the %(total)d problems are listed above (%(errors)s and "
                "%(warnings)s in all); the report below lists every one"
            )
            % values
        )
    return (
        _("… only the first %(shown)d of the %(total)d problems are listed above (%(errors)s and %(warnings)s in all)")
        % values
    )


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _("Import households and residents from .xlsx/.xls/.ods/.csv into a community (or street/district).")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help=_("division code: community, street or district"))
        parser.add_argument("--dry-run", action="store_true", help=_("validate only; write nothing"))
        parser.add_argument(
            "--workers",
            action="store_true",
            help=_("the file is a workers roster with assignments (workforce app)"),
        )
        parser.add_argument("--user", help=_("username to import as (default: the system)"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args, file, community: str, dry_run: bool, user: str | None, no_progress: bool, **opts):
        file = Path(file)
        if not file.is_file():
            raise read_error(file)
        target = Division.objects.filter(code=community).first()
        if target is None:
            raise CommandError(_("unknown division code %(code)s") % {"code": community})
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("unknown or inactive user %(user)s") % {"user": user})
        bar = None

        def progress(phase: str, done: int, total: int) -> None:
            nonlocal bar
            if no_progress or self.stderr._out is None:
                return
            desc = str(PHASES.get(phase, phase))
            if bar is None or bar.desc != desc:
                if bar is not None:
                    bar.close()
                bar = tqdm(total=total or None, desc=desc, unit=_("rows"), file=self.stderr._out)
            if total and bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        try:
            batch = registry_import(
                actor=actor,
                target=target,
                path=file,
                dry_run=dry_run,
                progress=progress,
                kind=ImportKind.WORKERS if opts.get("workers") else ImportKind.REGISTRY,
            )
        except OSError as exc:
            raise read_error(file, exc) from exc
        except (ImportFileError, ValidationError, PermissionDenied) as exc:
            raise CommandError(error_text(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        counts = batch.counts or {}
        self.stdout.write(
            _("import #%(id)d: %(status)s — %(summary)s")
            % {"id": batch.pk, "status": batch.get_status_display(), "summary": batch.summary}
        )
        if counts and "workers_created" in counts:
            self.stdout.write(
                _(
                    "rows %(rows)d; blank rows %(blank_rows)d; workers +%(workers_created)d "
                    "=%(workers_unchanged)d; assignments +%(assignments_created)d; errors %(errors)d; "
                    "warnings %(warnings)d"
                )
                % {"blank_rows": 0, **counts}
            )
        elif counts:
            self.stdout.write(
                _(
                    "rows %(rows)d; households +%(households_created)d ~%(households_updated)d "
                    "=%(households_unchanged)d; residents +%(residents_created)d ~%(residents_updated)d "
                    "=%(residents_unchanged)d; errors %(errors)d; warnings %(warnings)d"
                )
                % counts
            )
        severities = {"error": _("error"), "warning": _("warning")}
        for issue in masked_issues(batch.issues[:SHOWN_ISSUES]):
            severity = severities.get(issue["severity"], issue["severity"])
            if not issue.get("row") and not issue.get("sheet"):  # about the whole file: no place to name
                line = _("%(severity)s: %(reason)s") % {"severity": severity, "reason": issue["reason"]}
                self.stdout.write("  " + line)
                continue
            if not issue.get("row"):  # about a whole sheet (no header found): no row or cell to name
                line = _("%(severity)s: sheet %(sheet)s: %(reason)s") % {**issue, "severity": severity}
                self.stdout.write("  " + line)
                continue
            self.stdout.write(
                "  "
                + _("%(severity)s: %(sheet)s!%(row)s %(column)s %(value)r: %(reason)s")
                % {**issue, "severity": severity}
            )
        if line := shown_line(batch, counts):
            self.stdout.write("  " + line)
        if batch.report:
            self.stdout.write(_("report: %(path)s") % {"path": batch.report.path})
        if batch.status in (ImportStatus.INVALID, ImportStatus.FAILED):
            errors = counts.get("errors", 1)
            message = ngettext(
                "%(path)s: %(errors)d error, nothing written", "%(path)s: %(errors)d errors, nothing written", errors
            ) % {"path": file, "errors": errors}
            if batch.report:
                message += _("; error report: %(path)s") % {"path": batch.report.path}
            raise CommandError(message)
