"""Gate decisions per tier and entry/exit registration."""

import pytest
from django.core.exceptions import ValidationError

from lianfang.fieldops import rules
from lianfang.fieldops.models import PassageRecord
from lianfang.fieldops.services.gates import gate_set_open
from lianfang.fieldops.services.passages import passage_register
from lianfang.fieldops.tests.conftest import at, today

# --------------------------------------------------------------------------------------- the rule, per tier

SEALED_CASES = [
    # (direction, purpose, pass_valid, allowed, reason)
    ("out", "shopping", None, False, "purpose_not_allowed"),
    ("out", "work", None, False, "purpose_not_allowed"),
    ("in", "return_home", None, False, "purpose_not_allowed"),
    ("in", "visit", None, False, "purpose_not_allowed"),
    ("out", "medical", None, False, "pass_required"),
    ("out", "medical", False, False, "pass_required"),
    ("out", "medical", True, True, "valid_pass"),
    ("in", "medical", True, True, "valid_pass"),
    ("in", "delivery", None, True, "purpose_allowed"),
    ("out", "delivery", None, True, "purpose_allowed"),
    ("out", "emergency", None, True, "purpose_allowed"),
    ("in", "emergency", None, True, "purpose_allowed"),
]
CONTROLLED_CASES = [
    ("out", "shopping", None, False, "purpose_not_allowed"),
    ("out", "work", None, False, "purpose_not_allowed"),
    ("in", "return_home", None, True, "purpose_allowed"),
    ("in", "visit", None, False, "purpose_not_allowed"),
    ("out", "medical", None, False, "pass_required"),
    ("out", "medical", True, True, "valid_pass"),
    ("in", "medical", None, True, "purpose_allowed"),
    ("out", "duty", None, True, "purpose_allowed"),
    ("out", "emergency", None, True, "purpose_allowed"),
]
OPEN_CASES = [("out", p, None, True, "open_area") for p in ("shopping", "work", "visit", "other")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tier,case",
    [("sealed", c) for c in SEALED_CASES]
    + [("high", c) for c in SEALED_CASES]
    + [("controlled", c) for c in CONTROLLED_CASES]
    + [("medium", c) for c in CONTROLLED_CASES]
    + [(t, c) for t in ("precaution", "low", "") for c in OPEN_CASES],
)
def test_gate_decision_per_tier(tier, case):
    direction, purpose, pass_valid, allowed, reason = case
    decision = rules.gate_decide(
        rules=rules.in_force(), tier_key=tier, direction=direction, purpose=purpose, pass_valid=pass_valid
    )
    assert (decision.allowed, decision.reason) == (allowed, reason)


@pytest.mark.django_db
def test_gate_rules_are_data():
    field_rules = rules.in_force()
    field_rules.gate_rules["sealed"]["out"]["free"].append("work")
    field_rules.save()
    decision = rules.gate_decide(
        rules=rules.in_force(), tier_key="sealed", direction="out", purpose="work", pass_valid=None
    )
    assert decision.allowed
    field_rules.gate_rules["sealed"]["out"]["free"].append("dancing")
    with pytest.raises(ValidationError) as exc:
        field_rules.full_clean()
    assert "dancing" in str(exc.value)


# --------------------------------------------------------------------------------------- registration

pytestmark = pytest.mark.django_db


def test_resident_refused_in_sealed_area_is_recorded(areas, gates, guard, population):
    record = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="shopping", resident=population["张三"]
    )
    assert (record.decision, record.reason_code, record.tier_key) == ("refused", "purpose_not_allowed", "sealed")
    assert (record.resident, record.household, record.subject_kind) == (
        population["张三"],
        population["h1"],
        "resident",
    )
    assert record.pass_valid is None
    assert PassageRecord.objects.filter(decision="refused").count() == 1


def test_delivery_and_emergency_pass_a_sealed_gate(areas, gates, guard):
    delivery = passage_register(
        actor=guard.user,
        gate=gates["north"],
        direction="in",
        purpose="delivery",
        visitor_name="快递员",
        visitor_phone="13900001111",
    )
    assert (delivery.decision, delivery.subject_kind, delivery.phone_masked) == ("allowed", "visitor", "139****1111")
    ambulance = passage_register(
        actor=guard.user, gate=gates["north"], direction="in", purpose="emergency", visitor_name="120 急救"
    )
    assert ambulance.decision == "allowed"


