"""Fixtures for the screening tests: a round over 西园街道's two communities of the shared
``population`` (7 residents), a site and desks, and a helper to submit like the desk page does."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def forget_desk_api_memory():
    """The desk API remembers tokens and desks per process for a few seconds; ids repeat across
    tests (rolled back), so every test starts with an empty memory."""
    from lianfang.screening.api import views

    views.DeskTokenAuthentication._known.clear()
    views._desks.clear()


@pytest.fixture(autouse=True)
def shipped_rules(db):
    """The shipped zones and screening rule sets (restored when a transactional test flushed them)."""
    from lianfang.screening.services.base import ensure_shipped_rules
    from lianfang.zones.shipped import ensure_shipped_rule_sets

    ensure_shipped_rule_sets()
    ensure_shipped_rules()


@pytest.fixture
def street(qilihe):
    from lianfang.divisions.models import Division

    return Division.objects.get(code="620103001")


@pytest.fixture
def rnd(population, district_commander, street):
    """An open round over 下西园 and 上西园 (the 7 residents of ``population``)."""
    from lianfang.divisions.models import Division
    from lianfang.screening.services.rounds import round_open

    nodes = list(Division.objects.filter(code__in=["620103001001", "620103001002"]))
    return round_open(actor=district_commander, name="第1轮", nodes=nodes)


@pytest.fixture
def site(rnd, population, district_commander):
    from lianfang.screening.services.rounds import site_create

    return site_create(actor=district_commander, round=rnd, name="阳光小区采样点", division=population["compound_a"])


def make_desk(site, actor, name="1号台", mode="pool_10"):
    from lianfang.screening.services.rounds import desk_create

    return desk_create(actor=actor, site=site, name=name, mode=mode)


@pytest.fixture
def desk(site, district_commander):
    return make_desk(site, district_commander)


def key() -> str:
    return uuid.uuid4().hex


def submit(actor, station, kind, value="", tube="tube-0001", **extra):
    """Submit one event as the desk page does; returns (status, body)."""
    from lianfang.screening.models import SamplingDesk
    from lianfang.screening.services.desk import desk_submit

    payload = {"key": extra.pop("key", None) or key(), "kind": kind, "value": value, "tube": tube, **extra}
    if isinstance(station, SamplingDesk):
        return desk_submit(actor=actor, desk=station, payload=payload)
    return desk_submit(actor=actor, task=station, payload=payload)


def stranger_id(n: int | None = None) -> str:
    """A valid ID number of someone not in the registry."""
    from lianfang.core.idnumber import make

    return make("620102", dt.date(1980, 1, 1), (n or next(_counter)) % 1000)


def close(actor, station, tube, barcode):
    return submit(actor, station, "close", barcode, tube=tube)
