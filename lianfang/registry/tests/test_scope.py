"""Scope on every surface: pages, API, admin. Deny by default; out of scope → 404."""

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry


def detail_urls(population):
    return [
        reverse("registry:household", args=[population["h1"].pk]),
        reverse("registry:resident", args=[population["张三"].pk]),
        reverse("divisions:detail", args=["620103001001"]),
        reverse("divisions:detail", args=[population["compound_a"].code]),
        reverse("api:household-detail", args=[population["h1"].pk]),
        reverse("api:resident-detail", args=[population["张三"].pk]),
        reverse("api:division-detail", args=["620103001001"]),
        reverse("api:division-shape", args=["620103001001"]),
    ]


LIST_APIS = ["api:household-list", "api:resident-list", "api:division-list"]


@pytest.mark.django_db
def test_outsider_gets_404_on_every_detail_and_empty_lists(population, outsider, client_for, api_for):
    client = client_for(outsider)
    for url in detail_urls(population):
        assert client.get(url).status_code == 404, url
    api = api_for(outsider)
    for name in LIST_APIS:
        body = api.get(reverse(name)).json()
        assert body["count"] == 0 and body["results"] == [], name
    assert client.get(reverse("registry:search"), {"q": "张"}).context["page"].paginator.count == 0
    assert client.get(reverse("registry:my_households")).context["households"].paginator.count == 0
    assert client.get(reverse("home")).status_code == 403  # "no role assigned"


@pytest.mark.django_db
def test_outsider_staff_flag_gives_empty_admin(population, outsider, client_for):
    outsider.is_staff = True
    outsider.save()
    from django.contrib.auth.models import Permission

    outsider.user_permissions.set(Permission.objects.filter(codename__in=["view_household", "view_resident"]))
    client = client_for(outsider)
    page = client.get("/admin/registry/household/")
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    assert client.get(f"/admin/registry/resident/{population['张三'].pk}/change/").status_code in (302, 404)


@pytest.mark.django_db
def test_community_staff_sees_only_their_community(population, community_staff, client_for, api_for):
    client = client_for(community_staff)
    assert client.get(reverse("registry:household", args=[population["h1"].pk])).status_code == 200
    assert client.get(reverse("registry:household", args=[population["h3"].pk])).status_code == 404
    assert client.get(reverse("divisions:detail", args=["620103001002"])).status_code == 404
    assert client.get(reverse("divisions:detail", args=["620103001"])).status_code == 404  # the street above
    api = api_for(community_staff)
    households = api.get(reverse("api:household-list")).json()
    assert households["count"] == 2
    assert {h["community"] for h in households["results"]} == {"620103001001"}
    residents = api.get(reverse("api:resident-list")).json()
    assert residents["count"] == 4
    assert {r["name"] for r in residents["results"]} == {"张三", "张小明", "李四", "赵丽"}
    # filters cannot widen the scope
    outside = api.get(reverse("api:resident-list"), {"within": "620103001002"}, HTTP_ACCEPT_LANGUAGE="en")
    assert outside.status_code == 400  # not an empty list: the parameter and the value are named
    assert outside.json() == {"within": ["“620103001002” is not the code of a division you may see"]}
    assert api.get(reverse("api:division-list"), {"level": 5}).json()["count"] == 1


@pytest.mark.django_db
def test_commander_sees_the_district_with_counts(population, district_commander, client_for, api_for):
    client = client_for(district_commander)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("divisions:detail", args=["620103"])
    page = client.get(response.url)
    assert page.context["totals"] == {"households": 3, "residents": 7, "vulnerable": 4}
    rows = {child.code: counts for child, counts in page.context["rows"]}
    assert len(rows) == 15
    assert rows["620103001"] == {"households": 3, "residents": 7, "vulnerable": 4}
    assert rows["620103100"] == {"households": 0, "residents": 0, "vulnerable": 0}
    api = api_for(district_commander)
    streets = api.get(reverse("api:division-list"), {"parent": "620103"}).json()
    assert streets["count"] == 15
    first = streets["results"][0]
    assert first == {
        "code": "620103001",
        "name": "西园街道",
        "short_name": "西园街道",
        "level": 4,
        "kind": "street",
        "parent": "620103",
        "is_official": True,
    }
    towns = api.get(reverse("api:division-list"), {"within": "620103", "kind": "town"}).json()
    assert towns["count"] == 5


@pytest.mark.django_db
def test_masked_by_default_and_reveal_is_audited(population, community_staff, other_community_staff, client_for):
    client = client_for(community_staff)
    resident = population["张三"]
    page = client.get(reverse("registry:resident", args=[resident.pk])).content.decode()
    assert "1101**********002X" in page and "11010519491231002X" not in page
    assert "138****5678" in page and "13812345678" not in page
    url = reverse("registry:reveal", args=["resident", resident.pk, "id"])
    before = AuditEntry.objects.filter(action="view_pii").count()
    response = client.post(url, {"reason": "call back"})
    assert response.status_code == 200 and "11010519491231002X" in response.content.decode()
    entry = AuditEntry.objects.filter(action="view_pii").latest("id")
    assert AuditEntry.objects.filter(action="view_pii").count() == before + 1
    assert (entry.actor, entry.object_type, entry.object_id, entry.detail["field"], entry.division_code) == (
        community_staff,
        "registry.resident",
        str(resident.pk),
        "id",
        resident.path,
    )
    # another community's staff: 404, and nothing revealed or logged
    other = client_for(other_community_staff)
    assert other.post(url).status_code == 404
    assert AuditEntry.objects.filter(action="view_pii").count() == before + 1


@pytest.mark.django_db
def test_roles_without_reveal_capability_get_403(population, client_for):
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User

    volunteer = User.objects.create_user("vol")
    RoleAssignment.objects.create(
        user=volunteer, role="volunteer", division=population["compound_a"], starts_on=dt.date(2022, 1, 1)
    )
    client = client_for(volunteer)
    assert client.get(reverse("registry:household", args=[population["h1"].pk])).status_code == 200
    url = reverse("registry:reveal", args=["resident", population["张三"].pk, "phone"])
    assert client.post(url).status_code == 403
    page = client.get(reverse("registry:household", args=[population["h1"].pk])).content.decode()
    assert "reveal-phone" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("张", {"张三", "张小明"}),
        ("zs", {"张三"}),
        ("002X", {"张三"}),
        ("002x", {"张三"}),
        ("5678", {"张三", "李四"}),
        ("13912345678", {"李四"}),
        ("11010519491231002X", {"张三"}),
        ("王", set()),
    ],
)
def test_search(population, community_staff, client_for, query, names):
    page = client_for(community_staff).get(reverse("registry:search"), {"q": query}).context["page"]
    assert {r.name for r in page} == names


@pytest.mark.django_db
def test_list_pages_query_budget(population, district_commander, client_for, django_assert_max_num_queries):
    client = client_for(district_commander)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("divisions:detail", args=["620103"])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("divisions:detail", args=[population["compound_a"].code])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("registry:residents"), {"within": "620103001"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("registry:household", args=[population["h1"].pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("api:resident-list")).status_code == 200
