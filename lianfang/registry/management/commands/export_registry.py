"""``manage.py export_registry --community CODE --output FILE.xlsx [--unmasked --reason R --user NAME]``.

Writes the residents of a division in the import template layout (importing it again changes
nothing). Masked by default; ``--unmasked`` needs ``--user`` (with EXPORT and REVEAL_PII) and
``--reason``, is watermarked and audited.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from lianfang.accounts.models import User
from lianfang.divisions.models import Division
from lianfang.registry.exporters import registry_export


class Command(BaseCommand):
    help = "Export the residents of a division as XLSX in the import template layout (masked by default)."

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, help="division code: community, street or district")
        parser.add_argument("--output", required=True, type=Path, help="the .xlsx file to write")
        parser.add_argument(
            "--unmasked", action="store_true", help="full ID and phone numbers (needs --user, --reason)"
        )
        parser.add_argument("--reason", default="", help="why an unmasked export is needed (audited)")
        parser.add_argument("--user", help="username exporting (default: the system; required with --unmasked)")

    def handle(self, *args, community: str, output: Path, unmasked: bool, reason: str, user: str | None, **opts):
        output = Path(output)
        target = Division.objects.filter(code=community).first()
        if target is None:
            raise CommandError(f"unknown division code {community!r}")
        if output.suffix.lower() != ".xlsx":
            raise CommandError("--output must be an .xlsx file")
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"unknown user {user!r}")
        if unmasked and actor is None:
            raise CommandError("--unmasked needs --user (a user allowed to see unmasked data) and --reason")
        try:
            count = registry_export(actor=actor, target=target, output=output, unmasked=unmasked, reason=reason)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} residents written to {output}" + (" (unmasked, watermarked)" if unmasked else ""))
