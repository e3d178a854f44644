"""``manage.py import_registry FILE --community CODE [--dry-run] [--workers] [--user NAME]``: import a roster.

Exit status 0 when the file was imported, checked (dry run) or changed nothing; 1 (CommandError)
when it has errors, printing where the error report is. See docs/import.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lianfang.accounts.models import User
from lianfang.divisions.models import Division
from lianfang.registry.importers import ImportFileError, registry_import
from lianfang.registry.models import ImportKind, ImportStatus

PHASES = {"read": "reading", "validate": "validating", "write": "writing"}


class Command(BaseCommand):
    help = "Import households and residents from .xlsx/.xls/.ods/.csv into a community (or street/district)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--community", required=True, help="division code: community, street or district")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--workers", action="store_true", help="the file is a workers roster with assignments (workforce app)"
        )
        parser.add_argument("--user", help="username to import as (default: the system)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, file, community: str, dry_run: bool, user: str | None, no_progress: bool, **opts):
        file = Path(file)
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        target = Division.objects.filter(code=community).first()
        if target is None:
            raise CommandError(f"unknown division code {community!r}")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"unknown user {user!r}")
        bar = None

        def progress(phase: str, done: int, total: int) -> None:
            nonlocal bar
            if no_progress or self.stderr._out is None:
                return
            if bar is None or bar.desc != PHASES.get(phase, phase):
                if bar is not None:
                    bar.close()
                bar = tqdm(total=total or None, desc=PHASES.get(phase, phase), unit="rows", file=self.stderr._out)
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
        except (ImportFileError, ValidationError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        counts = batch.counts or {}
        self.stdout.write(f"import #{batch.pk}: {batch.get_status_display()} — {batch.summary}")
        if counts and "workers_created" in counts:
            self.stdout.write("; ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items()))
        elif counts:
            self.stdout.write(
                "rows {rows}; households +{households_created} ~{households_updated} ={households_unchanged}; "
                "residents +{residents_created} ~{residents_updated} ={residents_unchanged}; "
                "errors {errors}; warnings {warnings}".format(**counts)
            )
        for issue in batch.issues[:20]:
            self.stdout.write(
                f"  {issue['severity']}: {issue['sheet']}!{issue['row']} {issue['column']} "
                f"{issue['value']!r}: {issue['reason']}"
            )
        if batch.report:
            self.stdout.write(f"report: {batch.report.path}")
        if batch.status in (ImportStatus.INVALID, ImportStatus.FAILED):
            where = f"; error report: {batch.report.path}" if batch.report else ""
            raise CommandError(f"{file}: {counts.get('errors', 1)} errors, nothing written{where}")
