"""Deny by default on every remaining surface: POST endpoints, admin, API details, list budgets."""

import datetime as dt

import pytest
from django.urls import reverse

from lianfang.assistance.models import CheckInTask, ExitPass, Notification, SupplyPlan
from lianfang.assistance.services.care import care_tick
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept
from lianfang.assistance.services.passes import exit_pass_issue
from lianfang.assistance.services.supplies import supply_plan_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(grid, sealed):
    staff = grid["staff_user"]
    trip = service_request_create(
        actor=None, household=grid["h1"], category="medical_trip", description="透析", channel="qr"
    )
    service_request_accept(actor=staff, ticket=trip)
    exit_pass = exit_pass_issue(
        actor=staff,
        ticket=trip,
        resident=grid["张三"],
        destination="医院",
        purpose="透析",
        vehicle="保障车",
        first_day=dt.date.today() + dt.timedelta(days=1),
        days=2,
        window_start=dt.time(8),
        window_end=dt.time(9),
    )
    plan = supply_plan_create(actor=staff, division=grid["compound_a"], day=dt.date.today(), name="第一批")
    care_tick()
    return {"trip": trip, "pass": exit_pass, "plan": plan, "task": CheckInTask.objects.first(), **grid}


def test_outsider_posts_change_nothing(world, client_for, outsider, other_community_staff):
    for user in (outsider, other_community_staff):
        client = client_for(user)
        note = Notification.objects.filter(ticket=world["trip"]).first()
        posts = [
            (reverse("assistance:pass_revoke", args=[world["pass"].pk]), {"reason": "x"}),
            (reverse("assistance:plan_tenant", args=[world["plan"].pk]), {"room": "1", "headcount": 1}),
            (reverse("assistance:plan_close", args=[world["plan"].pk]), {}),
            (reverse("assistance:check_in", args=[world["task"].pk]), {"result": "ok"}),
            (reverse("assistance:alert_read", args=[note.pk]), {}),
            (reverse("assistance:household_qr", args=[world["h1"].pk]), {"action": "issue"}),
            (reverse("assistance:ticket_action", args=[world["trip"].pk, "close"]), {"outcome": "other", "note": "x"}),
        ]
        for url, data in posts:
            assert client.post(url, data).status_code == 404, url
    assert ExitPass.objects.get().status == "active"
    assert SupplyPlan.objects.get().status == "active" and SupplyPlan.objects.get().deliveries.count() == 2
    assert CheckInTask.objects.filter(done_at__isnull=False).count() == 0
    assert not world["h1"].qr_tokens.exists()


def test_outsider_gets_404_on_api_details(world, api_for, outsider):
    api = api_for(outsider)
    assert api.get(reverse("api:exit-pass-detail", args=[world["pass"].pk])).status_code == 404
    assert api.get(reverse("api:supply-plan-detail", args=[world["plan"].pk])).status_code == 404


def test_admin_lists_are_scoped(world, client_for, outsider):
    from django.contrib.auth.models import Permission

    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.set(
        Permission.objects.filter(content_type__app_label="assistance", codename__startswith="view_")
    )
    client = client_for(outsider)
    for model in ("servicerequest", "ticketevent", "exitpass", "supplyplan", "checkintask", "householdtoken"):
        page = client.get(f"/admin/assistance/{model}/")
        assert page.status_code == 200 and page.context["cl"].result_count == 0, model
    assert client.get(f"/admin/assistance/servicerequest/{world['trip'].pk}/change/").status_code in (302, 404)


def test_list_pages_query_budgets(world, client_for, django_assert_max_num_queries):
    client = client_for(world["staff_user"])
    for name in ("assistance:plans", "assistance:alerts", "assistance:care"):
        with django_assert_max_num_queries(20):
            assert client.get(reverse(name)).status_code == 200
