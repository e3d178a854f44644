"""API: overview numbers, the daily report, closing a day, trends, layouts and their rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db


def test_overview_numbers_and_links(screening_scene, requests_scene, api_for, district_commander):
    api = api_for(district_commander)
    data = api.get(f"/api/v1/reports/overview/?code={XIYUAN}").json()
    assert data["division"]["code"] == XIYUAN and data["population"] == {"households": 5, "residents": 10}
    assert data["round"]["round"]["expected"] == 10 and data["pools"]["counts"]["open"] == 1
    assert (data["requests"]["open"], data["requests"]["overdue"]) == (2, 1)
    assert data["links"]["round_missed"].startswith("/screening/rounds/")
    assert data["links"]["pools_awaiting"].startswith("/reports/records/positive_pools/")
    default = api.get("/api/v1/reports/overview/").json()
    assert default["division"]["code"] == "620103"


def test_daily_report_and_closing(screening_scene, api_for, district_commander, community_staff):
    from lianfang.screening.models import PoolFollowUpStep

    day = screening_scene["day"].isoformat()
    api = api_for(district_commander)
    body = api.get(f"/api/v1/reports/daily/?code={XIYUAN}&date={day}").json()
    assert body["status"] == "open" and body["blockers"] == []
    assert body["report"]["testing"]["rounds"][0]["sampled"] == 4
    assert "As of" in body["report"]["paragraph"]["en"]
    PoolFollowUpStep.objects.filter(kind="retest").update(due_at=timezone.now() - dt.timedelta(minutes=1))
    blocked = api.get(f"/api/v1/reports/daily/?code={XIYUAN}&date={day}").json()
    assert [(b["tube"], b["reason"]) for b in blocked["blockers"]] == [("P-0001", "overdue")]
    refused = api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day}, format="json")
    assert refused.status_code == 400 and "P-0001" in str(refused.json())
    assert api_for(community_staff).post("/api/v1/reports/daily/close/", {"code": XIA, "date": day}).status_code == 403
    PoolFollowUpStep.objects.filter(kind="retest").update(due_at=timezone.now() + dt.timedelta(hours=1))
    closed = api.post("/api/v1/reports/daily/close/", {"code": XIYUAN, "date": day, "note": "ok"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    listed = api.get("/api/v1/reports/days/").json()
    assert listed["count"] == 1 and listed["results"][0]["code"] == XIYUAN
    detail = api.get(f"/api/v1/reports/days/{listed['results'][0]['id']}/").json()
    assert detail["snapshot"]["population"]["residents"] == 10
    again = api.get(f"/api/v1/reports/daily/?code={XIYUAN}&date={day}").json()
    assert again["status"] == "closed" and again["report"] == detail["snapshot"]


def test_bad_parameters(scene, api_for, district_commander):
    api = api_for(district_commander)
    assert api.get("/api/v1/reports/daily/?date=yesterday").status_code == 400
    assert api.get("/api/v1/reports/daily/?date=2999-01-01").status_code == 400
    assert api.get("/api/v1/reports/trends/?days=1").status_code == 400
    assert api.get("/api/v1/reports/overview/?code=9x").status_code == 400
    assert api.get("/api/v1/reports/overview/?code=99").status_code == 400  # digits: a code, not one in scope
    assert api.post("/api/v1/reports/daily/close/", {"code": XIYUAN}, format="json").status_code == 400


def test_trends(scene, api_for, district_commander):
    data = api_for(district_commander).get(f"/api/v1/reports/trends/?code={XIYUAN}&days=7").json()
    assert len(data["dates"]) == 7 and data["dates"][-1] == scene["day"].isoformat()
    assert data["infections"][-1] == 1 and data["infections"][-3] == 1 and sum(data["infections"]) == 2
    assert data["workforce"] == [3] * 7


def test_layouts_and_rows(field_scene, api_for, district_commander, community_staff, street_officer):
    from lianfang.core.models import AuditEntry

    api = api_for(district_commander)
    keys = {row["key"] for row in api.get("/api/v1/reports/layouts/").json()["results"]}
    assert {"health-commission-daily", "police-returnee-list", "control-area-list"} <= keys
    rows = api.get(f"/api/v1/reports/layouts/health-commission-daily/rows/?code={XIYUAN}").json()
    by_community = {r[1]: r for r in rows["rows"]}
    assert by_community["下西园社区"][2:4] == [4, 7] and by_community["上西园社区"][2:4] == [1, 3]
    assert rows["totals"][2:4] == [5, 10]
    police = api.get(f"/api/v1/reports/layouts/police-returnee-list/rows/?code={XIYUAN}").json()
    assert sorted(r[0] for r in police["rows"]) == ["孙*客", "赵*乡", "钱*乡"]
    assert AuditEntry.objects.filter(action="export", object_id="police-returnee-list").count() == 1
    # counts only (health commission's form): a report download, not an export of personal data
    assert AuditEntry.objects.filter(action="reports.export", object_id="health-commission-daily").count() == 1
    # exporting personal data needs the EXPORT capability (a grid worker has none)
    from lianfang.conftest import _user

    grid = _user("grid", "grid_worker", XIA)
    assert api_for(grid).get(f"/api/v1/reports/layouts/police-returnee-list/rows/?code={XIA}").status_code == 403
    assert api_for(grid).get(f"/api/v1/reports/layouts/control-area-list/rows/?code={XIA}").status_code == 200


def full_width(code: str) -> str:
    """``code`` typed with a Chinese input method: ``620103`` → ``６２０１０３``."""
    return code.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})


def test_a_code_of_full_width_digits_reads_as_the_code(scene, api_for, client_for, district_commander):
    """The API's ``code`` (query and body) and the close/reopen forms read full-width digits as the
    code (core.filters.normalize_code); they were “not a division code”. Anything else is still refused."""
    from lianfang.reports.models import DailyReport

    api = api_for(district_commander)
    day = scene["day"].isoformat()
    overview = api.get(f"/api/v1/reports/overview/?code={full_width(XIYUAN)}")
    assert overview.status_code == 200 and overview.json()["division"]["code"] == XIYUAN
    refused = api.get("/api/v1/reports/overview/?code=６２Ｘ", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.json() == {"code": ["“62X” is not a division code (1 to 20 digits)"]}
    closed = api.post("/api/v1/reports/daily/close/", {"code": full_width(XIYUAN), "date": day}, format="json")
    assert closed.status_code == 200 and closed.json()["code"].endswith(XIYUAN)
    client = client_for(district_commander)
    reopened = client.post(
        reverse("reports:daily_reopen"),
        {"code": full_width(XIYUAN), "date": day, "reason": "late_data", "note": "补报"},
    )
    assert reopened.status_code == 302
    assert DailyReport.objects.get().status == "open"
