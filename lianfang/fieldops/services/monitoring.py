"""Home health monitoring (居家健康监测): monitoring periods, the daily health check-in and its
temperature reading, abnormal readings (medical request and alert), missed check-ins (tick)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lianfang.core import audit
from lianfang.fieldops import adapters, selectors
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.models import AlertKind, CheckInSource, HealthCheckIn, HomeMonitoring, MonitoringStatus, Symptom
from lianfang.fieldops.services.alerts import alert_raise
from lianfang.fieldops.services.base import FIELD, _create_audited, _now, _require, _set_status, _text, _user

MONITORING_MAX_DAYS = 14
READING_TEXT = gettext_noop("Home monitoring: %(t)s °C, symptoms: %(s)s")
"""The text of the medical-visit request an abnormal reading files (shown in each reader's language)."""
"""The longest home health monitoring started by hand, in days (inclusive): twice the longest home
period of the shipped rules (/work/shared/docs/domain.md: 8th edition 7 d home monitoring after
centralized isolation, 9th edition 3 d, 7 d home isolation of secondary contacts)."""
MONITORING_START_WINDOW = dt.timedelta(days=365)
"""A monitoring starts at most a year before or after today (Asia/Shanghai)."""


def _monitoring_period_errors(starts_on: dt.date, ends_on: dt.date) -> dict[str, str]:
    """Field → message for a home monitoring period that is not plausible: a start more than a year
    from today, an end before the start, or longer than MONITORING_MAX_DAYS days. Each message names
    the value."""
    today = timezone.localdate()
    errors = {}
    if starts_on < today - MONITORING_START_WINDOW:
        errors["starts_on"] = _("“%(v)s” is more than a year before today (%(t)s)") % {"v": starts_on, "t": today}
    elif starts_on > today + MONITORING_START_WINDOW:
        errors["starts_on"] = _("“%(v)s” is more than a year after today (%(t)s)") % {"v": starts_on, "t": today}
    if ends_on < starts_on:
        errors["ends_on"] = _("ends on %(e)s, before it starts on %(s)s") % {"e": ends_on, "s": starts_on}
    elif (ends_on - starts_on).days + 1 > MONITORING_MAX_DAYS:
        errors["ends_on"] = _("“%(e)s” makes %(n)d days of home health monitoring from %(s)s; at most %(max)d days") % {
            "e": ends_on,
            "n": (ends_on - starts_on).days + 1,
            "s": starts_on,
            "max": MONITORING_MAX_DAYS,
        }
    return errors


def home_monitoring_start(
    *,
    actor,
    household,
    starts_on: dt.date,
    ends_on: dt.date,
    resident=None,
    name: str = "",
    reason: str = "",
) -> HomeMonitoring:
    """Put a resident (or a named person staying in ``household``) under home health monitoring
    from ``starts_on`` to ``ends_on`` (inclusive). Raises ValidationError (a period that is not
    plausible, see _monitoring_period_errors; a resident of another household or already
    monitored); PermissionDenied without FIELD_WORK at the household."""
    errors = _monitoring_period_errors(starts_on, ends_on)
    if resident is not None and resident.household_id != household.pk:
        errors["resident"] = _("%(r)s does not live in this household") % {"r": resident}
    name = resident.name if resident is not None else _text(name, "name", max_length=60)
    if (
        resident is not None
        and HomeMonitoring.objects.filter(
            resident=resident, status=MonitoringStatus.ACTIVE, ends_on__gte=starts_on
        ).exists()
    ):
        errors["resident"] = _("%(r)s is already monitored") % {"r": resident}
    if errors:
        raise ValidationError(errors)
    _require(actor, FIELD, household.path)
    return _create_audited(
        HomeMonitoring,
        actor=actor,
        action="fieldops.monitoring_start",
        district_id=household.district_id,
        path=household.path,
        household=household,
        resident=resident,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=_text(reason, "reason", required=False),
        created_by=_user(actor),
    )


def home_monitoring_end(*, actor, monitoring: HomeMonitoring, reason: str) -> HomeMonitoring:
    """End a monitoring early (active → ended) with a reason."""
    reason = _text(reason, "reason")
    _require(actor, FIELD, monitoring.path)
    today = timezone.localdate()
    with transaction.atomic():
        _set_status(
            HomeMonitoring,
            monitoring.pk,
            MonitoringStatus.ACTIVE,
            status=MonitoringStatus.ENDED,
            ends_on=max(today, monitoring.starts_on),
        )
        audit.record(actor=actor, action="fieldops.monitoring_end", obj=monitoring, reason=reason)
    monitoring.status = MonitoringStatus.ENDED
    return monitoring


TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
"""Plausible readings of a body temperature in °C: from below the 35.0 °C of hypothermia to above the
41.0 °C of hyperpyrexia (超高热, 《诊断学》第9版 发热分度), with a margin for a cold hand or a hot
forehead; anything outside is a typing error, not a reading."""


READING = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
"""A reading as a plain decimal number (no exponent, NaN, infinity or digit separators)."""
TEMPERATURE_UNIT = re.compile(r"\s*(?:°\s*C|°|C|摄氏度|度)\Z", re.IGNORECASE)
"""A unit written after a reading, after NFKC (``℃`` becomes ``°C``): ``°C``, ``°``, ``C``, ``度``,
``摄氏度`` (any case, spaces before it), removed before the number is read."""


def temperature_text(value) -> str:
    """A reading as typed, made readable as a number: Unicode NFKC (full-width ``３６．５``, ``℃`` →
    ``°C``), surrounding spaces and a trailing unit (:data:`TEMPERATURE_UNIT`: ``36.5°C``, ``36.5℃``,
    ``36.5 度``) removed, a decimal comma (``36,5``) read as a point. ``None`` → ``""``. Anything
    else is left as it is, for :func:`_temperature` to refuse naming it."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    return TEMPERATURE_UNIT.sub("", text).strip().replace(",", ".")


def _temperature(value) -> Decimal:
    """A reading in °C rounded to 0.1, read by :func:`temperature_text` (``"37,2"``, full-width
    ``"３６．５"``, ``"36.5°C"``, ``"36.5℃"`` accepted); ValidationError on ``temperature`` naming
    the value as typed and the range for text, NaN, infinities or a value outside TEMPERATURE_RANGE
    (new-user trial 14: a reading with its unit was refused)."""
    low, high = TEMPERATURE_RANGE
    typed = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    shown = temperature_text(value)
    if not typed:
        raise ValidationError(
            {"temperature": _("a temperature in °C is required (%(low)s–%(high)s)") % {"low": low, "high": high}}
        )
    if not READING.fullmatch(shown):
        raise ValidationError(
            {
                "temperature": _("“%(v)s” is not a temperature in °C (%(low)s–%(high)s)")
                % {"v": typed[:40], "low": low, "high": high}
            }
        )
    number = Decimal(shown)
    with contextlib.suppress(InvalidOperation):  # more digits than the context holds: far out of range, shown as read
        number = number.quantize(Decimal("0.1"))
    if not low <= number <= high:
        raise ValidationError(
            {
                "temperature": _("%(v)s °C is not a plausible body temperature (%(low)s–%(high)s °C)")
                % {"v": number, "low": low, "high": high}
            }
        )
    return number


def health_check_in_record(
    *,
    actor,
    monitoring: HomeMonitoring,
    temperature,
    symptoms: Sequence[str] = (),
    source: str = CheckInSource.WORKER,
    at: dt.datetime | None = None,
) -> HealthCheckIn:
    """Record today's health check-in of a monitored person: by the resident through the household
    QR link (``source="resident"``, ``actor`` None: the token is the authority, checked by the view)
    or by a worker on their behalf (FIELD_WORK at the household).

    The field rule set decides abnormal (temperature ≥ fever threshold, or an abnormal symptom); an
    abnormal reading raises a medical service request (assistance) — or, if that app cannot take it,
    an alert — and alerts the household representative. One check-in a day (ValidationError for a
    second one, naming the time of the first).
    """
    at = _now(at)
    day = timezone.localdate(at)
    temperature = _temperature(temperature)
    symptoms = list(dict.fromkeys(symptoms or []))
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        raise ValidationError({"symptoms": _("unknown symptoms %(v)s") % {"v": unknown}})
    if source not in CheckInSource.values:
        raise ValidationError({"source": _("unknown source “%(v)s”") % {"v": source}})
    if monitoring.status != MonitoringStatus.ACTIVE or not monitoring.covers(day):
        raise ValidationError({"monitoring": _("%(n)s is not monitored on %(d)s") % {"n": monitoring.name, "d": day}})
    if source == CheckInSource.WORKER or actor is not None:
        _require(actor, FIELD, monitoring.path)
    first = HealthCheckIn.objects.filter(monitoring=monitoring, day=day).first()
    if first is not None:
        raise ValidationError(
            {"day": _("already checked in today at %(t)s") % {"t": timezone.localtime(first.at).strftime("%H:%M")}}
        )
    rules = field_rules.rules_on(day, "at")
    abnormal = temperature >= rules.fever_threshold or bool(set(symptoms) & set(rules.abnormal_symptoms or []))
    with transaction.atomic():
        try:
            with transaction.atomic():
                check_in = HealthCheckIn.objects.create(
                    district_id=monitoring.district_id,
                    path=monitoring.path,
                    monitoring=monitoring,
                    household_id=monitoring.household_id,
                    day=day,
                    at=at,
                    temperature=temperature,
                    symptoms=symptoms,
                    abnormal=abnormal,
                    source=source,
                    recorded_by=_user(actor),
                )
        except IntegrityError:
            raise ValidationError({"day": _("already checked in today")}) from None
        audit.record(
            actor=actor,
            action="fieldops.health_check_in",
            obj=check_in,
            detail={"abnormal": abnormal, "source": source},
        )
        if abnormal:
            _abnormal_reading(actor, monitoring, check_in, rules)
    return check_in


def _abnormal_reading(actor, monitoring: HomeMonitoring, check_in: HealthCheckIn, rules) -> None:
    summary = _(READING_TEXT) % {
        "t": check_in.temperature,
        "s": ", ".join(str(Symptom(s).label) for s in check_in.symptoms) or "—",
    }
    # the same words as a message and its values, so the ticket reads in each reader's language
    with translation.override("en"):  # msgids are English: the English labels are the symptoms' msgids
        symptoms = [str(Symptom(s).label) for s in check_in.symptoms]
    text = {"msgid": READING_TEXT, "params": {"t": str(check_in.temperature), "s": {"msgids": symptoms}}}
    household = monitoring.household
    ref = adapters.raise_medical_request(household=household, resident=monitoring.resident, summary=summary, text=text)
    if ref:
        HealthCheckIn.objects.filter(pk=check_in.pk).update(service_request_ref=ref)
        check_in.service_request_ref = ref
    day = check_in.day
    representative = selectors.representatives_of([household.pk], on=day).get(household.pk)
    alert_raise(
        kind=AlertKind.ABNORMAL_READING,
        path=monitoring.path,
        district_id=monitoring.district_id,
        dedupe_key=f"abnormal:{check_in.pk}",
        message=household.address,
        recipient=representative or selectors.responsible_worker(household.path, on=day),
        household=household,
        detail={
            "check_in": check_in.pk,
            "temperature": str(check_in.temperature),
            "symptoms": check_in.symptoms,
            "request": ref,
            "threshold": str(rules.fever_threshold),
        },
    )


def monitoring_missed_flag(*, now: dt.datetime | None = None) -> int:
    """System work (tick): flag to each household representative (L4; the place's responsible
    person when there is none) the monitored people without a check-in: yesterday, and today once
    the field rule set's ``check_in_deadline_hour`` has passed. Idempotent (one alert per
    monitoring and day). Returns the number of alerts raised."""
    now = _now(now)
    today = timezone.localdate(now)
    rules = field_rules.in_force(today)
    days = [today - dt.timedelta(days=1)]
    if timezone.localtime(now).hour >= rules.check_in_deadline_hour:
        days.append(today)
    raised = 0
    for day in days:
        missing = list(
            selectors.monitorings_without_check_in(HomeMonitoring.objects.all(), day).select_related("household")
        )
        reps = selectors.representatives_of({m.household_id for m in missing}, on=day)
        for m in missing:
            _alert, created = alert_raise(
                kind=AlertKind.MONITORING_MISSED,
                path=m.path,
                district_id=m.district_id,
                dedupe_key=f"monitoring_missed:{m.pk}:{day.isoformat()}",
                message=m.household.address,
                recipient=reps.get(m.household_id) or selectors.responsible_worker(m.path, on=day),
                household=m.household,
                detail={"monitoring": m.pk, "day": day.isoformat()},
                at=now,
            )
            raised += int(created)
    return raised
