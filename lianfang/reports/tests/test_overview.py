"""The command overview: numbers equal independent counts, every number drills down to its records,
aggregates are cached until a write, query budgets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.reports import overview
from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(screening_scene, requests_scene, field_scene):
    return screening_scene


def _card(html: str, key: str) -> tuple[str, str | None]:
    """(number, link) of the overview card ``key``."""
    pattern = rf'data-testid="card-{key}">.*?(?:<a class="big" href="([^"]+)" )?data-testid="n-{key}">([^<]+)<'
    found = re.search(pattern, html, re.S)
    assert found, f"card {key} missing"
    return found.group(2).strip(), found.group(1)


def test_overview_numbers_equal_the_rows(everything, district_commander):
    from lianfang.assistance.models import ServiceRequest
    from lianfang.registry.models import Resident
    from lianfang.screening.models import RoundMember

    s = everything
    data = overview.build(user=district_commander, division=s["street"])
    assert data["population"]["residents"] == Resident.objects.filter(path__startswith=XIYUAN).count()
    sealed = next(t for t in data["tiers"]["tiers"] if t["key"] == "sealed")
    assert sealed["residents"] == Resident.objects.filter(path__startswith=s["compound_a"].code).count()
    rnd = data["round"]["round"]
    assert (
        rnd["missed"]
        == RoundMember.objects.filter(round=s["round"], result="", exemption="", awaiting_home_visit=False).count()
    )
    assert [p["code"] for p in data["round"]["places"]][:1] == [XIA]  # most missed first
    assert data["pools"]["counts"]["open"] == 1 and [r["barcode"] for r in data["pools"]["rows"]] == ["P-0001"]
    now = timezone.now()
    open_ = ServiceRequest.objects.filter(status__in=["new", "accepted", "in_progress"])
    expected = (open_.count(), open_.filter(due_at__lt=now).count())
    assert (data["requests"]["open"], data["requests"]["overdue"]) == expected
    assert (data["gates"]["gates"], data["gates"]["needs_duty"], data["gates"]["uncovered"]) == (1, 1, 1)
    assert data["gates"]["uncovered_hours"] == 24.0
    assert data["workforce"]["totals"]["total"] == 3


def test_every_number_drills_down_to_its_records(everything, client_for, district_commander):
    client = client_for(district_commander)
    html = client.get(f"{reverse('reports:overview')}?code={XIYUAN}").content.decode()
    for key in (
        "households",
        "residents",
        "tier-sealed",
        "infections-today",
        "round-missed",
        "pools-awaiting",
        "pools-overdue",
        "requests-open",
        "requests-overdue",
        "gates-uncovered",
        "deployed",
    ):
        number, url = _card(html, key)
        assert url, f"{key} has no drill-down"
        page = client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200, (key, url)
    # the records pages list exactly the counted rows
    _n, url = _card(html, "gates-uncovered")
    page = client.get(url.replace("&amp;", "&")).content.decode()
    assert "东门" in page and 'data-testid="row-count">1' in page
    number, url = _card(html, "pools-awaiting")
    page = client.get(url.replace("&amp;", "&")).content.decode()
    assert number == "1" and "P-0001" in page


def test_the_overview_is_cached_until_a_write(everything, district_commander, django_assert_max_num_queries):
    from lianfang.zones.services import infection_record

    s = everything
    first = overview.build(user=district_commander, division=s["street"])
    with django_assert_max_num_queries(2):  # every section from the cache
        again = overview.build(user=district_commander, division=s["street"])
    assert again == first
    infection_record(
        actor=district_commander,
        operation=s["operation"],
        positive_sample_on=s["day"],
        household=s["h3"],
        person_name="王五",
        propose=False,
    )
    fresh = overview.build(user=district_commander, division=s["street"])
    assert fresh["infections"]["on_day"] == first["infections"]["on_day"] + 1


def test_the_page_may_serve_figures_a_few_seconds_old(everything, district_commander):
    """Inside the staleness window (the page and its API) a write is seen once the window has passed;
    outside it at once. The page says how old its oldest figure is."""
    from lianfang.reports import cache
    from lianfang.zones.services import infection_record

    s = everything
    first, figures_at = overview.build_tolerant(user=district_commander, division=s["street"])
    assert abs((timezone.now() - figures_at).total_seconds()) < 60
    infection_record(
        actor=district_commander,
        operation=s["operation"],
        positive_sample_on=s["day"],
        household=s["h3"],
        person_name="王五",
        propose=False,
    )
    with cache.tolerate(600):
        stale = overview.build(user=district_commander, division=s["street"])
    assert stale["infections"]["on_day"] == first["infections"]["on_day"]
    with cache.tolerate(0):
        fresh = overview.build(user=district_commander, division=s["street"])
    assert fresh["infections"]["on_day"] == first["infections"]["on_day"] + 1


def test_a_status_change_by_conditional_update_invalidates_too(everything, district_commander):
    """follow_up_step_done changes the step with a conditional update (no model signal): its audit
    entry invalidates the screening figures."""
    from lianfang.screening.models import PoolFollowUpStep
    from lianfang.screening.services.follow_ups import follow_up_step_done

    s = everything
    PoolFollowUpStep.objects.filter(kind="isolate").update(due_at=timezone.now() - dt.timedelta(hours=1))
    from lianfang.reports import cache

    cache.clear()
    assert overview.build(user=district_commander, division=s["street"])["pools"]["counts"]["overdue"] == 1
    follow_up_step_done(actor=district_commander, step=PoolFollowUpStep.objects.get(kind="isolate"), note="done")
    assert overview.build(user=district_commander, division=s["street"])["pools"]["counts"]["overdue"] == 0


def test_overview_page_query_budget(everything, client_for, district_commander, django_assert_max_num_queries):
    client = client_for(district_commander)
    url = f"{reverse('reports:overview')}?code=620103"
    with django_assert_max_num_queries(120):
        cold = client.get(url)
    assert cold.status_code == 200
    with django_assert_max_num_queries(12):
        warm = client.get(url)
    assert warm.status_code == 200 and "阳光小区" in warm.content.decode() or "封控区" in warm.content.decode()


def test_places_navigate_the_hierarchy(everything, client_for, district_commander):
    client = client_for(district_commander)
    html = client.get(reverse("reports:overview")).content.decode()
    assert 'data-testid="overview-division">七里河区<' in html
    assert f'data-testid="child-{XIYUAN}"' in html
    community = client.get(f"{reverse('reports:overview')}?code={XIA}").content.decode()
    _n, _u = _card(community, "residents")
    assert _n == "7"


def test_reads_recorded_in_the_audit_log_keep_the_cached_figures(everything, district_commander):
    """A reveal, an export or a search is audited but changes no figure: the registry section keeps
    its version; a write recorded there (an import queued) bumps it."""
    from lianfang.core import audit
    from lianfang.reports import cache

    before = cache.versions(["registry"])
    for action in ("view_pii", "export", "registry.search"):
        audit.record(actor=district_commander, action=action, obj=everything["h3"])
    assert cache.versions(["registry"]) == before
    audit.record(actor=district_commander, action="registry.household_update", obj=everything["h3"])
    assert cache.versions(["registry"]) != before
