"""The field rule set (data, not code): the shipped values, validation, and pure rule functions.

- :func:`shipped_values` — the rule set shipped by migration 0002 (restored by
  :func:`ensure_field_rule_set` for tests that flush the database).
- :func:`in_force` — the :class:`~lianfang.fieldops.models.FieldRuleSet` in force on a day;
  :func:`rules_on` the same for a day someone asked for (a ValidationError naming it when none was).
- :func:`shift_windows` — the shifts of a pattern that start on a local day, as aware datetimes.
- :func:`gate_decide` — the decision at a gate for a tier, direction, purpose and pass.
- :func:`quarantine_plan` — phases and test days of a contact under a zone rule set, counted from
  the last exposure (domain.md §3).
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.fieldops.models import FieldRuleSet, GateReason, Purpose, Symptom

SHIPPED_MIGRATION = "lianfang.fieldops.migrations.0002_field_rule_set_qilihe_2022"


def shipped_values() -> dict:
    """The values of the shipped rule set ``qilihe-2022``, as frozen in migration 0002."""
    return importlib.import_module(SHIPPED_MIGRATION).QILIHE_2022


def ensure_field_rule_set() -> FieldRuleSet:
    """Create (or restore) the shipped rule set ``qilihe-2022`` (tests that flush the database lose
    migration data); an existing row is left as it is. Idempotent."""
    shipped = shipped_values()
    found = FieldRuleSet.objects.filter(code=shipped["code"]).first()
    if found is not None:
        return found
    return FieldRuleSet.objects.create(**shipped)


def in_force(day: dt.date | None = None) -> FieldRuleSet:
    """The field rule set in force on ``day`` (default today, Asia/Shanghai): the latest
    ``effective_from`` on or before it. Raises FieldRuleSet.DoesNotExist when none has started."""
    day = day or timezone.localdate()
    found = FieldRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "code").first()
    if found is None:
        raise FieldRuleSet.DoesNotExist(f"no field rule set in force on {day}")
    return found


def rules_on(day: dt.date, param: str = "day") -> FieldRuleSet:
    """:func:`in_force` for a day a person or client asked for. Raises ValidationError ``{param:
    [message]}`` naming the day and that no field rule set was in force then (with the first day one
    was) — a 400 on pages and in the API, never FieldRuleSet.DoesNotExist (a 500)."""
    try:
        return in_force(day)
    except FieldRuleSet.DoesNotExist:
        first = FieldRuleSet.objects.order_by("effective_from").values_list("effective_from", flat=True).first()
        if first is None:
            message = _("No field rule set was in force on “%(day)s”.") % {"day": day.isoformat()}
        else:
            message = _("No field rule set was in force on “%(day)s” (the first took effect on %(first)s).") % {
                "day": day.isoformat(),
                "first": first.isoformat(),
            }
        raise ValidationError({param: [message]}) from None


# ------------------------------------------------------------------------------------------ validation

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _minutes(text: str) -> int:
    match = _HHMM.match(text or "")
    if not match:
        raise ValueError(text)
    return int(match.group(1)) * 60 + int(match.group(2))


def validate_shift_pattern(key: str, pattern: dict) -> None:
    """Raise ValidationError unless ``pattern["shifts"]`` (``[["HH:MM", hours], ...]``) tile the
    24 hours of a day exactly: every hour covered once, no overlap."""
    shifts = pattern.get("shifts") if isinstance(pattern, dict) else None
    if not shifts:
        raise ValidationError({"shift_patterns": _("pattern %(key)s has no shifts") % {"key": key}})
    covered = [0] * (24 * 60)
    for item in shifts:
        try:
            start, hours = _minutes(item[0]), int(item[1])
        except (ValueError, TypeError, IndexError):
            raise ValidationError(
                {"shift_patterns": _("pattern %(key)s: bad shift “%(shift)s”") % {"key": key, "shift": item}}
            ) from None
        if not 1 <= hours <= 24:
            raise ValidationError(
                {
                    "shift_patterns": _("pattern %(key)s: a shift lasts 1 to 24 hours, got “%(h)s”")
                    % {"key": key, "h": hours}
                }
            )
        for m in range(start, start + hours * 60):
            covered[m % (24 * 60)] += 1
    if any(c != 1 for c in covered):
        raise ValidationError(
            {"shift_patterns": _("pattern %(key)s does not cover each hour of the day exactly once") % {"key": key}}
        )


def validate_field_rule_set(rules: FieldRuleSet) -> None:
    """Check every JSON field of ``rules``; raises ValidationError naming the field and value."""
    patterns = rules.shift_patterns or {}
    for key, pattern in patterns.items():
        validate_shift_pattern(key, pattern)
    if rules.default_shift_pattern not in patterns:
        raise ValidationError(
            {"default_shift_pattern": _("unknown shift pattern “%(key)s”") % {"key": rules.default_shift_pattern}}
        )
    purposes = set(Purpose.values)
    for tier, directions in (rules.gate_rules or {}).items():
        for direction in ("in", "out"):
            entry = (directions or {}).get(direction, {})
            for group in ("free", "pass"):
                unknown = sorted(set(entry.get(group, [])) - purposes)
                if unknown:
                    raise ValidationError(
                        {
                            "gate_rules": _("%(tier)s/%(dir)s/%(group)s: unknown purposes %(values)s")
                            % {"tier": tier, "dir": direction, "group": group, "values": unknown}
                        }
                    )
    unknown = sorted(set(rules.abnormal_symptoms or []) - set(Symptom.values))
    if unknown:
        raise ValidationError({"abnormal_symptoms": _("unknown symptoms %(values)s") % {"values": unknown}})
    for tier, entry in (rules.disinfection or {}).items():
        if not isinstance(entry, dict) or int(entry.get("interval_hours") or 0) < 1 or not entry.get("places"):
            raise ValidationError(
                {
                    "disinfection": _("%(tier)s needs interval_hours ≥ 1 and places, got “%(v)s”")
                    % {"tier": tier, "v": entry}
                }
            )


# ------------------------------------------------------------------------------------------ shifts


def shift_windows(rules: FieldRuleSet, pattern_key: str, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The shifts of pattern ``pattern_key`` (blank: the rule set's default) starting on local
    ``day``: ``[(starts_at, ends_at)]`` aware datetimes in start order. A shift may end the next day
    (20:00 + 12 h). Raises ValidationError for an unknown pattern."""
    key = pattern_key or rules.default_shift_pattern
    pattern = (rules.shift_patterns or {}).get(key)
    if pattern is None:
        raise ValidationError({"shift_pattern": _("unknown shift pattern “%(key)s”") % {"key": key}})
    midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    windows = []
    for start_text, hours in pattern["shifts"]:
        start = midnight + dt.timedelta(minutes=_minutes(start_text))
        windows.append((start, start + dt.timedelta(hours=int(hours))))
    return sorted(windows)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of local ``day`` as aware datetimes (Asia/Shanghai has no DST: 24 h)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end


