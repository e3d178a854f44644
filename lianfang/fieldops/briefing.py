"""The daily briefing (每日任务单): a team's task list for one day, generated from gate duty,
sampling (quarantine tests here, door-to-door tasks of the screening app), deliveries and service
requests (assistance app), health check-ins and disinfection — so nobody copies a dozen forms
(domain.md §7: "cadres filling a dozen near-identical forms a day").

Every list is read through ``visible_to(user)`` and limited to the division ``code`` (a team's
base division); with a ``team``, duty and sampling tasks are those of its members / the team.
A few queries per section, whatever the size of the place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.fieldops import rules as field_rules
from lianfang.fieldops import selectors
from lianfang.fieldops.models import (
    DisinfectionSchedule,
    DutyShift,
    DutyStatus,
    HomeMonitoring,
    QuarantineTest,
    TestResult,
)

LIMIT = 200


@dataclass
class Item:
    """One line: ``when`` (text, local time), ``where`` (place), ``what``, ``who`` (may be empty),
    ``state`` (short status), ``late`` (overdue or uncovered)."""

    when: str
    where: str
    what: str
    who: str = ""
    state: str = ""
    late: bool = False


@dataclass
class Section:
    """A part of the briefing: ``key`` (duty, sampling, deliveries, check_ins, disinfection),
    translated ``title``, ``items`` (at most LIMIT) and the full ``count``."""

    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    count: int = 0


@dataclass
class Briefing:
    """The day's list for ``code`` (and ``team``): ``sections`` in a fixed order."""

    day: dt.date
    code: str
    team: object
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def _hm(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%H:%M") if at else ""


def _duty(user, code, day, team) -> Section:
    start, end = field_rules.day_bounds(day)
    qs = (
        DutyShift.objects.visible_to(user)
        .within(code)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .exclude(status=DutyStatus.CANCELLED)
        .select_related("gate", "worker")
        .order_by("starts_at", "gate__name", "slot")
    )
    if team is not None:
        qs = qs.filter(worker__in=team.members.all())
    rows = list(qs[:LIMIT])
    section = Section("duty", _("Gate duty"), count=len(rows))
    for s in rows:
        section.items.append(
            Item(
                when=s.hours_label,
                where=s.gate.name,
                what=_("Guard %(n)d") % {"n": s.slot},
                who=s.worker.name if s.worker_id else _("nobody assigned"),
                state=s.get_status_display(),
                late=not s.worker_id or s.status == DutyStatus.MISSED,
            )
        )
    return section


def _sampling(user, code, day, team) -> Section:
    section = Section("sampling", _("Sampling"))
    tests = (
        QuarantineTest.objects.visible_to(user)
        .within(code)
        .filter(due_on=day, result=TestResult.PENDING)
        .select_related("person")
        .order_by("path", "id")
    )
    for t in tests[:LIMIT]:
        section.items.append(
            Item(
                when=day.isoformat(),
                where=t.person.address or t.path,
                what=_("Quarantine test: %(phase)s day %(d)d") % {"phase": t.get_phase_display(), "d": t.day_number},
                who=t.person.name,
                state=t.get_result_display(),
            )
        )
    section.count = tests.count()
    try:
        from lianfang.screening.models import SamplingTask  # noqa: PLC0415
    except ImportError:
        SamplingTask = None  # noqa: N806
    if SamplingTask is not None:
        start, end = field_rules.day_bounds(day)
        tasks = (
            SamplingTask.objects.visible_to(user)
            .within(code)
            .filter(status="open", due_at__lt=end)
            .select_related("division")
            .order_by("due_at", "path")
        )
        if team is not None:
            tasks = tasks.filter(team=team)
        now = timezone.now()
        for task in tasks[:LIMIT]:
            section.items.append(
                Item(
                    when=_hm(task.due_at),
                    where=task.division.name,
                    what=task.get_kind_display(),
                    who=ngettext("%(n)d person", "%(n)d people", task.people) % {"n": task.people},
                    state=task.get_status_display(),
                    late=task.due_at < now,
                )
            )
        section.count += tasks.count()
    return section


def _deliveries(user, code, day) -> Section:
    section = Section("deliveries", _("Deliveries and requests"))
    try:
        from lianfang.assistance.models import OPEN_STATUSES, ServiceRequest, SupplyDelivery  # noqa: PLC0415
    except ImportError:  # the service-request app is not there (yet): nothing to list
        return section

    pending = SupplyDelivery.objects.visible_to(user).within(code).filter(status="pending").order_by("path", "id")
    for d in pending[:LIMIT]:
        section.items.append(Item(when=day.isoformat(), where=d.address, what=_("Supply pack %(p)s") % {"p": d.pack}))
    tickets = (
        ServiceRequest.objects.visible_to(user)
        .within(code)
        .filter(status__in=list(OPEN_STATUSES))
        .order_by("due_at", "id")
    )
    now = timezone.now()
    for t in tickets[:LIMIT]:
        section.items.append(
            Item(
                when=_hm(t.due_at),
                where=str(t.household.address) if t.household_id else "",
                what=t.get_category_display(),
                who=str(t),
                state=t.get_status_display(),
                late=bool(t.due_at and t.due_at < now),
            )
        )
    section.count = pending.count() + tickets.count()
    return section


def _check_ins(user, code, day, team) -> Section:
    section = Section("check_ins", _("Check-ins"))
    missing = (
        selectors.monitorings_without_check_in(HomeMonitoring.objects.visible_to(user).within(code), day)
        .select_related("household")
        .order_by("path", "id")
    )
    for m in missing[:LIMIT]:
        section.items.append(
            Item(
                when=day.isoformat(),
                where=m.household.address,
                what=_("Home health check-in"),
                who=m.name,
                state=_("not yet"),
            )
        )
    section.count = missing.count()
    try:
        from lianfang.assistance.models import CheckInTask  # noqa: PLC0415
    except ImportError:
        CheckInTask = None  # noqa: N806
    if CheckInTask is not None:
        tasks = (
            CheckInTask.objects.visible_to(user)
            .within(code)
            .filter(day=day, done_at__isnull=True)
            .select_related("resident", "household", "worker")
            .order_by("path", "id")
        )
        if team is not None:
            tasks = tasks.filter(worker__in=team.members.all())
        for t in tasks[:LIMIT]:
            section.items.append(
                Item(
                    when=day.isoformat(),
                    where=t.household.address,
                    what=_("Daily call on a vulnerable resident"),
                    who=t.worker.name if t.worker_id else _("nobody assigned"),
                    state=_("not yet"),
                    late=not t.worker_id,
                )
            )
        section.count += tasks.count()
    return section


def _disinfection(user, code, day) -> Section:
    _start, end = field_rules.day_bounds(day)
    rows = [
        s
        for s in selectors.schedules_with_due(
            DisinfectionSchedule.objects.visible_to(user).within(code).filter(is_active=True)
        )
        if s.due_at < end
    ]
    rows.sort(key=lambda s: s.due_at)
    section = Section("disinfection", _("Disinfection"), count=len(rows))
    now = timezone.now()
    for s in rows[:LIMIT]:
        section.items.append(
            Item(
                when=timezone.localtime(s.due_at).strftime("%m-%d %H:%M"),
                where=f"{s.division.short_name} {s.place}",
                what=ngettext("Every %(h)d hour", "Every %(h)d hours", s.interval_hours) % {"h": s.interval_hours},
                state=_("overdue") if s.due_at < now else _("due"),
                late=s.due_at < now,
            )
        )
    return section


def daily_briefing(*, user, code: str, day: dt.date, team=None) -> Briefing:
    """The briefing of division ``code`` for local ``day`` as ``user`` sees it; ``team`` (a
    workforce Team) narrows duty, sampling tasks and check-in calls to its members."""
    sections = [
        _duty(user, code, day, team),
        _sampling(user, code, day, team),
        _deliveries(user, code, day),
        _check_ins(user, code, day, team),
        _disinfection(user, code, day),
    ]
    return Briefing(day=day, code=code, team=team, sections=sections)
