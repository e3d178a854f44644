"""New-user trial 14 on the audit page: a date typed with full-width digits (``２０２６－１２－０１``) is
read; details read as words — levels by their names (a division's level, a 包保 level), a rule set's
changed fields by their names — and what an entry is about starts with a capital in English."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from lianfang.core import audit
from lianfang.core.audit_labels import detail_items, object_type_label
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def test_a_full_width_date_is_read(district_commander, client_for):
    audit.record(actor=district_commander, action="view_pii", division_code="620103001001", detail={"field": "id"})
    client = client_for(district_commander)
    today = timezone.localdate().isoformat()
    page = client.get("/audit/", {"date": today.translate(FULL_WIDTH)}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == AuditEntry.objects.visible_to(district_commander).count() >= 1
    bad = client.get("/audit/", {"date": "2026-13-01".translate(FULL_WIDTH)}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "“2026-13-01” is not a date (YYYY-MM-DD)" in bad.content.decode()
    zh = client.get("/audit/", {"date": "２０２６－１３－０１"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and "2026-13-01" in zh.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "assign": [("Level", "L3 community staff → compound/village group")],
                "escalate": [
                    ("Kind", "Retest every member individually"),
                    ("Level", "L2 cadre → community/village or compound"),
                ],
                "division": [("Level", "District/county")],
                "rule_set": [
                    ("Lifting rule 7: Days without a new infection", "14, 10"),
                    ("Tier red: Proposed from the residence at level", "Community/village, Compound/village group"),
                ],
                "household": "Household",
                "step": "Follow-up step",
            },
        ),
        (
            "zh-hans",
            {
                "assign": [("级别", "三级：社区（村）工作人员 → 小区/村民小组")],
                "division": [("级别", "区/县")],
            },
        ),
    ],
)
def test_details_read_as_words(language, expected):
    with translation.override(language):
        shown = {
            "assign": detail_items({"level": 3}, "workforce.responsibilityassignment"),
            "escalate": detail_items({"level": 2, "kind": "retest"}, "screening.poolfollowupstep"),
            "division": detail_items({"level": 3}, "divisions.division"),
            "rule_set": detail_items(
                {"tiers.red.proposal_level": ["5", "6"], "rules.7.quiet_days": ["14", "10"]}, "zones.ruleset"
            ),
            "household": object_type_label("registry.household"),
            "step": object_type_label("screening.poolfollowupstep"),
        }
    for key, value in expected.items():
        assert shown[key] == value, key
    assert "level" not in str(shown["assign"]) and ": 3" not in str(shown["assign"])


def test_the_page_shows_the_words(district_commander, client_for):
    audit.record(
        actor=district_commander,
        action="zones.rule_set_update",
        object_type="zones.ruleset",
        object_id="1",
        division_code="620103",
        detail={"tiers.red.proposal_level": ["5", "6"]},
    )
    page = client_for(district_commander).get("/audit/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "Tier red: Proposed from the residence at level" in body
    assert "Community/village, Compound/village group" in body
    assert "tiers.red.proposal_level" not in body.split('data-testid="audit-entries"', 1)[1]
    rows = page.context["rows"]
    assert rows[0][2] == "Rule set"


def test_bidi_controls_and_full_width_days_in_core_helpers():
    """The shared rules behind the page: core.fielderrors.control_character_problem refuses an RLO
    (and the other bidirectional controls); a DayField and core.filters.query_day read full-width
    digits and dashes."""
    import datetime as dt

    from lianfang.core.fielderrors import control_character_problem
    from lianfang.core.filters import BadQuery, DayField, query_day

    with translation.override("en"):
        refused = control_character_problem("区指挥部\u202e", multiline=False)
        assert refused == "must not contain control characters (U+202E)."
        assert control_character_problem("a\u2066b") == "must not contain control characters (U+2066)."
    assert control_character_problem("区指挥部", multiline=False) is None
    assert DayField().clean("２０２６－１１－３０") == dt.date(2026, 11, 30)
    assert query_day({"day": "２０２６－１１－３０"}) == dt.date(2026, 11, 30)
    with pytest.raises(BadQuery) as bad:
        query_day({"day": "２０２６－１３－３０"})
    assert "2026-13-30" in str(bad.value.errors["day"])
