"""New-user trial: a workers search by name is a people search and is audited (registry.search, the
query masked), page and API; the sheet export is logged as what it is (a sheet of counts), not as
an export of personal data."""

from __future__ import annotations

import pytest

from lianfang.core.models import AuditEntry
from lianfang.workforce.tests.conftest import DAY

pytestmark = pytest.mark.django_db


def _searches():
    return list(AuditEntry.objects.filter(action="registry.search").order_by("id"))


def test_workers_search_by_name_is_audited_once_on_page_and_api(grid, community_staff, client_for, api_for):
    client = client_for(community_staff)
    assert client.get("/workforce/workers/").status_code == 200
    assert client.get("/workforce/workers/", {"category": "community_staff"}).status_code == 200
    assert _searches() == []  # a plain or filtered list is no search
    response = client.get("/workforce/workers/", {"q": "孙社工"})
    assert response.status_code == 200 and "孙社工" in response.content.decode()
    (entry,) = _searches()
    assert entry.actor == community_staff and entry.division_code == "620103001001"
    assert entry.detail["results"] == 1 and entry.detail["where"] == "page:workforce.workers"
    assert set(entry.detail["query"]) == {"q"}
    response = api_for(community_staff).get("/api/v1/workers/", {"q": "孙"})
    assert response.status_code == 200
    entry = _searches()[-1]
    assert (entry.detail["where"], entry.detail["results"]) == ("api:workforce-workers", response.json()["count"])
    assert len(_searches()) == 2
    assert client.get("/workforce/workers/", {"q": "孙", "within": "x"}).status_code == 400
    assert len(_searches()) == 2  # a bad filter searches and audits nothing


def test_sheet_export_is_logged_as_a_sheet_of_counts(grid, street_officer, client_for):
    response = client_for(street_officer).get("/workforce/sheet/export/", {"code": "620103001", "on": DAY.isoformat()})
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="export").exists()
    entry = AuditEntry.objects.get(action="workforce.sheet_export")
    assert (entry.object_type, entry.object_id, entry.detail) == (
        "workforce.sheet",
        "620103001",
        {"on": DAY.isoformat(), "format": "xlsx"},
    )
