"""Workforce list filters naming a worker or household out of the caller's scope answer 400 naming the
parameter and the value, like the other list APIs; ids in scope filter as before."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _names(response, key="worker_name"):
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


def _error(response, parameter):
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [parameter]
    return body[parameter][0]


def test_community_cadre_naming_another_communitys_worker_or_household(grid, community_staff, api_for):
    api = api_for(community_staff)  # 下西园: staff_b (上西园) and h3 (上西园) are out of scope
    staff_b, h3 = grid["staff_b"].pk, grid["h3"].pk
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    assert _error(api.get("/api/v1/assignments/", {"worker": staff_b}, **en), "worker") == (
        f"“{staff_b}” is not the id of a worker you may see"
    )
    assert _error(api.get("/api/v1/assignments/", {"household": h3}, **en), "household") == (
        f"“{h3}” is not the id of a household you may see"
    )
    assert _error(api.get("/api/v1/deployments/", {"worker": staff_b}, **en), "worker").startswith(f"“{staff_b}”")
    assert _error(api.get("/api/v1/teams/", {"member": staff_b}, **en), "member").startswith(f"“{staff_b}”")
    zh = api.get("/api/v1/deployments/", {"worker": staff_b}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _error(zh, "worker") == f"“{staff_b}”不是您可查看的工作人员的编号"
    for value in ["999999", "0", "x"]:  # nonexistent or not an id
        assert value in _error(api.get("/api/v1/deployments/", {"worker": value}), "worker")


def test_ids_in_scope_filter_as_before(grid, community_staff, street_officer, api_for):
    from lianfang.workforce import services

    api = api_for(community_staff)
    assert _names(api.get("/api/v1/assignments/", {"worker": grid["staff_a"].pk})) == ["孙社工"]
    assert _names(api.get("/api/v1/assignments/", {"household": grid["h1"].pk})) == ["吴代表"]
    assert _names(api.get("/api/v1/deployments/", {"worker": grid["cadre"].pk})) == ["钱干部"]
    services.team_create(actor=None, name="志愿服务队", base_division=grid["xia"], leader=grid["staff_a"])
    assert _names(api.get("/api/v1/teams/", {"member": grid["staff_a"].pk}), key="name") == ["志愿服务队"]
    # the street sees both communities: 上西园's worker is a plain filter for it
    street = api_for(street_officer)
    assert _names(street.get("/api/v1/assignments/", {"worker": grid["staff_b"].pk})) == ["周网格"]
    assert _names(street.get("/api/v1/deployments/", {"worker": grid["staff_b"].pk})) == ["周网格"]


def test_pages_answer_400_for_a_foreign_worker(grid, community_staff, client_for):
    client = client_for(community_staff)
    staff_b = grid["staff_b"].pk
    response = client.get("/workforce/assignments/", {"worker": staff_b}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f"“{staff_b}” is not the id of a worker you may see" in response.content.decode()
    assert client.get("/workforce/assignments/", {"worker": grid["staff_a"].pk}).status_code == 200


def test_representative_filters_their_households_by_community_and_compound(grid, representative, api_for):
    """A household representative sees households, not divisions: the community and compound of their
    households are still codes they may filter by; another community's is a 400."""
    api = api_for(representative)
    mine = {grid["h1"].pk, grid["h2"].pk}
    for params in [{}, {"community": "620103001001"}, {"compound": grid["compound_a"].code}]:
        response = api.get("/api/v1/households/", params)
        assert response.status_code == 200, (params, response.content)
        assert {row["id"] for row in response.json()["results"]} == mine, params
    assert _error(api.get("/api/v1/households/", {"community": "620103001002"}), "community")
    assert _error(api.get("/api/v1/residents/", {"household": grid["h3"].pk}), "household")
