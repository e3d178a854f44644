"""New-user trial: the ticket list buried overdue emergencies; confirming a closed ticket answered 400
(a field error about the note) instead of a conflict; descriptions and close reasons of zero-width
characters only were taken; automatic tickets showed their stored Chinese text on English pages."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from lianfang.assistance.models import Category, ServiceRequest, TicketEvent
from lianfang.assistance.services.care import REFILL_TEXT
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_close,
    service_request_confirm,
    service_request_fulfil,
)
from lianfang.assistance.services.tokens import household_token_issue
from lianfang.assistance.texts import auto_text

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
# Trial 16 found the Hangul filler (U+3164) and the braille blank (U+2800) accepted as words.
BLANKS = ["\u200b", "\u200b\u200b", "\u200c", "\u200d \u200d", " \ufeff ", "\u3164\u3164", "\u2800"]


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


@pytest.fixture
def mixed(grid):
    """Five tickets received at different times (relative to now, so they never go stale): an overdue
    emergency filed an hour ago, an overdue grocery request of three days ago, two fresh ones and a
    closed one; the newest first by receipt would bury the emergency."""
    make = service_request_create
    emergency = make(actor=None, household=grid["h1"], category="emergency_medical", channel="qr", at=ago(hours=1))
    groceries = make(
        actor=None, household=grid["h1"], category="groceries", description="米面", channel="qr", at=ago(days=3)
    )
    medicine = make(
        actor=None,
        household=grid["h2"],
        category="medicine",
        description="胰岛素",
        resident_urgency="urgent",
        channel="qr",
        at=ago(minutes=5),
    )
    other = make(
        actor=None, household=grid["h2"], category="other", description="修门", channel="qr", at=ago(minutes=1)
    )
    closed = make(
        actor=None, household=grid["h2"], category="groceries", description="问询", channel="qr", at=ago(days=4)
    )
    service_request_close(actor=grid["staff_user"], ticket=closed, outcome="not_needed", note="已解决")
    return {"emergency": emergency, "groceries": groceries, "medicine": medicine, "other": other, "closed": closed}


def test_the_list_puts_overdue_emergencies_first_and_says_overdue(mixed, client_for, grid):
    page = client_for(grid["staff_user"]).get(reverse("assistance:tickets"), **EN)
    numbers = [t.number for t in page.context["page"]]
    assert numbers[:2] == [mixed["emergency"].number, mixed["groceries"].number]  # overdue, emergency first
    fresh = sorted([mixed["medicine"], mixed["other"]], key=lambda t: t.due_at)
    assert numbers[2:4] == [t.number for t in fresh]  # then by next deadline
    assert numbers[-1] == mixed["closed"].number
    assert [t.is_overdue for t in page.context["page"]] == [True, True, False, False, False]
    html = page.content.decode()
    assert html.count('data-testid="overdue"') == 2
    assert "Most urgent first" in html


def test_the_api_lists_in_the_same_order(mixed, api_for, grid):
    body = api_for(grid["staff_user"]).get(reverse("api:service-request-list")).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["number"] for r in rows[:2]] == [mixed["emergency"].number, mixed["groceries"].number]
    assert [r["overdue"] for r in rows] == [True, True, False, False, False]


def fulfilled_then_closed(grid):
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="medicine", description="药", channel="qr"
    )
    ticket = service_request_accept(actor=grid["staff_user"], ticket=ticket)
    service_request_close(actor=grid["staff_user"], ticket=ticket, outcome="withdrawn", note="住户撤回")
    return ServiceRequest.objects.get(pk=ticket.pk)


def test_confirming_a_closed_ticket_is_a_conflict_in_the_api(grid, api_for):
    ticket = fulfilled_then_closed(grid)
    api = api_for(grid["staff_user"])
    for body in ({}, {"note": "电话确认"}):
        answer = api.post(reverse("api:service-request-confirm", args=[ticket.pk]), body, format="json", **EN)
        assert answer.status_code == 409
        assert answer.json() == {
            "detail": f"{ticket.number} cannot be confirmed: it is Closed, and only a fulfilled request can be "
            "confirmed."
        }
    answer = api.post(
        reverse("api:service-request-close", args=[ticket.pk]), {"outcome": "other", "note": "再关"}, format="json"
    )
    assert answer.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.confirmed_at is None


def test_closing_a_closed_ticket_is_a_conflict_before_any_field_error(grid, api_for, client_for):
    """New-user trial 16: ``{}`` posted to close a closed ticket got "outcome/note required"."""
    ticket = fulfilled_then_closed(grid)
    answer = api_for(grid["staff_user"]).post(
        reverse("api:service-request-close", args=[ticket.pk]), {}, format="json", **EN
    )
    assert (answer.status_code, answer.json()) == (409, {"detail": "The request is already Closed."})
    page = client_for(grid["staff_user"]).post(
        reverse("assistance:ticket_action", args=[ticket.pk, "close"]), {}, follow=True, **EN
    )
    assert [str(m) for m in page.context["messages"]] == ["The request is already Closed."]
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_confirming_a_closed_ticket_on_the_page_says_why(grid, client_for):
    ticket = fulfilled_then_closed(grid)
    page = client_for(grid["staff_user"]).post(
        reverse("assistance:ticket_action", args=[ticket.pk, "confirm"]), {}, follow=True, **EN
    )
    assert page.status_code == 200
    assert [str(m) for m in page.context["messages"]] == [
        f"{ticket.number} cannot be confirmed: it is Closed, and only a fulfilled request can be confirmed."
    ]
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    page = client_for(grid["staff_user"]).post(
        reverse("assistance:resident_confirm", args=[token, ticket.pk]), follow=True, **ZH
    )
    assert page.status_code == 200
    assert "只有已办结的诉求才能确认" in " ".join(str(m) for m in page.context["messages"])


def test_a_fulfilled_ticket_still_needs_a_note_from_staff(grid):
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="medicine", description="药", channel="qr"
    )
    ticket = service_request_accept(actor=grid["staff_user"], ticket=ticket)
    ticket = service_request_fulfil(actor=grid["staff_user"], ticket=ticket)
    with pytest.raises(ValidationError) as refused:
        service_request_confirm(actor=grid["staff_user"], ticket=ticket, note="\u200b")
    assert list(refused.value.message_dict) == ["note"]
    assert service_request_confirm(actor=grid["staff_user"], ticket=ticket, note="电话确认").status == "confirmed"


@pytest.mark.parametrize("blank", BLANKS)
def test_zero_width_descriptions_are_refused_on_the_page_and_the_api(grid, client_for, api_for, blank):
    url = reverse("assistance:new") + f"?household={grid['h1'].pk}"
    form = {"category": "medicine", "description": blank, "resident_urgency": "", "channel": "hotline"}
    page = client_for(grid["staff_user"]).post(url, {**form, "filed_by": "staff"}, **EN)
    assert page.context["form"].errors == {"description": ["please describe what is needed"]}
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    qr = {"category": "medicine", "description": blank, "resident_urgency": "normal", "filed_by": "household"}
    page = client_for(grid["staff_user"]).post(reverse("assistance:resident_new", args=[token]), qr, **EN)
    assert page.status_code == 400
    assert page.context["form"].errors == {"description": ["please describe what is needed"]}
    body = {"household": grid["h1"].pk, "category": "medicine", "description": blank}
    answer = api_for(grid["staff_user"]).post(reverse("api:service-request-list"), body, format="json", **EN)
    assert (answer.status_code, answer.json()) == (400, {"description": ["please describe what is needed"]})
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("blank", BLANKS)
def test_zero_width_close_reasons_are_refused_on_the_page_and_the_api(grid, client_for, api_for, blank):
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="other", description="修门", channel="qr"
    )
    ticket = service_request_accept(actor=grid["staff_user"], ticket=ticket)
    events = TicketEvent.objects.count()
    page = client_for(grid["staff_user"]).post(
        reverse("assistance:ticket_action", args=[ticket.pk, "close"]),
        {"outcome": "withdrawn", "note": blank},
        follow=True,
        **EN,
    )
    messages = " ".join(str(m) for m in page.context["messages"])
    assert "Reason:" in messages
    answer = api_for(grid["staff_user"]).post(
        reverse("api:service-request-close", args=[ticket.pk]), {"outcome": "withdrawn", "note": blank}, format="json"
    )
    assert answer.status_code == 400 and list(answer.json()) == ["note"]
    ticket.refresh_from_db()
    assert (ticket.status, TicketEvent.objects.count()) == ("accepted", events)


def test_an_automatic_text_reads_in_the_readers_language(grid, client_for, api_for):
    text = auto_text(REFILL_TEXT, medicine="二甲双胍", name="张三", day="2026-12-05", dose="2", unit="片")
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="medicine", channel="proactive", filed_by="system", text=text
    )
    assert ticket.description.startswith("续药")  # stored in the default language
    client = client_for(grid["staff_user"])
    english = client.get(reverse("assistance:ticket", args=[ticket.pk]), **EN).content.decode()
    assert "Refill: 二甲双胍 for 张三 runs out on 2026-12-05 (2 片 a day)." in english
    assert "续药" not in english  # neither the description nor the timeline's note
    chinese = client.get(reverse("assistance:ticket", args=[ticket.pk]), **ZH).content.decode()
    assert ticket.description in chinese
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    home = client.get(reverse("assistance:resident_home", args=[token]), **EN).content.decode()
    assert "Refill: 二甲双胍" in home
    api = api_for(grid["staff_user"])  # new-user trial 16: the API gave the stored Chinese to an English caller
    detail = reverse("api:service-request-detail", args=[ticket.pk])
    assert (
        api.get(detail, **EN).json()["description"] == "Refill: 二甲双胍 for 张三 runs out on 2026-12-05 (2 片 a day)."
    )
    assert api.get(detail, **ZH).json()["description"] == ticket.description


def test_an_emergency_without_words_reads_in_the_readers_language(grid, client_for):
    ticket = service_request_create(actor=None, household=grid["h1"], category="emergency_medical", channel="qr")
    assert ticket.description == str(Category.EMERGENCY_MEDICAL.label) or ticket.description == "紧急医疗"
    page = client_for(grid["staff_user"]).get(reverse("assistance:ticket", args=[ticket.pk]), **EN)
    assert "<p>Emergency medical</p>" in page.content.decode()


def test_rows_written_before_show_what_was_stored(grid, client_for):
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="medicine", description="降压药", channel="qr"
    )
    assert ticket.text == {}
    page = client_for(grid["staff_user"]).get(reverse("assistance:ticket", args=[ticket.pk]), **EN)
    assert "<p>降压药</p>" in page.content.decode()
