"""The shipped rule sets' sources and notes are read in the page's language, cited as documents: never a
repository path or a "[verify]" marker (new-user trial); a text someone changed shows as entered."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from lianfang.zones import services
from lianfang.zones.models import LiftRule, RuleSet
from lianfang.zones.shipped import SHIPPED_KEYS, TEXTS, _shipped_values
from lianfang.zones.tests.conftest import QILIHE_START, put_in_force

pytestmark = pytest.mark.django_db

NOT_FOR_READERS = ("domain.md", "[verify]", "../shared")


def page(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_every_shipped_note_has_a_text_for_readers():
    assert set(TEXTS) == set(_shipped_values())
    with translation.override("zh-hans"):
        chinese = {code: str(text) for code, text in TEXTS.items()}
    with translation.override("en"):
        english = {code: str(text) for code, text in TEXTS.items()}
    for code in TEXTS:
        assert chinese[code] != english[code], code  # translated
        assert not any(bad in chinese[code] or bad in english[code] for bad in NOT_FOR_READERS), code


@pytest.mark.parametrize("key", SHIPPED_KEYS)
def test_rule_set_pages_read_in_chinese_and_english(key, qilihe, district_commander, client_for):
    client = client_for(district_commander)
    url = reverse("zones:rule_set", args=[key])
    chinese, english = page(client, url, "zh-hans"), page(client, url, "en")
    for bad in NOT_FOR_READERS:
        assert bad not in chinese and bad not in english
    rule_set = RuleSet.objects.get(key=key)
    rule = LiftRule.objects.filter(tier__rule_set=rule_set).select_related("tier").first()
    with translation.override("zh-hans"):
        assert rule_set.display_source in chinese and rule_set.display_quarantine_source in chinese
        assert rule.display_source in chinese
    with translation.override("en"):
        assert rule_set.display_source in english and rule.display_source in english
    # the shipped data stay as migration 0002 stored them
    assert "domain.md" in rule_set.source and "domain.md" in rule.source


def test_the_9th_edition_cites_its_protocol(qilihe, district_commander, client_for):
    client = client_for(district_commander)
    url = reverse("zones:rule_set", args=["nhc-9th"])
    chinese, english = page(client, url, "zh-hans"), page(client, url, "en")
    assert (
        "国务院联防联控机制综合组《新型冠状病毒肺炎防控方案（第九版）》（联防联控机制综发〔2022〕71号），2022-06。"
        in chinese
    )
    assert "高风险区连续7天无新增感染者，且第7天区域全员核酸检测全部阴性，降为中风险区" in chinese
    assert "COVID-19 Prevention and Control Protocol, 9th edition" in english
    assert "a high-risk area becomes medium-risk after 7 days with no new infection" in english


def test_area_page_shows_its_lifting_rule_in_the_page_language(operation, population, district_commander, client_for):
    sealed = put_in_force(district_commander, operation, "sealed", [population["compound_a"]], day=QILIHE_START)
    client = client_for(district_commander)
    url = reverse("zones:area", args=[sealed.pk])
    chinese, english = page(client, url, "zh-hans"), page(client, url, "en")
    assert (
        "第八版防控方案时期：封控区解除须同时满足：区域内连续14天无新增感染者；"
        "最后一名密切接触者末次暴露已超过14天且核酸检测阴性；解除前2天内区域全员核酸检测全部阴性。"
    ) in chinese
    assert "8th-edition era: a sealed area lifts when no new infection has been found in it for 14 days" in english
    for bad in NOT_FOR_READERS:
        assert bad not in chinese and bad not in english


def copy_9th(district, commander) -> RuleSet:
    """A local variant ``qilihe-9`` of the 9th edition (the shipped texts copied)."""
    base = RuleSet.objects.get(key="nhc-9th")
    return services.rule_set_copy(
        actor=commander, rule_set=base, key="qilihe-9", name="七里河", name_en="Qilihe", district=district
    )


def edit_texts(variant: RuleSet, commander) -> RuleSet:
    """Change the variant's own source and its high tier's note (the author's words), as saved."""
    services.rule_set_update(
        actor=commander,
        rule_set=variant,
        values={"source": "七里河区指挥部通告第3号"},
        tier_values={"high": {"source": "以楼栋为单位"}},
        reason="本地规定",
    )
    return RuleSet.objects.get(pk=variant.pk)


def test_a_local_variant_keeps_the_shipped_texts_until_someone_changes_them(qilihe, district_commander):
    variant = copy_9th(qilihe, district_commander)
    high = variant.tiers.get(key="high")
    with translation.override("zh-hans"):
        assert variant.display_source == RuleSet.objects.get(key="nhc-9th").display_source
        assert high.display_source.startswith("《新型冠状病毒肺炎防控方案（第九版）》：高风险区原则上以居住小区")
    variant = edit_texts(variant, district_commander)
    with translation.override("en"):  # what its author wrote, in any language
        assert variant.display_source == "七里河区指挥部通告第3号"
        assert variant.tiers.get(key="high").display_source == "以楼栋为单位"
        assert variant.display_quarantine_source == str(TEXTS[("quarantine", "nhc-9th")])  # unchanged


def _api_texts(body: dict) -> list[str]:
    """Every citation of a rule-set API body: the set's, each tier's and lifting rule's, the quarantine's."""
    texts = [body["source"], body["quarantine"]["close"]["source"], body["quarantine"]["secondary"]["source"]]
    for tier in body["tiers"]:
        texts.append(tier["source"])
        texts.extend(rule["source"] for rule in tier["lift_rules"])
    return texts


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_api_gives_the_texts_people_read(language, qilihe, community_staff, api_for, django_assert_max_num_queries):
    api = api_for(community_staff)
    with django_assert_max_num_queries(12):
        listing = api.get("/api/v1/rule-sets/", HTTP_ACCEPT_LANGUAGE=language)
    assert listing.status_code == 200 and listing.json()["count"] == 3
    body = api.get("/api/v1/rule-sets/nhc-9th/", HTTP_ACCEPT_LANGUAGE=language).json()
    rule_set = RuleSet.objects.get(key="nhc-9th")
    high = rule_set.tiers.get(key="high")
    rule = high.lift_rules.get()
    with translation.override(language):
        assert body["source"] == rule_set.display_source == str(TEXTS[("rule_set", "nhc-9th")])
        assert body["tiers"][0]["source"] == str(TEXTS[("tier", "nhc-9th", "high")])
        assert body["tiers"][0]["lift_rules"][0]["source"] == rule.display_source
        assert body["quarantine"]["close"]["source"] == str(TEXTS[("quarantine", "nhc-9th")])
    if language == "zh-hans":
        assert body["source"].startswith("国务院联防联控机制综合组《新型冠状病毒肺炎防控方案（第九版）》")
        assert "高风险区连续7天无新增感染者" in body["tiers"][0]["lift_rules"][0]["source"]
    else:
        assert body["source"].startswith("State Council Joint Prevention and Control Mechanism")
        assert body["tiers"][0]["lift_rules"][0]["source"].startswith("9th edition: a high-risk area becomes")
    for item in listing.json()["results"]:
        for text in _api_texts(item):
            assert text and not any(bad in text for bad in NOT_FOR_READERS), (item["key"], text)


def test_the_api_shows_an_edited_variant_as_its_author_wrote_it(qilihe, district_commander, api_for):
    edit_texts(copy_9th(qilihe, district_commander), district_commander)
    for language in ("en", "zh-hans"):
        body = api_for(district_commander).get("/api/v1/rule-sets/qilihe-9/", HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["source"] == "七里河区指挥部通告第3号"
        assert body["tiers"][0]["source"] == "以楼栋为单位"
        with translation.override(language):  # unchanged texts: the shipped ones, translated
            assert body["tiers"][1]["source"] == str(TEXTS[("tier", "nhc-9th", "medium")])
            assert body["quarantine"]["close"]["source"] == str(TEXTS[("quarantine", "nhc-9th")])


def test_the_admin_shows_the_texts_people_read(qilihe, client_for, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw-long-enough")
    rule_set = RuleSet.objects.get(key="nhc-8th-era")
    url = f"/admin/zones/ruleset/{rule_set.pk}/change/"
    chinese, english = page(client_for(root), url, "zh-hans"), page(client_for(root), url, "en")
    for bad in NOT_FOR_READERS:
        assert bad not in chinese and bad not in english
    with translation.override("zh-hans"):
        assert rule_set.display_source in chinese and rule_set.display_quarantine_source in chinese
    with translation.override("en"):
        assert rule_set.display_source in english and rule_set.display_quarantine_source in english