def uncovered_intervals(
    intervals: list[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of ``[start, end)`` not covered by any of ``intervals`` (each ``[a, b)``), in order."""
    gaps = []
    cursor = start
    for a, b in sorted(intervals):
        if b <= cursor or a >= end:
            continue
        if a > cursor:
            gaps.append((cursor, min(a, end)))
        cursor = max(cursor, b)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


# ------------------------------------------------------------------------------------------ gates


@dataclass(frozen=True)
class Decision:
    """A gate decision: ``allowed`` and its ``reason`` (a GateReason value); ``needs_pass`` is True
    when the purpose passes only with a valid medical exit pass."""

    allowed: bool
    reason: str
    needs_pass: bool = False


def gate_decide(
    *, rules: FieldRuleSet, tier_key: str | None, direction: str, purpose: str, pass_valid: bool | None
) -> Decision:
    """Decide at a gate from the field rule set's ``gate_rules`` for ``tier_key`` (None: outside
    every area). A tier without rules lets everyone through (registration only); otherwise a
    purpose in ``free`` passes, one in ``pass`` passes only with ``pass_valid`` True, anything else
    is refused. Raises ValueError for an unknown direction or purpose (a programming error)."""
    if direction not in ("in", "out"):
        raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    tier_rules = (rules.gate_rules or {}).get(tier_key or "")
    if not tier_rules:
        return Decision(True, GateReason.OPEN_AREA)
    entry = tier_rules.get(direction) or {}
    if purpose in entry.get("free", []):
        return Decision(True, GateReason.PURPOSE_ALLOWED)
    if purpose in entry.get("pass", []):
        if pass_valid:
            return Decision(True, GateReason.VALID_PASS, needs_pass=True)
        return Decision(False, GateReason.PASS_REQUIRED, needs_pass=True)
    return Decision(False, GateReason.PURPOSE_NOT_ALLOWED)


# ------------------------------------------------------------------------------------------ quarantine


@dataclass(frozen=True)
class PlannedTest:
    """A test of a plan: ``phase`` (centralized/home), 1-based ``day_number`` of the phase, ``due_on``."""

    phase: str
    day_number: int
    due_on: dt.date


@dataclass(frozen=True)
class QuarantinePlan:
    """A contact's plan: ``centralized_until`` / ``home_until`` (last days, inclusive, None when the
    phase is empty), ``home_mode`` (``"monitoring"`` for a close contact's home phase, ``"isolation"``
    for a secondary contact isolated at home), the ``tests`` in date order, and the ``source``."""

    centralized_until: dt.date | None
    home_until: dt.date | None
    home_mode: str
    tests: tuple[PlannedTest, ...]
    source: str

    def status_on(self, day: dt.date) -> str:
        """The PersonStatus value the plan gives on ``day``."""
        if self.centralized_until and day <= self.centralized_until:
            return "centralized"
        if self.home_until and day <= self.home_until:
            return "home_isolation" if self.home_mode == "isolation" else "home_monitoring"
        return "released"


def quarantine_plan(rule_set, kind: str, last_exposure_on: dt.date) -> QuarantinePlan:
    """Phases and test days for a contact of ``kind`` (``"close"``/``"secondary"``) under zone
    ``rule_set`` (``zones.RuleSet.quarantine_for``), counted from ``last_exposure_on``: day 1 of the
    centralized phase is the day after the last exposure; the home phase follows it (domain.md §3).

    8th edition, close contact exposed on 1 March: centralized 2–15 March (tests 2, 5, 8, 15 March),
    home monitoring 16–22 March (tests 17 and 22 March). Raises ValidationError when the rule set
    does not trace this kind (20 measures: secondary contacts are not traced).
    """
    rule = rule_set.quarantine_for(kind)
    if not rule["traced"]:
        raise ValidationError(
            {"category": _("rule set %(rs)s does not trace %(kind)s contacts") % {"rs": rule_set.key, "kind": kind}}
        )
    centralized_days, home_days = int(rule["centralized_days"]), int(rule["home_days"])
    centralized_until = last_exposure_on + dt.timedelta(days=centralized_days) if centralized_days else None
    home_start = last_exposure_on + dt.timedelta(days=centralized_days)
    home_until = home_start + dt.timedelta(days=home_days) if home_days else None
    tests = [
        PlannedTest("centralized", n, last_exposure_on + dt.timedelta(days=n))
        for n in sorted(rule["centralized_test_days"])
        if 1 <= n <= centralized_days
    ]
    tests += [
        PlannedTest("home", n, home_start + dt.timedelta(days=n))
        for n in sorted(rule["home_test_days"])
        if 1 <= n <= home_days
    ]
    home_mode = "isolation" if kind == "secondary" and not centralized_days else "monitoring"
    return QuarantinePlan(centralized_until, home_until, home_mode, tuple(tests), rule["source"])
