"""Helpers of the registry's management commands: their errors as translated CommandErrors naming the
file, and exception messages as plain text."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def error_text(exc: Exception) -> str:
    """The message(s) of ``exc`` as plain text: a ValidationError's messages joined by spaces (never the
    ``['…']`` list repr ``str()`` gives), anything else its ``str()``."""
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return str(exc)


def read_error(path: Path, exc: OSError | None = None) -> CommandError:
    """A CommandError naming ``path`` that cannot be read: missing, a directory, not a regular file, or
    the OS error ``exc`` (its text as the OS gives it)."""
    if not path.exists():
        return CommandError(_("%(path)s: no such file") % {"path": path})
    if path.is_dir():
        return CommandError(_("%(path)s is a directory, not a file") % {"path": path})
    if exc is None:
        return CommandError(_("%(path)s is not a regular file") % {"path": path})
    return CommandError(
        _("%(path)s cannot be read: %(error)s") % {"path": path, "error": exc.strerror or exc.__class__.__name__}
    )


def write_error(path: Path, exc: OSError | None = None) -> CommandError:
    """A CommandError naming ``path`` that cannot be written: its folder is missing, it is a folder, or
    the OS error ``exc`` (permission, full disk; its text as the OS gives it)."""
    if not path.parent.is_dir():
        return CommandError(_("%(path)s: the folder %(folder)s does not exist") % {"path": path, "folder": path.parent})
    if path.is_dir():
        return CommandError(_("%(path)s is a directory, not a file") % {"path": path})
    reason = "" if exc is None else exc.strerror or exc.__class__.__name__
    return CommandError(_("%(path)s cannot be written: %(error)s") % {"path": path, "error": reason})
