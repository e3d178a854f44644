"""New-user trial 16, gate duty: the guard picker offers only workers who cover the gate (searchable,
saying when it shows fewer) and the service refuses anyone else; the shift pattern is a choice (old
free-text values mapped by a data migration); a roster period is bounded; blank-looking gate names
are refused."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.fieldops.models import DutyShift, Gate
from lianfang.fieldops.services.gates import (
    ROSTER_HORIZON_DAYS,
    duty_roster_generate,
    duty_roster_period_check,
    duty_shift_assign,
    gate_create,
)
from lianfang.fieldops.tests.conftest import at, make_worker, today

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def north_shift(areas, gates, community_staff):
    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    return DutyShift.objects.get(gate=gates["north"], starts_at=at(today(), 8))


# ------------------------------------------------------------------------------- who may guard a gate


def test_a_worker_of_another_community_is_refused_by_the_service(north_shift, district_commander, population):
    elsewhere = make_worker("李保安", ["volunteer"], population["compound_b"])
    with pytest.raises(ValidationError) as exc:
        duty_shift_assign(actor=district_commander, shift=north_shift, worker=elsewhere)
    assert exc.value.message_dict == {
        "worker": [
            "李保安 (西园街道 › 上西园社区 › 园林小区) may not guard 北门 in 西园街道 › 下西园社区 › 阳光小区: "
            "a guard is based or deployed at the gate's place, above it or inside it"
        ]
    }
    north_shift.refresh_from_db()
    assert north_shift.worker is None


def test_workers_at_above_or_inside_the_gate_may_guard_it(north_shift, district_commander, population, guard):
    community = make_worker("社区王", ["community_staff"], population["compound_a"].parent)
    building = make_worker("楼栋赵", ["volunteer"], population["unit_a"])
    for worker in (guard, community, building):
        duty_shift_assign(actor=district_commander, shift=north_shift, worker=worker)
        north_shift.refresh_from_db()
        assert north_shift.worker == worker


def test_the_picker_offers_only_the_gate_s_workers_and_finds_by_name(
    north_shift, district_commander, population, guard, client_for
):
    make_worker("李保安", ["volunteer"], population["compound_b"])
    make_worker("社区王", ["community_staff"], population["compound_a"].parent)
    url = reverse("fieldops:roster")
    client = client_for(district_commander)
    page = client.get(url, {"within": north_shift.path, "day": today().isoformat()}, **ZH)
    options = [w.name for w in page.context["coverage"][0].guards]
    assert sorted(options) == sorted(["刘守门", "社区王"])
    assert page.context["coverage"][0].guards_total == 2
    found = client.get(url, {"within": north_shift.path, "day": today().isoformat(), "guard": "刘"}, **ZH)
    assert [w.name for w in found.context["coverage"][0].guards] == ["刘守门"]
    none = client.get(url, {"within": north_shift.path, "guard": "钱"}, **ZH).content.decode()
    assert "没有可在此门岗值守的人员与“钱”相符" in none


def test_the_picker_says_when_it_shows_fewer(north_shift, district_commander, population, client_for, monkeypatch):
    from lianfang.fieldops import selectors

    monkeypatch.setattr(selectors, "GUARD_PICKER_LIMIT", 1)
    make_worker("社区王", ["community_staff"], population["compound_a"].parent)
    make_worker("楼栋赵", ["volunteer"], population["unit_a"])
    page = client_for(district_commander).get(reverse("fieldops:roster"), {"within": north_shift.path}, **ZH)
    assert "显示 2 人中的 1 人" in page.content.decode().replace("\n", "")
    assert len(page.context["coverage"][0].guards) == 1


def test_the_assign_page_shows_the_refusal(north_shift, district_commander, population, client_for):
    elsewhere = make_worker("李保安", ["volunteer"], population["compound_b"])
    client = client_for(district_commander)
    page = client.post(
        reverse("fieldops:shift_assign", args=[north_shift.pk]), {"worker": str(elsewhere.pk)}, follow=True, **ZH
    ).content.decode()
    assert "李保安" in page and "不能在" in page
    north_shift.refresh_from_db()
    assert north_shift.worker is None


# ------------------------------------------------------------------------------- shift pattern choice


def test_the_gate_form_offers_the_rule_set_s_patterns(areas, community_staff, population, client_for):
    client = client_for(community_staff)
    page = client.get(reverse("fieldops:roster"), {"within": population["compound_a"].code}, **ZH)
    field = page.context["form"].fields["shift_pattern"]
    assert field.choices[0] == ("", "默认（三班倒（8小时））")
    # the rule set's order (PostgreSQL's jsonb keeps no key order)
    assert sorted(field.choices[1:]) == [("three-8h", "三班倒（8小时）"), ("two-12h", "两班倒（12小时）")]
    data = {"division": population["compound_a"].code, "name": "东门", "kind": "mixed", "guards_per_shift": "1"}
    refused = client.post(reverse("fieldops:gate_create"), {**data, "shift_pattern": "三班倒"}, follow=True, **ZH)
    assert "三班倒 不是可选项之一" in refused.content.decode() or "三班倒" in str(list(refused.context["messages"]))
    assert not Gate.objects.filter(name="东门").exists()
    client.post(reverse("fieldops:gate_create"), {**data, "shift_pattern": "two-12h"}, **ZH)
    assert Gate.objects.get(name="东门").shift_pattern == "two-12h"


def test_the_migration_maps_old_free_text_values(gates):
    migration = importlib.import_module("lianfang.fieldops.migrations.0007_gate_shift_pattern_keys")
    values = {"北门": "三班倒", "南门": "Two 12-hour shifts"}
    extra = {
        "西门": ("ＴＷＯ－１２Ｈ", "two-12h"),
        "东门": ("夜班", ""),
        "后门": ("three-8h", "three-8h"),
    }
    for name, value in values.items():
        Gate.objects.filter(name=name).update(shift_pattern=value)
    for name, (value, _key) in extra.items():
        Gate.objects.create(
            district_id=gates["north"].district_id,
            division=gates["north"].division,
            path=gates["north"].path,
            name=name,
            shift_pattern=value,
        )
    migration.forwards(apps, None)
    shown = dict(Gate.objects.values_list("name", "shift_pattern"))
    assert shown == {"北门": "three-8h", "南门": "two-12h", "西门": "two-12h", "东门": "", "后门": "three-8h"}
    logged = {
        (e.detail["from"], e.detail["to"]) for e in AuditEntry.objects.filter(action="fieldops.gate_shift_pattern")
    }
    assert logged == {
        ("三班倒", "three-8h"),
        ("Two 12-hour shifts", "two-12h"),
        ("ＴＷＯ－１２Ｈ", "two-12h"),
        ("夜班", ""),
    }


# ------------------------------------------------------------------------------- roster period


def test_the_period_is_bounded():
    now = today()
    with pytest.raises(ValidationError) as exc:
        duty_roster_period_check(first_day=now, days=2000)
    assert exc.value.message_dict == {"days": ["a roster covers 1 to 31 days, not 2000"]}
    with pytest.raises(ValidationError) as exc:
        duty_roster_period_check(first_day=dt.date(2099, 1, 1))
    horizon = now + dt.timedelta(days=ROSTER_HORIZON_DAYS)
    assert exc.value.message_dict == {
        "day": [f"a roster reaches at most 31 days ahead (to {horizon}), not to 2099-01-01"]
    }
    duty_roster_period_check(first_day=horizon)  # the last day allowed


def test_the_page_shows_the_period_error_on_the_same_page(areas, gates, community_staff, client_for):
    client = client_for(community_staff)
    url = reverse("fieldops:roster_generate")
    far = today() + dt.timedelta(days=ROSTER_HORIZON_DAYS + 1)
    page = client.post(url, {"within": gates["north"].path, "day": far.isoformat(), "days": "1"}, **ZH)
    assert page.status_code == 400
    text = page.content.decode()
    assert 'data-testid="generate-error-day"' in text and "排班最多提前 31 天" in text
    assert f'value="{far.isoformat()}"' in text
    # the page's other forms come back to the roster, not to the POST-only address it is shown at
    assert f'name="next" value="/fieldops/roster/?within={gates["north"].path}"' in text
    page = client.post(url, {"within": gates["north"].path, "day": today().isoformat(), "days": "2000"}, **ZH)
    assert page.status_code == 400 and 'data-testid="generate-error-days"' in page.content.decode()
    assert "2000" in page.content.decode()
    assert not DutyShift.objects.exists()
    done = client.post(url, {"within": gates["north"].path, "day": today().isoformat(), "days": "3"}, **ZH)
    assert done.status_code == 302
    assert sorted(set(DutyShift.objects.values_list("day", flat=True))) == [
        today() + dt.timedelta(days=n) for n in range(3)
    ]


def test_the_api_bounds_the_period(areas, gates, community_staff, api_for):
    url = reverse("api:fieldops-shift-generate")
    api = api_for(community_staff)
    refused = api.post(url, {"within": gates["north"].path, "day": today().isoformat(), "days": 2000}, format="json")
    assert refused.status_code == 400 and "days" in refused.json()
    refused = api.post(url, {"within": gates["north"].path, "day": "2099-01-01"}, format="json")
    assert refused.status_code == 400 and "day" in refused.json()
    done = api.post(url, {"within": gates["north"].path, "day": today().isoformat(), "days": 2}, format="json")
    assert done.status_code == 200 and done.json()["created"] == 6


# ------------------------------------------------------------------------------- blank-looking names


@pytest.mark.parametrize(("name", "code"), [("\u200b", "U+200B"), ("\u200d", "U+200D"), ("北\u2060门", "U+2060")])
def test_a_blank_looking_gate_name_is_refused(population, community_staff, name, code):
    with pytest.raises(ValidationError) as exc:
        gate_create(actor=community_staff, division=population["compound_a"], name=name)
    assert exc.value.message_dict == {"name": [f"must not contain control characters ({code})."]}
    assert not Gate.objects.exists()


def test_the_gate_form_shows_the_zero_width_refusal(population, community_staff, client_for):
    data = {"division": population["compound_a"].code, "name": "\u200b", "kind": "mixed", "guards_per_shift": "1"}
    page = client_for(community_staff).post(reverse("fieldops:gate_create"), data, follow=True, **ZH)
    assert "不能包含控制字符（U+200B）" in page.content.decode()
    assert not Gate.objects.exists()
