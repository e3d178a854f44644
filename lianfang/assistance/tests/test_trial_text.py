"""New-user trial: a ticket's text held a BEL (\\x07) and the QR form took ``<b>x</b>`` as the
reporter's name. Control characters are refused in every text of a ticket (core.fielderrors.
control_character_problem: line breaks and tabs allowed in descriptions and notes), and the reporter's
name follows the rule for residents' names (registry.services.name_problem), each as a field error;
nothing is written."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianfang.assistance.models import ServiceRequest, TicketEvent
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept, service_request_close, service_request_note
from lianfang.assistance.services.tokens import household_token_issue

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
BEL = "不能包含控制字符（U+0007）。"
NOT_A_NAME = "不像是姓名：不允许尖括号和控制字符"


def qr_post(client, grid, **fields):
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    body = {"category": "medicine", "description": "降压药", "resident_urgency": "normal", "filed_by": "household"}
    return client.post(reverse("assistance:resident_new", args=[token]), {**body, **fields}, **ZH)


def accepted_ticket(grid):
    household = grid["h1"]
    ticket = service_request_create(actor=None, household=household, category="other", description="修门", channel="qr")
    return service_request_accept(actor=grid["staff_user"], ticket=ticket)


@pytest.mark.parametrize("text", ["降压药\x07", "\x1b[31m降压药", "降压药\x7f", "降压\x85药"])
def test_a_control_character_in_the_qr_description_is_a_field_error(grid, client, text):
    page = qr_post(client, grid, description=text)
    assert page.status_code == 400
    code = f"U+{ord(next(c for c in text if not c.isprintable())):04X}"
    assert page.context["form"].errors == {"description": [f"不能包含控制字符（{code}）。"]}
    assert not ServiceRequest.objects.exists()


def test_line_breaks_and_tabs_in_a_description_are_kept_as_text(grid, client):
    assert qr_post(client, grid, description="降压药\r\n\t只剩两天").status_code == 302
    assert ServiceRequest.objects.get().description == "降压药 只剩两天"


@pytest.mark.parametrize("name", ["<b>x</b>", "<img src=x onerror=alert(1)>", "张\x07三", "张" * 61])
def test_the_qr_form_refuses_a_reporter_name_that_is_not_a_name(grid, client, name):
    page = qr_post(client, grid, reporter_name=name, filed_by="relative")
    assert page.status_code == 400
    assert list(page.context["form"].errors) == ["reporter_name"]
    if len(name) <= 60:
        assert page.context["form"].errors["reporter_name"] == [NOT_A_NAME]
        assert "&lt;b&gt;x&lt;/b&gt;" not in page.content.decode() or name == "<b>x</b>"
        assert "<b>x</b>" not in page.content.decode()
    assert not ServiceRequest.objects.exists()


def test_the_qr_form_keeps_a_plain_reporter_name(grid, client):
    assert qr_post(client, grid, reporter_name="张小红", filed_by="relative").status_code == 302
    assert ServiceRequest.objects.get().intakes.get().reporter_name == "张小红"


def test_the_name_rule_is_worded_in_english_too(grid, client):
    _row, token = household_token_issue(actor=grid["staff_user"], household=grid["h1"])
    body = {"category": "medicine", "description": "pills", "resident_urgency": "normal", "filed_by": "relative"}
    url = reverse("assistance:resident_new", args=[token])
    page = client.post(url, {**body, "reporter_name": "<b>x</b>"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["form"].errors == {
        "reporter_name": ["not a plausible name: angle brackets and control characters are not allowed"]
    }
    page = client.post(url, {**body, "description": "pills\x07"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["form"].errors == {"description": ["must not contain control characters (U+0007)."]}


def test_the_api_refuses_a_control_character_and_a_markup_name(grid, api_for):
    api = api_for(grid["staff_user"])
    body = {"household": grid["h1"].pk, "category": "medicine", "description": "胰岛素\x07"}
    answer = api.post(reverse("api:service-request-list"), body, format="json", **ZH)
    assert (answer.status_code, answer.json()) == (400, {"description": [BEL]})
    body = {**body, "description": "胰岛素", "reporter_name": "<b>x</b>", "filed_by": "relative"}
    answer = api.post(reverse("api:service-request-list"), body, format="json", **ZH)
    assert answer.status_code == 400
    assert answer.json()["reporter_name"] == [NOT_A_NAME]
    assert not ServiceRequest.objects.exists()


def test_a_note_or_close_reason_with_a_control_character_is_refused_and_nothing_changes(grid):
    ticket = accepted_ticket(grid)
    events = TicketEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        service_request_note(actor=grid["staff_user"], ticket=ticket, note="已联系\x07")
    assert refused.value.message_dict == {"note": [BEL]}
    with pytest.raises(ValidationError):
        service_request_close(actor=grid["staff_user"], ticket=ticket, outcome="withdrawn", note="撤回\x1b")
    ticket.refresh_from_db()
    assert (ticket.status, TicketEvent.objects.count()) == ("accepted", events)
    service_request_note(actor=grid["staff_user"], ticket=ticket, note="已联系\n明天上门")
    assert ticket.events.last().note == "已联系\n明天上门"


def test_a_staff_note_with_a_control_character_is_a_field_error_on_the_ticket_page(grid, client_for):
    ticket = accepted_ticket(grid)
    client = client_for(grid["staff_user"])
    url = reverse("assistance:ticket_action", args=[ticket.pk, "note"])
    page = client.post(url, {"note": "已联系\x07"}, follow=True, **ZH)
    assert BEL in page.content.decode()
    assert not ticket.events.filter(kind="note").exists()
