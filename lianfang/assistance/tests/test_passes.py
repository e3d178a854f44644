"""Medical exit passes: one approval, recurring windows, printable, verified at the gate (issue 7 §4)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from lianfang.assistance import selectors
from lianfang.assistance.models import Category, EventKind, ExitPass
from lianfang.assistance.services.base import StatusConflict
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept
from lianfang.assistance.services.passes import exit_pass_issue, exit_pass_revoke
from lianfang.assistance.tests.conftest import SHANGHAI
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def trip(grid):
    """An accepted medical-trip ticket of h1 (张三: daily injections)."""
    ticket = service_request_create(
        actor=None,
        household=grid["h1"],
        category=Category.MEDICAL_TRIP,
        description="每天去医院打针，共六天",
        resident=grid["张三"],
        channel="qr",
    )
    return service_request_accept(actor=grid["staff_user"], ticket=ticket)


def issue(grid, trip, **kw):
    first = timezone.localdate() + dt.timedelta(days=1)
    values = {
        "resident": grid["张三"],
        "destination": "兰州市第二人民医院",
        "purpose": "静脉注射",
        "vehicle": "甘A·12345（社区保障车）",
        "first_day": first,
        "days": 6,
        "window_start": dt.time(8, 30),
        "window_end": dt.time(11, 0),
    }
    values.update(kw)
    return exit_pass_issue(actor=grid["staff_user"], ticket=trip, **values)


def test_one_approval_creates_a_recurring_pass(grid, trip):
    exit_pass = issue(grid, trip)
    first = timezone.localdate() + dt.timedelta(days=1)
    windows = list(exit_pass.windows.values_list("starts_at", "ends_at"))
    assert len(windows) == 6
    assert windows[0] == (
        dt.datetime.combine(first, dt.time(8, 30), tzinfo=SHANGHAI),
        dt.datetime.combine(first, dt.time(11, 0), tzinfo=SHANGHAI),
    )
    assert windows[5][0].astimezone(SHANGHAI).date() == first + dt.timedelta(days=5)
    assert exit_pass.number.startswith("P") and exit_pass.resident == grid["张三"]
    event = trip.events.get(kind=EventKind.PASS_ISSUED)
    assert event.detail["number"] == exit_pass.number and event.public
    # one active pass per person and period (new-user trial 16): the every-other-day pass is 张小明's
    every_other = issue(grid, trip, resident=grid["张小明"], days=3, every_days=2)
    days = [s.astimezone(SHANGHAI).date() for s in every_other.windows.values_list("starts_at", flat=True)]
    assert days == [first, first + dt.timedelta(days=2), first + dt.timedelta(days=4)]


def test_gate_check_inside_and_outside_the_windows_and_after_revoking(grid, trip):
    exit_pass = issue(grid, trip)
    first = timezone.localdate() + dt.timedelta(days=1)
    inside = dt.datetime.combine(first + dt.timedelta(days=2), dt.time(9, 0), tzinfo=SHANGHAI)
    outside = dt.datetime.combine(first + dt.timedelta(days=2), dt.time(12, 0), tzinfo=SHANGHAI)
    after = dt.datetime.combine(first + dt.timedelta(days=6), dt.time(9, 0), tzinfo=SHANGHAI)
    check = selectors.exit_pass_check(exit_pass, inside)
    assert check.valid and check.window.starts_at.astimezone(SHANGHAI).hour == 8
    check = selectors.exit_pass_check(exit_pass, outside)
    assert (check.valid, check.reason) == (False, "outside_window")
    assert check.next_window.starts_at.astimezone(SHANGHAI).date() == first + dt.timedelta(days=3)
    assert not selectors.exit_pass_check(exit_pass, after).valid
    # the gate (field operations) looks a pass up by number, QR token or person
    token = exit_pass.token_plain()
    assert selectors.valid_exit_pass(reference=exit_pass.number, at=inside) == exit_pass
    assert selectors.valid_exit_pass(reference=token, at=inside) == exit_pass
    assert selectors.valid_exit_pass(resident=grid["张三"], at=inside) == exit_pass
    assert selectors.valid_exit_pass(household=grid["h1"], at=outside) is None
    assert selectors.exit_pass_for_token(token) == exit_pass and selectors.exit_pass_for_token("nope") is None
    exit_pass_revoke(actor=grid["staff_user"], exit_pass=exit_pass, reason="转为住院")
    assert (
        selectors.exit_pass_check(exit_pass, inside).reason,
        selectors.valid_exit_pass(reference=token, at=inside),
    ) == (
        "revoked",
        None,
    )
    with pytest.raises(StatusConflict):
        exit_pass_revoke(actor=grid["staff_user"], exit_pass=exit_pass, reason="again")


def test_pass_rules(grid, trip):
    with pytest.raises(ValidationError) as err:
        issue(grid, trip, resident=grid["李四"], days=40, window_end=dt.time(8, 0), destination="")
    assert set(err.value.message_dict) == {"resident", "days", "window_end", "destination"}
    groceries = service_request_create(
        actor=None, household=grid["h1"], category=Category.GROCERIES, description="菜", channel="qr"
    )
    with pytest.raises(ValidationError) as err:
        issue(grid, groceries)
    assert "ticket" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # a household representative does not approve passes
        exit_pass_issue(
            actor=grid["rep_user"],
            ticket=trip,
            resident=grid["张三"],
            destination="医院",
            purpose="打针",
            vehicle="车",
            first_day=timezone.localdate(),
            days=1,
            window_start=dt.time(8),
            window_end=dt.time(9),
        )
    assert not ExitPass.objects.exists()


def test_printable_pass_with_qr_and_audited_gate_check(grid, trip, client_for, volunteer, other_community_staff):
    exit_pass = issue(grid, trip)
    page = client_for(grid["staff_user"]).get(reverse("assistance:exit_pass", args=[exit_pass.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and exit_pass.number in body and "<svg" in body and "甘A·12345" in body
    assert body.count("08:30") == 6
    url = reverse("assistance:pass_check", args=[exit_pass.token_plain()])
    guard = client_for(volunteer)  # a volunteer on gate duty in the compound
    page = guard.get(url)
    assert page.status_code == 200 and page.context["check"].valid is False  # first window is tomorrow
    entry = AuditEntry.objects.filter(action="pass_check").get()
    assert (entry.actor, entry.object_id, entry.detail["valid"]) == (volunteer, str(exit_pass.pk), False)
    assert client_for(other_community_staff).get(url).status_code == 404
    assert (
        client_for(other_community_staff).get(reverse("assistance:exit_pass", args=[exit_pass.pk])).status_code == 404
    )