def test_controlled_area_lets_residents_home(areas, gates, other_community_staff, population):
    record = passage_register(
        actor=other_community_staff,
        gate=gates["south"],
        direction="in",
        purpose="return_home",
        resident=population["王五"],
    )
    assert (record.decision, record.tier_key) == ("allowed", "controlled")


def test_same_gate_after_the_area_lifted_is_open(areas, gates, guard, district_commander):
    from lianfang.zones.models import ControlArea

    ControlArea.objects.filter(pk=areas["sealed"].pk).update(status="lifted", ended_at=at(today(), 6))
    record = passage_register(
        actor=guard.user,
        gate=gates["north"],
        direction="out",
        purpose="shopping",
        visitor_name="访客",
        at=at(today(), 7),
    )
    assert (record.decision, record.reason_code, record.tier_key) == ("allowed", "open_area", "")
    earlier = passage_register(
        actor=guard.user,
        gate=gates["north"],
        direction="out",
        purpose="shopping",
        visitor_name="访客",
        at=at(today(), 5),
    )
    assert (earlier.decision, earlier.tier_key) == ("refused", "sealed")


def test_closed_gate_lets_only_emergencies_through(areas, gates, guard, community_staff):
    gate_set_open(actor=community_staff, gate=gates["north"], is_open=False, reason="夜间封闭")
    refused = passage_register(
        actor=guard.user, gate=gates["north"], direction="in", purpose="delivery", visitor_name="配送"
    )
    assert (refused.decision, refused.reason_code) == ("refused", "gate_closed")
    ambulance = passage_register(
        actor=guard.user, gate=gates["north"], direction="in", purpose="emergency", visitor_name="120"
    )
    assert ambulance.decision == "allowed"


def test_bad_input_names_the_field_and_nothing_is_written(areas, gates, guard):
    with pytest.raises(ValidationError) as exc:
        passage_register(
            actor=guard.user,
            gate=gates["north"],
            direction="sideways",
            purpose="shopping",
            visitor_name="",
            visitor_id="11010519491231002Y",
        )
    errors = exc.value.message_dict
    assert set(errors) == {"direction", "visitor_name", "visitor_id"}
    assert "sideways" in errors["direction"][0] and "“1101*********1002Y”" in errors["visitor_id"][0]
    assert "11010519491231002" not in errors["visitor_id"][0]  # the refused number is quoted masked
    assert PassageRecord.objects.count() == 0


def test_visitor_id_is_sealed(areas, gates, guard):
    record = passage_register(
        actor=guard.user,
        gate=gates["north"],
        direction="in",
        purpose="delivery",
        visitor_name="送药",
        visitor_id="440524188001010014",
    )
    stored = PassageRecord.objects.get(pk=record.pk)
    assert stored.id_masked == "4405**********0014"
    assert b"440524188001010014" not in bytes(stored.id_enc)
    assert stored.id_number_plain() == "440524188001010014"


def test_registration_needs_field_work_at_the_gate(areas, gates, other_community_staff, population):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        passage_register(
            actor=other_community_staff, gate=gates["north"], direction="in", purpose="delivery", visitor_name="x"
        )


def test_medical_pass_from_the_assistance_app(areas, gates, guard, population, monkeypatch):
    from lianfang.fieldops import adapters

    def fake_pass(*, resident=None, household=None, pass_ref="", at=None):
        return (True, "MP-7") if resident == population["张三"] else (None, "")

    monkeypatch.setattr(adapters, "valid_exit_pass", fake_pass)
    allowed = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="medical", resident=population["张三"]
    )
    assert (allowed.decision, allowed.reason_code, allowed.pass_ref, allowed.pass_valid) == (
        "allowed",
        "valid_pass",
        "MP-7",
        True,
    )
    refused = passage_register(
        actor=guard.user, gate=gates["north"], direction="out", purpose="medical", resident=population["张小明"]
    )
    assert (refused.decision, refused.reason_code) == ("refused", "pass_required")
