"""New-user trial 16, medical exit passes: a first day far ahead, a second active pass for the same
person and period, blank-looking (zero-width) text, and the raw key "ticket：" in a page message."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.assistance.models import Category, ExitPass
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.passes import EXIT_PASS_HORIZON_DAYS, exit_pass_revoke
from lianfang.assistance.tests.test_passes import issue, trip  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refusal(grid, ticket, **values) -> dict:
    """The ``message_dict`` of the ValidationError of issuing a pass with ``values``."""
    with pytest.raises(ValidationError) as err:
        issue(grid, ticket, **values)
    return err.value.message_dict


def test_a_first_day_beyond_the_horizon_is_refused(grid, trip):  # noqa: F811
    today = timezone.localdate()
    last = today + dt.timedelta(days=EXIT_PASS_HORIZON_DAYS)
    assert refusal(grid, trip, first_day=last + dt.timedelta(days=1), days=1) == {
        "first_day": [
            f"the first day “{last + dt.timedelta(days=1)}” is more than 30 days ahead (at the latest {last}): "
            "approve the pass nearer the trip, when the need is known"
        ]
    }
    assert issue(grid, trip, first_day=last, days=1).windows.count() == 1


def test_a_second_active_pass_for_the_same_person_and_period_is_refused(grid, trip):  # noqa: F811
    first = timezone.localdate() + dt.timedelta(days=1)
    existing = issue(grid, trip, first_day=first, days=3)
    assert refusal(grid, trip, first_day=first + dt.timedelta(days=2), days=2) == {
        "resident": [
            f"张三 already has the active exit pass {existing.number} for {first} to {first + dt.timedelta(days=2)}, "
            "which overlaps this one: revoke it first to replace it"
        ]
    }
    # after the old pass's last day, or once it is revoked, a new one is issued
    later = issue(grid, trip, first_day=first + dt.timedelta(days=3), days=1)
    exit_pass_revoke(actor=grid["staff_user"], exit_pass=existing, reason="改期")
    again = issue(grid, trip, first_day=first, days=2)
    assert ExitPass.objects.filter(status="active").count() == 2 and {later.pk, again.pk} < set(
        ExitPass.objects.values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("destination", "\u200b", "this field is required"),  # blank-looking is missing
        ("purpose", "静脉\u200d注射", "must not contain control characters (U+200D)."),
        ("vehicle", "社区车\u2060", "must not contain control characters (U+2060)."),
        ("companion", "\u200b", "must not contain control characters (U+200B)."),
    ],
)
def test_zero_width_text_is_refused(grid, trip, field, value, message):  # noqa: F811
    assert refusal(grid, trip, **{field: value}) == {field: [message]}
    assert not ExitPass.objects.exists()


def _form(first_day, **extra):
    return {
        "resident": "",
        "destination": "兰州市第二人民医院",
        "purpose": "静脉注射",
        "vehicle": "社区保障车",
        "companion": "",
        "first_day": first_day.isoformat(),
        "days": "1",
        "every_days": "1",
        "window_start": "08:30",
        "window_end": "11:00",
        **extra,
    }


def test_the_page_names_the_request_never_the_raw_key(grid, client_for):
    groceries = service_request_create(
        actor=None, household=grid["h1"], category=Category.GROCERIES, description="菜", channel="qr"
    )
    client = client_for(grid["staff_user"])
    data = _form(timezone.localdate(), resident=str(grid["张三"].pk), destination="医院\u200b")
    page = client.post(reverse("assistance:pass_new", args=[groceries.pk]), data, **ZH).content.decode()
    assert "ticket：" not in page and "ticket:" not in page
    assert "诉求：" in page
    assert "不能包含控制字符（U+200B）" in page
    assert not ExitPass.objects.exists()
