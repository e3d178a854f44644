"""What every module of ``lianfang.screening.services`` shares (and nothing else: this module
imports none of the others): the desk's refusals :class:`Refused` and :class:`Malformed`, :func:`echo`,
the screening rule set in force (:func:`rules`), :func:`out_of_reach`, :func:`mask_name`, and private
helpers — the acting user (``_actor``), the time of a write (``_now``), a desk or task as the station
and FIELD_WORK there (``_station``, ``_require_field_work``), minimal division codes (``_minimal``), the
most specific division of a code (``_division_id``), ISO times (``_parse_time``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message
from lianfang.core import pii
from lianfang.core.pii import mask_name  # noqa: F401 -- re-exported: the one masking rule (core.pii)
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import CODE_LENGTHS, Division
from lianfang.screening.models import SamplingDesk, SamplingTask, ScreeningRuleSet


class Refused(ValidationError):
    """A desk submission refused; ``code`` is one of ``tube_full``, ``tube_closed``, ``duplicate``,
    ``household_mismatch``, ``not_found``, ``empty_tube``, ``barcode_taken``, ``round_closed``,
    ``bad_input``; ``detail`` is a dict shown with it (e.g. where the person was sampled)."""

    def __init__(self, code: str, message: str, detail: dict | None = None):
        super().__init__(message, code=code)
        self.code = code
        self.detail = detail or {}


class Malformed(Refused):
    """A desk submission whose input cannot be read (code ``bad_input``): an invalid ID number, a
    scan that is neither an ID number, a household QR code nor a tube barcode, a malformed barcode,
    tube key or kind. desk_submit answers it with 400 and does not store it under the key (the same
    body always gets the same answer), like an unreadable ``at``."""

    def __init__(self, message: str, detail: dict | None = None):
        super().__init__("bad_input", message, detail)


ECHO_LENGTH = 20


def echo(value: object) -> str:
    """``value`` as a desk message may quote it: NFKC-normalised (full-width ``６２０１…`` reads as
    ``6201…``), runs of 7 or more digits masked (core.pii.mask_numbers_in: an ID number as
    ``6201**********1936``), then cut to :data:`ECHO_LENGTH` characters and "…" (a 100-digit scan is
    never echoed in full)."""
    text = pii.mask_numbers_in(unicodedata.normalize("NFKC", str(value)))
    return text if len(text) <= ECHO_LENGTH else text[:ECHO_LENGTH] + "…"


def rules() -> ScreeningRuleSet:
    """The screening rule set in force (the default one); raises ScreeningRuleSet.DoesNotExist."""
    found = ScreeningRuleSet.objects.filter(is_default=True).first()
    if found is None:
        ensure_shipped_rules()
        found = ScreeningRuleSet.objects.get(is_default=True)
    return found


def ensure_shipped_rules() -> None:
    """Re-create the shipped rule set (tests that flush the database remove migration data)."""
    import importlib  # noqa: PLC0415

    from django.apps import apps  # noqa: PLC0415

    importlib.import_module("lianfang.screening.migrations.0002_shipped_rule_set").load(apps)


def out_of_reach(value) -> str:
    """ "<value> 不存在或不在您的范围内": the one answer for an id or code that is unknown or that the
    caller may not see (the same words for both, so ids cannot be probed)."""
    return _("%(id)s does not exist or is outside your scope") % {"id": value}


def _sees(actor, model, pk, path: str) -> bool:
    """Whether ``actor`` may see the ``model`` row ``pk`` whose division code is ``path`` — as
    ``model.objects.visible_to(actor)`` decides, without a query when the actor's division scope
    covers ``path`` (the usual case: core.scoping.scope_for is kept on the user). The system
    (``actor=None``) sees all. One query only for an actor with a household scope (a representative)
    and a path outside their divisions."""
    if actor is None:
        return True
    scope = scope_for(actor)
    if scope.covers_code(path or ""):
        return True
    if not scope.household_querysets:
        return False
    return model.objects.visible_to(actor).filter(pk=pk).exists()


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("time %(value)s has no time zone") % {"value": at}})
    return at


def _minimal(codes: Iterable[str]) -> list[str]:
    roots: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(r) for r in roots):
            roots.append(code)
    return sorted(roots)


def _station(desk: SamplingDesk | None, task: SamplingTask | None):
    if (desk is None) == (task is None):
        raise ValidationError({"station": _("give a desk or a task")})
    return desk or task


def _require_field_work(actor, station) -> None:
    if actor is None:
        return
    if not (can(actor, Capability.FIELD_WORK, station.path) or can(actor, Capability.RUN_ROUNDS, station.path)):
        raise PermissionDenied(denied_message(Capability.FIELD_WORK, station.path))


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _division_id(code: str) -> int:
    found = Division.objects.filter(code__in=[code[:n] for n in CODE_LENGTHS.values() if n <= len(code)])
    return max(found, key=lambda d: len(d.code)).pk
