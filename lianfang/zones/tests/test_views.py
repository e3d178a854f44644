"""Pages: scope (outsiders get 404 or nothing), query budgets, the actions and their refusals."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.zones import services
from lianfang.zones.models import AreaStatus, ControlArea, Infection, RuleSet
from lianfang.zones.tests.conftest import at, d, infect

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals(town, operation, district_commander):
    result = infect(district_commander, operation, day=d("2022-03-27"), household=town["h1"], propose=True)
    return {a.tier.key: a for a in result.proposals}


@pytest.fixture
def in_force(proposals, district_commander):
    for area in proposals.values():
        services.control_area_approve(actor=district_commander, area=area, effective_from=at(d("2022-03-27"), 12))
    return proposals


def text(response) -> str:
    return response.content.decode()


def test_outsider_gets_404_or_nothing(in_force, outsider, client_for):
    client = client_for(outsider)
    sealed = in_force["sealed"]
    event = sealed.events.get(kind="approved")
    for url in (
        reverse("zones:area", args=[sealed.pk]),
        reverse("zones:notice", args=[sealed.pk, event.pk]),
        reverse("zones:infection", args=[sealed.infection_id]),
        reverse("zones:rule_set", args=["nhc-8th-era"]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("zones:area_approve", args=[sealed.pk]),
        reverse("zones:area_withdraw", args=[sealed.pk]),
        reverse("zones:area_nodes", args=[sealed.pk]),
        reverse("zones:area_lift", args=[sealed.pk]),
        reverse("zones:area_downgrade", args=[sealed.pk]),
        reverse("zones:area_evidence", args=[sealed.pk]),
        reverse("zones:infection_approve", args=[sealed.infection_id]),
        reverse("zones:operation_rule_set", args=[sealed.operation_id]),
        reverse("zones:rule_set_copy", args=["nhc-8th-era"]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    assert client.get(reverse("zones:rule_set_edit", args=["nhc-8th-era"])).status_code == 404
    assert client.post(reverse("zones:operation_open"), {"name": "x"}).status_code == 403
    assert list(client.get(reverse("zones:map")).context["areas"]) == []
    assert client.get(reverse("zones:resident_search"), {"q": "张"}).context["found"] == []
    index = client.get(reverse("zones:index"))
    assert index.status_code == 200 and sealed.name not in text(index)
    assert client.get(reverse("zones:infections")).context["page"].paginator.count == 0
    assert client.get(reverse("zones:map_data")).json()["features"] == []
    assert client.get(reverse("zones:rule_sets")).context["rule_sets"].count() == 0
    assert client.get(reverse("zones:tiers")).context["table"] is None
    assert client.get(reverse("zones:infection_new")).status_code == 403


def test_other_community_cannot_see_or_change(in_force, other_community_staff, community_staff, client_for):
    sealed = in_force["sealed"]
    assert client_for(other_community_staff).get(reverse("zones:area", args=[sealed.pk])).status_code == 404
    client = client_for(community_staff)
    page = client.get(reverse("zones:area", args=[sealed.pk]))
    assert page.status_code == 200 and "change_form" not in page.context  # sees, cannot manage
    assert client.post(reverse("zones:area_lift", args=[sealed.pk]), {"note": "x"}).status_code == 403
    sealed.refresh_from_db()
    assert sealed.status == AreaStatus.ACTIVE


def test_index_lists_areas_with_clocks(in_force, district_commander, client_for, django_assert_max_num_queries):
    client = client_for(district_commander)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("zones:index"))
    rows = response.context["rows"]
    assert [area.tier.key for area, _, _ in rows] == ["sealed", "controlled", "precaution"]
    sealed_row = rows[0]
    assert sealed_row[0].last_infection_on == d("2022-03-27") and sealed_row[1] > 1000  # days since, today
    assert client.get(reverse("zones:index"), {"tier": "sealed"}).context["page"].paginator.count == 1
    english = client.get(reverse("zones:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 area in force" in " ".join(re.sub(r"<[^>]+>", " ", english).split())  # not "1 areas" (trial 13)
    assert "0 proposals" in " ".join(re.sub(r"<[^>]+>", " ", english).split())
    assert client.get(reverse("zones:index"), {"active_on": "2022-03-26"}).context["page"].paginator.count == 0
    bad = client.get(reverse("zones:index"), {"within": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and bad.context["errors"] == [
        ("Division code (<code>within</code>)", "“x” is not a division code (1 to 20 digits)")
    ]


def test_approve_from_the_infection_page(proposals, district_commander, client_for):
    client = client_for(district_commander)
    infection = proposals["sealed"].infection
    page = client.get(reverse("zones:infection", args=[infection.pk]))
    sizes = {area.tier.key: pop for area, pop in page.context["rows"]}
    assert sizes["sealed"] == {"households": 2, "residents": 4}
    assert sizes["controlled"] == {"households": 2, "residents": 3}
    response = client.post(reverse("zones:infection_approve", args=[infection.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["3个区域已批准并生效。"]
    assert set(ControlArea.objects.values_list("status", flat=True)) == {AreaStatus.ACTIVE}


def test_approve_message_counts_areas_in_english_and_chinese(proposals, district_commander, client_for):
    """“1 area approved and in force.”, not “1 areas …” (ngettext); zh-Hans has one form."""
    client = client_for(district_commander)
    infection = proposals["sealed"].infection
    for key in ("sealed", "controlled"):
        services.control_area_approve(actor=district_commander, area=proposals[key])
    url = reverse("zones:infection_approve", args=[infection.pk])
    response = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(m) for m in response.context["messages"]] == ["1 area approved and in force."]


def test_lift_refused_then_overridden(in_force, district_commander, street_officer, client_for):
    sealed = in_force["sealed"]
    client = client_for(street_officer)
    response = client.post(reverse("zones:area_lift", args=[sealed.pk]), {"note": "试试"}, follow=True)
    assert response.status_code == 200
    sealed.refresh_from_db()
    assert sealed.status == AreaStatus.ACTIVE
    flashes = [str(m) for m in response.context["messages"]]
    assert any("区域全员核酸检测" in m or "whole-area round" in m for m in flashes)
    # The commander overrides with a written reason.
    client = client_for(district_commander)
    response = client.post(
        reverse("zones:area_lift", args=[sealed.pk]),
        {"override_reason": "省指挥部批准（2022-45号）"},
        follow=True,
    )
    sealed.refresh_from_db()
    assert sealed.status == AreaStatus.LIFTED and sealed.status_reason == "override"


def test_area_detail_shows_conditions_and_evidence_form(in_force, district_commander, client_for):
    sealed = in_force["sealed"]
    client = client_for(district_commander)
    response = client.post(
        reverse("zones:area_evidence", args=[sealed.pk]),
        {"kind": "round", "day": "2022-04-09", "all_negative": "on", "people": "120", "reason": "汇总表"},
        follow=True,
    )
    assert sealed.evidence.get().people == 120
    clock = response.context["clock"]
    assert [c.code for c in clock.conditions] == ["quiet_days", "round", "contacts"]
    assert "2022-04-09" in text(response)


def test_notice_names_places_never_people(in_force, district_commander, client_for):
    sealed = in_force["sealed"]
    event = sealed.events.get(kind="approved")
    page = text(client_for(district_commander).get(reverse("zones:notice", args=[sealed.pk, event.pk])))
    body = page[page.index('data-testid="notice"') : page.index("</article>")]
    assert "阳光小区" in body and "下西园社区" in body and "西园街道" in body
    assert "区域封闭" in body  # the sealed tier's measures
    assert "张三" not in body and "commander" not in body
    assert sealed.infection.person_name not in body


def test_enter_an_infection_through_the_form(town, operation, district_commander, client_for):
    client = client_for(district_commander)
    response = client.post(
        reverse("zones:infection_new"),
        {
            "resident": town["孙七"].pk if "孙七" in town else "",
            "person_name": "外来人员",
            "residence_code": town["units_c"][0].code,
            "positive_sample_on": "2022-03-28",
            "visited_codes": "620103002001",
            "propose": "on",
        },
    )
    infection = Infection.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("zones:infection", args=[infection.pk])
    assert infection.places.get().path == "620103002001"
    assert infection.areas.count() == 3
    bad = client.post(reverse("zones:infection_new"), {"person_name": "某", "residence_code": "999", "onset_on": ""})
    assert bad.status_code == 200 and "999" in text(bad)


def test_resident_search_is_scoped(town, operation, community_staff, other_community_staff, client_for):
    found = client_for(community_staff).get(reverse("zones:resident_search"), {"q": "张"}).context["found"]
    assert {r.name for r in found} == {"张三", "张小明"}
    assert client_for(other_community_staff).get(reverse("zones:resident_search"), {"q": "张"}).context["found"] == []


def test_resident_search_is_audited_with_the_number_masked(town, operation, community_staff, client_for):
    from lianfang.core.models import AuditEntry

    client = client_for(community_staff)
    found = client.get(reverse("zones:resident_search"), {"q": "11010519491231002X"}).context["found"]
    assert [r.name for r in found] == ["张三"]
    client.get(reverse("zones:resident_search"), {"q": ""})  # nothing searched
    (entry,) = AuditEntry.objects.filter(action="registry.search")
    assert entry.actor == community_staff
    assert entry.detail == {
        "query": {"q": "1101**********002X"},
        "results": 1,
        "where": "page:zones.resident_search",
    }


def test_map_data_colours_by_tier_for_a_day(
    in_force, town, district_commander, client_for, django_assert_max_num_queries
):
    client = client_for(district_commander)
    with django_assert_max_num_queries(7):  # session, user, scope, 2 for the areas, shapes (+1 spare)
        data = client.get(reverse("zones:map_data"), {"day": "2022-03-28"}).json()
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code[town["compound_a"].code]["tier"] == "sealed"
    assert by_code[town["compound_a"].code]["colour"] == "#c62828"
    assert by_code["620103001001"]["tier"] == "controlled"
    assert by_code["620103002"]["tier"] == "precaution"
    assert all(f["geometry"]["type"] == "Polygon" for f in data["features"])
    before = client.get(reverse("zones:map_data"), {"day": "2022-03-26"}).json()
    assert {f["properties"]["tier"] for f in before["features"]} == {None}
    page = client.get(reverse("zones:map"), {"day": "2022-03-28"})
    assert len(page.context["areas"]) == 3


def test_tiers_page(in_force, district_commander, client_for, django_assert_max_num_queries):
    client = client_for(district_commander)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("zones:tiers"), {"within": "620103001"})
    table = response.context["table"]
    rows = {c.code: cells for c, cells in table.rows}
    sealed = next(t for t in table.tiers if t.key == "sealed")
    assert rows["620103001001"][sealed.pk]["residents"] == 4
    assert client.get(reverse("zones:tiers"), {"within": "999999"}).status_code == 400


def test_rule_set_pages_copy_and_edit(qilihe, district_commander, community_staff, client_for):
    client = client_for(district_commander)
    page = client.get(reverse("zones:rule_set", args=["nhc-9th"]))
    assert page.status_code == 200 and page.context["copy_form"] is not None
    response = client.post(
        reverse("zones:rule_set_copy", args=["nhc-9th"]),
        {"key": "qilihe-local", "name": "七里河本地", "name_en": "Qilihe local"},
    )
    assert response.status_code == 302
    edit = client.get(reverse("zones:rule_set_edit", args=["qilihe-local"]))
    form = edit.context["form"]
    data = {name: ("" if field.initial is None else field.initial) for name, field in form.fields.items()}
    data.update({"reason": "本地调整", "rs__close_centralized_days": 10, "rs__close_centralized_test_days": "1, 4, 10"})
    response = client.post(reverse("zones:rule_set_edit", args=["qilihe-local"]), data)
    assert response.status_code == 302, response.context["form"].errors
    variant = RuleSet.objects.get(key="qilihe-local")
    assert (variant.close_centralized_days, variant.close_centralized_test_days) == (10, [1, 4, 10])
    assert client.get(reverse("zones:rule_set_edit", args=["nhc-9th"])).status_code == 403
    assert client_for(community_staff).get(reverse("zones:rule_set_edit", args=["qilihe-local"])).status_code == 403


def test_open_an_operation_from_the_index(qilihe, district_commander, client_for):
    client = client_for(district_commander)
    page = client.get(reverse("zones:index"))
    assert page.context["open_form"] is not None
    rule_set = RuleSet.objects.get(key="nhc-8th-era")
    client.post(
        reverse("zones:operation_open"), {"name": "七里河疫情处置", "rule_set": rule_set.pk, "started_on": "2022-03-27"}
    )
    assert client.get(reverse("zones:index")).context["operation"].name == "七里河疫情处置"


def test_admin_is_read_only_and_scoped(in_force, client_for, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "pw-long-enough")
    client = client_for(admin_user)
    for model in ("ruleset", "operation", "infection", "controlarea", "controlareaevent", "manualevidence"):
        assert client.get(f"/admin/zones/{model}/").status_code == 200, model
    sealed = in_force["sealed"]
    assert client.get(f"/admin/zones/controlarea/{sealed.pk}/change/").status_code == 200  # view only
    assert client.get("/admin/zones/controlarea/add/").status_code == 403


def test_list_pages_query_budgets(in_force, district_commander, client_for, django_assert_max_num_queries):
    client = client_for(district_commander)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("zones:infections")).context["page"].paginator.count == 1
    with django_assert_max_num_queries(8):
        assert client.get(reverse("zones:rule_sets")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("zones:map")).status_code == 200


def test_rule_set_editions_and_pooling_modes_are_translated(qilihe, district_commander, client_for):
    """zh-Hans pages name the shipped editions and pooling modes in Chinese, never by their codes."""
    client = client_for(district_commander)
    listing = text(client.get(reverse("zones:rule_sets"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "第八版时期" in listing and "第九版" in listing and "二十条" in listing
    assert ">8th-era<" not in listing and ">20-measures<" not in listing
    detail = text(client.get(reverse("zones:rule_set", args=["nhc-8th-era"]), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "第八版时期" in detail and '<span class="tag">10合1混采</span>' in detail
    assert '<span class="tag">pool_10</span>' not in detail


def test_evidence_form_day_is_iso_in_zh_hans(in_force, district_commander, client_for):
    """The evidence form's ``day`` is an ``<input type="date">`` filled with today in Asia/Shanghai
    as ``YYYY-MM-DD`` in every language (core.forms.DayInput): zh-Hans' ``2026/11/30`` is refused by
    the browser, which showed the field empty."""
    today = timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    client = client_for(district_commander)
    for language in ("zh-hans", "en"):
        body = text(client.get(f"/zones/areas/{in_force['sealed'].pk}/", HTTP_ACCEPT_LANGUAGE=language))
        assert f'<input type="date" name="day" value="{today.isoformat()}"' in body, language
        assert today.strftime("%Y/%m/%d") not in body, language
