"""Supply distribution: packs by headcount, tenants, checklist per building, confirmation, the
undelivered list (issue 7 §6)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from lianfang.assistance import selectors
from lianfang.assistance.models import DeliveryStatus, SupplyDelivery
from lianfang.assistance.services.base import StatusConflict
from lianfang.assistance.services.supplies import (
    supply_delivery_add_tenant,
    supply_delivery_confirm,
    supply_delivery_mark,
    supply_plan_close,
    supply_plan_create,
)
from lianfang.registry.models import ResidenceStatus

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 3, 29)


@pytest.fixture
def plan(grid):
    grid["赵丽"].residence_status = ResidenceStatus.INFLOW  # an inflow tenant counts like anyone living there
    grid["赵丽"].save()
    return supply_plan_create(
        actor=grid["staff_user"],
        division=grid["compound_a"],
        day=DAY,
        name="阳光小区第一批生活物资",
        contents="米5kg、油1L、蔬菜包",
    )


def test_plan_has_one_line_per_household_with_pack_by_headcount(grid, plan):
    lines = {line.household_id: line for line in plan.deliveries.all()}
    assert set(lines) == {grid["h1"].pk, grid["h2"].pk}
    assert (lines[grid["h1"].pk].headcount, lines[grid["h1"].pk].pack) == (2, "小份（1-2人）")
    assert lines[grid["h2"].pk].headcount == 2
    assert plan.pack_sizes[-1] == {"max_people": None, "label": "大份（5人及以上）"}


def test_unregistered_tenants_volunteer_checklist_confirmation_and_undelivered(grid, plan, volunteer):
    building = grid["unit_a"].parent
    tenant = supply_delivery_add_tenant(
        actor=volunteer, plan=plan, building=building, room="302", headcount=3, note="未登记租户"
    )
    assert (tenant.unregistered, tenant.household, tenant.pack, tenant.address) == (
        True,
        None,
        "中份（3-4人）",
        "下西园社区 阳光小区 1号楼 302",
    )
    groups = selectors.checklist_by_building(plan, user=volunteer)
    assert [(b.short_name if b else None, len(lines)) for b, lines in groups] == [("1号楼", 3)]
    h1_line = plan.deliveries.get(household=grid["h1"])
    supply_delivery_mark(actor=volunteer, delivery=h1_line, status=DeliveryStatus.DELIVERED)
    with pytest.raises(ValidationError):
        supply_delivery_mark(actor=volunteer, delivery=tenant, status=DeliveryStatus.FAILED)  # needs a note
    supply_delivery_mark(actor=volunteer, delivery=tenant, status=DeliveryStatus.FAILED, note="敲门无人")
    done = supply_delivery_confirm(actor=None, delivery=h1_line)  # the household, through its QR page
    assert done.confirmed_at is not None
    with pytest.raises(StatusConflict):
        supply_delivery_confirm(actor=None, delivery=h1_line)
    assert selectors.plan_progress(plan) == {"total": 3, "delivered": 1, "failed": 1, "pending": 1, "confirmed": 1}
    supply_plan_close(actor=grid["staff_user"], plan=plan)
    assert [line.address for line in selectors.undelivered(plan)] == [
        "下西园社区 阳光小区 1号楼 302",
        grid["h2"].address,
    ]
    with pytest.raises(StatusConflict):  # closed: no more ticks
        supply_delivery_mark(actor=volunteer, delivery=tenant, status=DeliveryStatus.DELIVERED)


def test_plan_rules_and_rights(grid, volunteer, other_community_staff):
    with pytest.raises(PermissionDenied):
        supply_plan_create(actor=volunteer, division=grid["compound_a"], day=DAY, name="x")
    with pytest.raises(PermissionDenied):
        supply_plan_create(actor=other_community_staff, division=grid["compound_a"], day=DAY, name="x")
    with pytest.raises(ValidationError) as err:
        supply_plan_create(
            actor=grid["staff_user"], division=grid["compound_a"], day=DAY, name=" ", pack_sizes=[{"max_people": 2}]
        )
    assert set(err.value.message_dict) == {"name", "pack_sizes"}
    assert not SupplyDelivery.objects.exists()


def test_checklist_pages(grid, plan, volunteer, client_for, outsider, django_assert_max_num_queries):
    client = client_for(volunteer)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("assistance:plan", args=[plan.pk]))
    assert page.status_code == 200 and grid["h1"].address in page.content.decode()
    line = plan.deliveries.get(household=grid["h2"])
    response = client.post(reverse("assistance:delivery_mark", args=[line.pk, "delivered"]))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == DeliveryStatus.DELIVERED and line.status_by == volunteer
    page = client.get(reverse("assistance:plan_undelivered", args=[plan.pk]))
    assert [r.household_id for r in page.context["rows"]] == [grid["h1"].pk]
    other = client_for(outsider)
    assert other.get(reverse("assistance:plan", args=[plan.pk])).status_code == 404
    assert other.get(reverse("assistance:plan_undelivered", args=[plan.pk])).status_code == 404
    assert other.post(reverse("assistance:delivery_mark", args=[line.pk, "delivered"])).status_code == 404
    assert other.get(reverse("assistance:plans")).context["page"].paginator.count == 0
