"""The demo scenario: one day of a containment operation in the demo users' compound, written through
the real services of every app (never raw inserts), so the pages show what the product does.

:func:`scenario_run` is the entry point (``manage.py demo_scenario --code 620103 --seed 42``). It
needs the generated population (registry ``generate_population``) and the demo users
(``create_demo_users``): the scenario happens where their scopes meet, the first compound of the
first community of the first street (:func:`lianfang.accounts.selectors.demo_places`), so every demo
login sees some of it. Everything is relative to ``now`` (default: the current time), with the
people, households and barcodes chosen by a seeded ``random.Random`` from rows ordered by primary
key: the same database and seed give the same scenario on the same day.

Re-run safe: the scenario is one transaction, marked by its operation (:data:`OPERATION_NAME`); a
second run finds it and changes nothing (``ScenarioReport.created`` is False).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from lianfang.accounts.models import User
from lianfang.accounts.selectors import demo_places
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import Household, Resident

OPERATION_NAME = "七里河区疫情处置（演示）"
ROUND_NAME = "西园街道第1轮全员核酸（演示）"
LAB = "兰州市第二人民医院检验科"
DEMO_USERNAMES = ("commander", "street", "community", "grid", "volunteer", "representative")


class ScenarioError(Exception):
    """The scenario cannot run here: the population or the demo users are missing, or the district
    already has an open operation that the demo did not open."""


@dataclass
class ScenarioReport:
    """What :func:`scenario_run` did: ``created`` False when the scenario was already there;
    ``counts`` maps a step name (``areas``, ``tubes``, ``requests``...) to the rows it made."""

    created: bool
    compound: Division | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Ctx:
    district: Division
    street: Division
    community: Division
    compound: Division
    users: dict[str, User]
    rng: random.Random
    now: dt.datetime
    today: dt.date
    report: ScenarioReport
    say: Callable[[str], None]
    state: dict = field(default_factory=dict)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """An aware instant at ``hour:minute`` (Asia/Shanghai) on ``day``."""
        return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))

    def ago(self, **delta) -> dt.datetime:
        return self.now - dt.timedelta(**delta)

    def count(self, key: str, n: int = 1) -> None:
        self.report.counts[key] = self.report.counts.get(key, 0) + n


def scenario_present(district: Division) -> bool:
    """True when the demo operation exists in ``district`` (the scenario ran before)."""
    from lianfang.zones.models import Operation  # noqa: PLC0415

    return Operation.objects.filter(district=district, name=OPERATION_NAME).exists()


# What ``say`` calls each step of the scenario (``manage.py demo_scenario -v 2``), by function name.
STEP_LABELS = {
    "_zones": pgettext_lazy("demo step", "infection and control areas"),
    "_workforce": pgettext_lazy("demo step", "workforce"),
    "_screening": pgettext_lazy("demo step", "testing round"),
    "_requests": pgettext_lazy("demo step", "service requests"),
    "_duty": pgettext_lazy("demo step", "gate duty"),
    "_patrol": pgettext_lazy("demo step", "patrol"),
    "_contacts": pgettext_lazy("demo step", "contacts"),
    "_monitoring": pgettext_lazy("demo step", "home monitoring"),
    "_disinfection": pgettext_lazy("demo step", "disinfection"),
    "_notice": pgettext_lazy("demo step", "notice"),
    "_ticks": pgettext_lazy("demo step", "scheduled jobs"),
}


def scenario_run(
    *, district: Division, seed: int = 42, now: dt.datetime | None = None, say: Callable[[str], None] = lambda m: None
) -> ScenarioReport:
    """Write the demo scenario into ``district`` (see the module docstring); returns a report.

    Raises :class:`ScenarioError` when the compound has no households, a demo user is missing, or
    another operation is open in the district; any service error (ValidationError, PermissionDenied)
    propagates and the transaction leaves nothing behind.
    """
    from lianfang.zones.models import Operation, OperationStatus  # noqa: PLC0415

    if scenario_present(district):
        return ScenarioReport(created=False)
    places = demo_places(district)
    compound = places["compound"]
    if compound.level != Level.COMPOUND or not Household.objects.filter(path__startswith=compound.code).exists():
        raise ScenarioError(
            _("%(code)s has no generated households: run generate_population first") % {"code": compound.code}
        )
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    missing = sorted(set(DEMO_USERNAMES) - set(users))
    if missing:
        raise ScenarioError(
            _("demo users missing (%(users)s): run create_demo_users first") % {"users": ", ".join(missing)}
        )
    if Operation.objects.filter(district=district, status=OperationStatus.OPEN).exists():
        raise ScenarioError(
            _("%(code)s already has an open operation not opened by the demo: nothing done") % {"code": district.code}
        )
    now = now or timezone.now()
    ctx = _Ctx(
        district=district,
        street=places["street"],
        community=places["community"],
        compound=compound,
        users=users,
        rng=random.Random(seed),
        now=now,
        today=timezone.localdate(now),
        report=ScenarioReport(created=True, compound=compound),
        say=say,
    )
    with transaction.atomic():
        for step in (
            _zones,
            _workforce,
            _screening,
            _requests,
            _duty,
            _patrol,
            _contacts,
            _monitoring,
            _disinfection,
            _notice,
            _ticks,
        ):
            step(ctx)
            say(_("%(step)s: done") % {"step": STEP_LABELS[step.__name__]})
    return ctx.report


# ------------------------------------------------------------------------------------------------ zones


def _zones(ctx: _Ctx) -> None:
    """An operation, an infection in the compound, its three proposals approved from yesterday 08:00."""
    from lianfang.zones.services import (  # noqa: PLC0415
        PlaceInput,
        control_area_approve,
        infection_record,
        operation_open,
    )

    commander = ctx.users["commander"]
    operation = operation_open(
        actor=commander, district=ctx.district, name=OPERATION_NAME, started_on=ctx.today - dt.timedelta(days=2)
    )
    residents = list(_residents(ctx.compound.code))
    index = ctx.rng.choice(residents)
    workplace = Division.objects.filter(parent=ctx.street, level=Level.COMMUNITY).order_by("code")[1]
    result = infection_record(
        actor=commander,
        operation=operation,
        resident=index,
        onset_on=ctx.today - dt.timedelta(days=2),
        positive_sample_on=ctx.today - dt.timedelta(days=1),
        places=[PlaceInput(division=workplace, kind="workplace", visited_on=ctx.today - dt.timedelta(days=3))],
        note="演示：社区核酸检测发现",
    )
    approved_at = ctx.at(ctx.today - dt.timedelta(days=1), 8)
    for area in result.proposals:
        control_area_approve(
            actor=commander, area=area, effective_from=approved_at, note="演示：昨日指挥部会议批准，今日补录"
        )
        ctx.count("areas")
    ctx.state.update(operation=operation, infection=result.infection, index=index)


# -------------------------------------------------------------------------------------------- workforce


def _workforce(ctx: _Ctx) -> None:
    """The volunteer demo login becomes a registered volunteer of the compound (worker_create), and the
    guards are that volunteer, the workers of the grid and cadre logins (when linked), plus up to six
    workers deployed to or based in the community, else the street (never its household representatives)."""
    from lianfang.workforce.models import Category, Deployment, Worker  # noqa: PLC0415
    from lianfang.workforce.services import worker_create  # noqa: PLC0415

    volunteer = Worker.objects.filter(user=ctx.users["volunteer"]).first() or worker_create(
        actor=ctx.users["community"],
        name="刘志愿",
        categories=[Category.VOLUNTEER],
        base_division=ctx.compound,
        user=ctx.users["volunteer"],
    )
    # the grid worker and stationed cadre logins' workers (create_demo_users links them) stand guard too
    logins = list(Worker.objects.filter(user__username__in=("grid", "cadre")).order_by("user__username"))
    pool: list = []
    for code in (ctx.community.code, ctx.street.code):  # the community's own people first
        deployed = Deployment.objects.filter(path__startswith=code, ends_on__isnull=True).values("worker")
        more = (
            Worker.objects.filter(Q(pk__in=deployed) | Q(path__startswith=code))
            .exclude(categories__category=Category.HOUSEHOLD_REPRESENTATIVE)
            .exclude(pk__in=[volunteer.pk, *(w.pk for w in logins), *(w.pk for w in pool)])
            .distinct()
            .order_by("pk")
        )
        pool.extend(more[: 6 - len(pool)])
    if len(pool) < 3:
        raise ScenarioError(too_few_workers(ctx.street.code, len(pool)))
    ctx.state["guards"] = [volunteer, *logins, *pool]


def too_few_workers(code: str, n: int) -> str:
    """The refusal when street ``code`` has fewer than 3 generated workers for the gate duty: "620103001
    has 1 worker: …" / "… has 2 workers: …" (ngettext: one plural form in zh-Hans)."""
    return ngettext(
        "%(code)s has %(n)d worker: the generated workforce is missing",
        "%(code)s has %(n)d workers: the generated workforce is missing",
        n,
    ) % {"code": code, "n": n}


