"""The workforce API: scoped lists, filters, masked personal data, the coverage endpoint."""

from __future__ import annotations

import pytest

from lianfang.workforce import services
from lianfang.workforce.tests.conftest import DAY

pytestmark = pytest.mark.django_db


def _results(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_workers_endpoint(grid, community_staff, outsider, api_for):
    api = api_for(community_staff)
    rows = _results(api, "/api/v1/workers/")
    assert {r["name"] for r in rows} == {"郑书记", "钱干部", "孙社工", "吴代表"}
    rep = next(r for r in rows if r["name"] == "吴代表")
    assert rep["phone"] == "139****0005" and rep["id_number"] == "6201**********0013"
    assert rep["categories"] == ["household_representative"] and rep["base_division"] == grid["compound_a"].code
    cadres = _results(api, "/api/v1/workers/", category="city_cadre", deployed_within="620103001001", on="2022-03-27")
    assert [r["name"] for r in cadres] == ["钱干部"]
    assert _results(api, "/api/v1/workers/", category="city_cadre", on="2022-03-01") == []
    assert api.get("/api/v1/workers/", {"within": "x"}).status_code == 400
    assert _results(api_for(outsider), "/api/v1/workers/") == []
    assert api_for(outsider).get(f"/api/v1/workers/{grid['cadre'].pk}/").status_code == 404


def test_assignments_endpoint_filters(grid, street_officer, other_community_staff, outsider, api_for):
    api = api_for(street_officer)
    assert len(_results(api, "/api/v1/assignments/")) == 7
    l4 = _results(api, "/api/v1/assignments/", level=4)
    assert {r["household"] for r in l4} == {grid["h1"].pk, grid["h2"].pk}
    assert {r["worker_name"] for r in l4} == {"吴代表"}
    assert len(_results(api, "/api/v1/assignments/", within="620103001002")) == 2  # L1 and L3 of 上西园
    assert len(_results(api, "/api/v1/assignments/", worker=grid["leader"].pk)) == 2
    assert _results(api, "/api/v1/assignments/", on="2022-03-19") == []
    assert len(_results(api, "/api/v1/assignments/", on="2022-03-27", level=1)) == 2
    assert len(_results(api_for(other_community_staff), "/api/v1/assignments/")) == 2
    assert _results(api_for(outsider), "/api/v1/assignments/") == []


def test_deployments_and_teams(grid, community_staff, outsider, api_for):
    team = services.team_create(actor=None, name="志愿服务队", base_division=grid["xia"], leader=grid["staff_a"])
    api = api_for(community_staff)
    deployments = _results(api, "/api/v1/deployments/", on="2022-03-27")
    assert {(d["worker_name"], d["division"]) for d in deployments} == {
        ("钱干部", "620103001001"),
        ("孙社工", "620103001001"),
    }
    teams = _results(api, "/api/v1/teams/")
    assert teams == [
        {
            "id": team.pk,
            "name": "志愿服务队",
            "base_division": "620103001001",
            "leader": grid["staff_a"].pk,
            "members": [grid["staff_a"].pk],
            "duties": "",
        }
    ]
    assert _results(api_for(outsider), "/api/v1/deployments/") == []
    assert _results(api_for(outsider), "/api/v1/teams/") == []


def test_coverage_endpoint(grid, street_officer, community_staff, outsider, api_for):
    response = api_for(street_officer).get("/api/v1/coverage/", {"on": DAY.isoformat()})
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == "620103001" and data["rule_set"] == "qilihe-2022"
    assert data["totals"]["households_without_l4"] == 1 and data["totals"]["gaps"] == {"l1": 0, "l2": 1, "l3": 0}
    rows = {r["code"]: r for r in data["rows"]}
    assert rows["620103001002"]["households_without_l4"] == 1
    assert api_for(community_staff).get("/api/v1/coverage/", {"code": "620103001"}).status_code == 404
    assert api_for(outsider).get("/api/v1/coverage/").status_code == 404
    assert api_for(street_officer).get("/api/v1/coverage/", {"on": "27.03.2022"}).status_code == 400