# -------------------------------------------------------------------------------------------- screening


def _screening(ctx: _Ctx) -> None:
    """A round over the street opened at 07:00 (or 5 h ago): a site with two desks, door-to-door in the
    sealed compound, tubes closed, lab results with one positive pool and one invalid tube."""
    from lianfang.screening.models import SamplingTask, TaskKind  # noqa: PLC0415
    from lianfang.screening.services.results import ResultLine, results_record  # noqa: PLC0415
    from lianfang.screening.services.rounds import desk_create, round_open, site_create  # noqa: PLC0415
    from lianfang.screening.services.sampling import samples_register  # noqa: PLC0415
    from lianfang.screening.services.scans import Person  # noqa: PLC0415
    from lianfang.screening.services.tubes import tube_close  # noqa: PLC0415

    commander, officer = ctx.users["commander"], ctx.users["street"]
    opened = min(ctx.at(ctx.today, 7), ctx.ago(hours=5))
    rnd = round_open(actor=commander, name=ROUND_NAME, nodes=[ctx.street], at=opened)
    # the site: the compound of the street's second community (a precaution area: pooled at desks),
    # where the ``desk`` demo login volunteers (accounts.selectors.demo_places)
    site_node = demo_places(ctx.district)["site"]
    site = site_create(actor=officer, round=rnd, name=f"{site_node.short_name}广场采样点", division=site_node)
    desks = [desk_create(actor=officer, site=site, name=f"{n}号台", mode="pool_10") for n in (1, 2)]
    people = list(_residents(site_node.code))
    take = people[: max(10, (len(people) * 3 // 5) // 10 * 10)]  # three in five sampled, whole tubes
    serial = ctx.rng.randrange(100000, 900000)
    closed: list[str] = []
    step = dt.timedelta(minutes=1)
    # the desk tubes are spread over the round's morning so that every one was closed before the
    # lab reported (an hour ago) and none lies ahead of the clock, however many people the compound has
    first = opened + dt.timedelta(minutes=20)
    tubes = max(1, (len(take) + 9) // 10)
    spacing = min(step * 10, (ctx.ago(minutes=90) - first) / tubes)
    for i in range(0, len(take), 10):
        desk = desks[(i // 10) % 2]
        key = f"demo-{rnd.pk}-d{desk.pk}-{i // 10:04d}"
        taken = first + spacing * (i // 10)
        samples_register(
            actor=officer,
            persons=[Person(resident=r, name=r.name) for r in take[i : i + 10]],
            tube_key=key,
            idempotency_key=key,
            desk=desk,
            taken_at=taken,
        )
        barcode = f"QLH{serial + i // 10:07d}"
        tube_close(actor=officer, desk=desk, tube_key=key, barcode=barcode, at=taken + spacing)
        closed.append(barcode)
    ctx.count("samples", len(take))
    # door to door in the sealed compound: the first building's first households, tubed by the
    # task's mode (single: one person per tube; household: one household per tube)
    task = SamplingTask.objects.filter(round=rnd, kind=TaskKind.SEALED_BUILDING).order_by("path").first()
    door: list[str] = []
    if task is not None:
        households = list(
            Household.objects.filter(path__startswith=task.path).order_by("pk").values_list("pk", flat=True)
        )
        groups = []
        for hid in households[:6]:
            members = list(_residents_of(hid))
            groups.extend([members] if task.mode == "household" else [[m] for m in members])
        for n, group in enumerate(groups):
            key = f"demo-{rnd.pk}-t{task.pk}-{n:04d}"
            taken = opened + dt.timedelta(minutes=30 + 2 * n)
            samples_register(
                actor=ctx.users["grid"],
                persons=[Person(resident=r, name=r.name) for r in group],
                tube_key=key,
                idempotency_key=key,
                task=task,
                taken_at=taken,
            )
            barcode = f"QLH{serial + 5000 + n:07d}"
            tube_close(actor=ctx.users["grid"], task=task, tube_key=key, barcode=barcode, at=taken + step)
            door.append(barcode)
            ctx.count("samples", len(group))
    ctx.count("tubes", len(closed) + len(door))
    # the lab reports all but the last three desk tubes: one positive pool, one invalid tube
    reported = closed[:-3] + door
    positive, invalid = reported[1], reported[4]
    values = {positive: "阳性", invalid: "无效"}
    lines = [
        ResultLine(line=n, barcode=b, value=values.get(b, "阴性"), lab=LAB, reported=ctx.ago(hours=1))
        for n, b in enumerate(reported, start=1)
    ]
    batch = results_record(actor=commander, lines=lines, path=ctx.street.code, file_name="演示-检测结果.xlsx", lab=LAB)
    ctx.count("results", batch.counts["applied"])
    ctx.state.update(round=rnd, site=site, desks=desks)


# ---------------------------------------------------------------------------------------------- requests


def _requests(ctx: _Ctx) -> None:
    """Service requests in every status, two overdue, one emergency, and a medical exit pass."""
    from lianfang.assistance.models import Outcome  # noqa: PLC0415
    from lianfang.assistance.services.intake import service_request_create  # noqa: PLC0415
    from lianfang.assistance.services.lifecycle import (  # noqa: PLC0415
        service_request_accept,
        service_request_close,
        service_request_confirm,
        service_request_fulfil,
        service_request_start,
    )
    from lianfang.assistance.services.passes import exit_pass_issue  # noqa: PLC0415

    grid, staff = ctx.users["grid"], ctx.users["community"]
    rep_households = list(Household.objects.visible_to(ctx.users["representative"]).order_by("pk")[:4])
    others = list(Household.objects.filter(path__startswith=ctx.compound.code).order_by("pk"))
    ctx.rng.shuffle(others)
    pool = rep_households + [h for h in others if h not in rep_households]
    plan = [
        # (category, description, hours ago, how far it goes)
        ("groceries", "米面油和蔬菜，家中三口人", 26, "confirmed"),
        ("medicine", "降压药（硝苯地平）快吃完了", 5, "overdue_new"),
        ("groceries", "需要婴儿奶粉两罐", 3, "accepted"),
        ("medicine", "胰岛素需续药", 7, "overdue_progress"),
        ("other", "家中水管漏水，需要物业上门", 20, "fulfilled"),
        ("groceries", "已由亲属送达，无需再送", 30, "closed"),
        ("other", "独居老人需要代缴电费", 1, "new"),
        ("medical_trip", "每周三次血液透析（兰大二院）", 4, "pass"),
        ("emergency_medical", "老人胸闷气短，需要 120 转运", 0.5, "emergency"),
    ]
    made = {}
    for n, (category, text, hours, goal) in enumerate(plan):
        household = pool[n % len(pool)]
        resident = next(iter(_residents_of(household.pk)), None)
        ticket = service_request_create(
            actor=grid,
            household=household,
            category=category,
            description=text,
            resident=resident,
            at=ctx.ago(hours=hours),
        )
        made[goal] = ticket
        created = ctx.ago(hours=hours)
        if goal in ("confirmed", "accepted", "overdue_progress", "fulfilled", "pass"):
            service_request_accept(actor=grid, ticket=ticket, at=created + dt.timedelta(minutes=20))
        if goal in ("confirmed", "overdue_progress", "fulfilled"):
            service_request_start(actor=grid, ticket=ticket, at=created + dt.timedelta(minutes=40))
        if goal in ("confirmed", "fulfilled"):
            service_request_fulfil(actor=grid, ticket=ticket, note="志愿者已送达", at=created + dt.timedelta(hours=3))
        if goal == "confirmed":
            service_request_confirm(
                actor=grid, ticket=ticket, note="户主电话确认已收到", at=created + dt.timedelta(hours=4)
            )
        if goal == "closed":
            service_request_close(
                actor=grid,
                ticket=ticket,
                outcome=Outcome.NOT_NEEDED,
                note="亲属已送达",
                at=created + dt.timedelta(hours=1),
            )
        if goal == "pass":
            exit_pass_issue(
                actor=staff,
                ticket=ticket,
                resident=resident,
                destination="兰州大学第二医院",
                purpose="血液透析",
                vehicle="社区专车 甘A·D1234",
                first_day=ctx.today,
                days=6,
                every_days=2,
                window_start=dt.time(7, 0),
                window_end=dt.time(13, 0),
                at=created + dt.timedelta(hours=1),
            )
            ctx.count("exit_passes")
        ctx.count("requests")
    ctx.state["tickets"] = made


# ------------------------------------------------------------------------------------------- gate duty


def _duty(ctx: _Ctx) -> None:
    """Gates of the sealed compound, yesterday's and today's roster filled (each day's first shifts go to
    the demo logins' workers, so 我的值守 shows them), check-ins for the shifts that started, one shift
    of yesterday nobody checked in to (the tick flags it and alerts)."""
    from lianfang.fieldops.models import DutyShift  # noqa: PLC0415
    from lianfang.fieldops.selectors import gate_cover_q  # noqa: PLC0415
    from lianfang.fieldops.services.gates import (  # noqa: PLC0415
        duty_roster_generate,
        duty_shift_assign,
        duty_shift_check_in,
        duty_shift_check_out,
        gate_create,
    )
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    staff = ctx.users["community"]
    gates = [
        gate_create(actor=staff, division=ctx.compound, name="北门", kind="mixed"),
        gate_create(actor=staff, division=ctx.compound, name="南门", kind="pedestrian"),
    ]
    for day in (ctx.today - dt.timedelta(days=1), ctx.today):
        duty_roster_generate(actor=staff, code=ctx.compound.code, day=day)
    shifts = list(DutyShift.objects.filter(gate__in=gates).order_by("starts_at", "gate_id", "slot"))
    # only workers whose place covers the compound's gates may guard them (fieldops.selectors.gate_cover_q)
    covering = set(
        Worker.objects.filter(
            gate_cover_q(ctx.compound.code, on=ctx.today), pk__in=[w.pk for w in ctx.state["guards"]]
        ).values_list("pk", flat=True)
    )
    guards = [w for w in ctx.state["guards"] if w.pk in covering]
    missed_one = False
    of_day: dict[dt.date, int] = {}
    for shift in shifts:
        if shift.starts_at > ctx.now + dt.timedelta(hours=8):
            continue  # far ahead: left uncovered for the planner
        day = timezone.localdate(shift.starts_at)
        n = of_day[day] = of_day.get(day, -1) + 1  # each day starts with the demo logins' workers
        worker = guards[n % len(guards)]
        duty_shift_assign(actor=staff, shift=shift, worker=worker)
        shift.refresh_from_db()
        if shift.starts_at > ctx.now:
            continue
        if not missed_one and shift.ends_at <= ctx.now:
            missed_one = True  # nobody came: duty_missed_flag marks it missed and alerts
            continue
        duty_shift_check_in(actor=staff, shift=shift, at=shift.starts_at + dt.timedelta(minutes=3))
        ctx.count("check_ins")
        if shift.ends_at <= ctx.now:
            duty_shift_check_out(actor=staff, shift=shift, at=shift.ends_at)
    ctx.count("shifts", len(shifts))
    ctx.state["gates"] = gates


def _patrol(ctx: _Ctx) -> None:
    """Four checkpoints in the compound and a patrol this morning that missed one of them."""
    from lianfang.fieldops.services.patrols import (  # noqa: PLC0415
        checkpoint_create,
        patrol_round_finish,
        patrol_round_start,
        patrol_scan,
    )

    staff, grid = ctx.users["community"], ctx.users["grid"]
    points = [
        checkpoint_create(actor=staff, division=ctx.compound, name=name)
        for name in ("北门岗亭", "1号楼东侧", "垃圾集中点", "南门岗亭")
    ]
    start = ctx.ago(hours=2)
    patrol = patrol_round_start(actor=grid, division=ctx.compound, at=start)
    for n, point in enumerate(points[:3]):
        patrol_scan(actor=grid, checkpoint=point, at=start + dt.timedelta(minutes=6 * (n + 1)))
    patrol_round_finish(actor=grid, patrol=patrol, at=start + dt.timedelta(minutes=25))
    ctx.count("patrols")


def _contacts(ctx: _Ctx) -> None:
    """The index case's household members as close contacts, one neighbour as a secondary contact."""
    from lianfang.fieldops.services.screened import screened_person_create  # noqa: PLC0415

    staff = ctx.users["community"]
    index = ctx.state["index"]
    infection = ctx.state["infection"]
    exposure = ctx.today - dt.timedelta(days=2)
    close = []
    for r in _residents_of(index.household_id):
        if r.pk == index.pk:
            continue
        close.append(
            screened_person_create(
                actor=staff,
                district=ctx.district,
                category="close_contact",
                name=r.name,
                resident=r,
                household=r.household,
                infection=infection,
                last_exposure_on=exposure,
            )
        )
    neighbours = [r for r in _residents(index.household.path) if r.household_id != index.household_id] or [
        r for r in _residents(ctx.compound.code) if r.household_id != index.household_id
    ]
    neighbour = neighbours[0]
    # a neighbour met a close contact (secondary), or the index case when it lived alone (close)
    link = {"category": "secondary_contact", "source_contact": close[0], "infection": None} if close else {}
    screened_person_create(
        actor=staff,
        district=ctx.district,
        **{"category": "close_contact", "infection": infection, **link},
        name=neighbour.name,
        resident=neighbour,
        household=neighbour.household,
        last_exposure_on=exposure,
    )
    ctx.count("contacts", len(close) + 1)


def _monitoring(ctx: _Ctx) -> None:
    """Three residents under home monitoring; today's readings, one with a fever (abnormal)."""
    from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start  # noqa: PLC0415

    grid = ctx.users["grid"]
    index = ctx.state["index"]
    chosen = [r for r in _residents(ctx.compound.code) if r.household_id != index.household_id and r.elderly_alone]
    chosen = (chosen + [r for r in _residents(ctx.compound.code) if r.household_id != index.household_id])[:3]
    for n, resident in enumerate(chosen):
        monitoring = home_monitoring_start(
            actor=grid,
            household=resident.household,
            resident=resident,
            starts_on=ctx.today - dt.timedelta(days=1),
            ends_on=ctx.today + dt.timedelta(days=5),
            reason="演示：密接同楼居民",
        )
        temperature = "38.2" if n == 0 else "36.5"
        symptoms = ["cough"] if n == 0 else []
        health_check_in_record(
            actor=grid,
            monitoring=monitoring,
            temperature=temperature,
            symptoms=symptoms,
            at=min(ctx.now, ctx.at(ctx.today, 8, 30 + n)),
        )
        ctx.count("check_in_readings")


def _disinfection(ctx: _Ctx) -> None:
    """The sealed compound's public areas scheduled by its tier; a log for each this morning."""
    from lianfang.fieldops.models import DisinfectionSchedule  # noqa: PLC0415
    from lianfang.fieldops.services.disinfection import disinfection_log_record, disinfection_schedules_generate  # noqa: PLC0415

    staff, grid = ctx.users["community"], ctx.users["grid"]
    disinfection_schedules_generate(actor=staff, code=ctx.compound.code, on=ctx.today)
    schedules = list(DisinfectionSchedule.objects.filter(division=ctx.compound).order_by("pk"))
    for n, schedule in enumerate(schedules[:3]):
        disinfection_log_record(
            actor=grid,
            schedule=schedule,
            performed_by="消杀队 王师傅",
            agent="含氯消毒剂",
            concentration_mg_l=500,
            done_at=min(ctx.now, ctx.at(ctx.today, 7, 10 * n)),
        )
        ctx.count("disinfections")


def _notice(ctx: _Ctx) -> None:
    """A published notice to the sealed area."""
    from lianfang.fieldops.services.notices import notice_create, notice_publish  # noqa: PLC0415

    notice = notice_create(
        actor=ctx.users["community"],
        title="关于西站家园实行封控管理的通告",
        body="自即日起，西站家园实行封控管理，居民足不出户、服务上门。核酸检测由工作人员上门采样，"
        "生活物资和就医需求请通过户码或联户代表提交。",
        division=ctx.compound,
    )
    notice_publish(actor=ctx.users["community"], notice=notice)
    ctx.count("notices")


def _ticks(ctx: _Ctx) -> None:
    """Run the apps' recurring work once at ``now``: escalations, missed check-ins, area clocks."""
    from lianfang.assistance.services.escalation import requests_tick  # noqa: PLC0415
    from lianfang.fieldops.services.gates import duty_missed_flag  # noqa: PLC0415
    from lianfang.screening.services.tick import screening_tick  # noqa: PLC0415
    from lianfang.zones.services import zone_tick  # noqa: PLC0415

    requests_tick(now=ctx.now)
    flagged = duty_missed_flag(now=ctx.now)
    ctx.count("missed_check_ins", flagged["missed"])
    screening_tick(at=ctx.now)
    zone_tick(on=ctx.now)


# ---------------------------------------------------------------------------------------------- helpers


def _residents(code: str):
    """Living residents under division ``code``, in primary-key order."""
    return Resident.objects.filter(path__startswith=code, is_deceased=False).select_related("household").order_by("pk")


def _residents_of(household_id: int):
    return (
        Resident.objects.filter(household_id=household_id, is_deceased=False).select_related("household").order_by("pk")
    )
