"""New-user trial findings: the hand-off accepts only the people the form offers (page, API and the
service itself), the ticket's zone tier in the reader's language, and refused actions name fields by
their labels."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.assistance import selectors
from lianfang.assistance.models import Notification, ServiceRequest, TicketEvent
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_fulfil,
    service_request_hand_off,
)
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(grid):
    """A ticket of h1 accepted by the community staff 刘网格 (account ``staff``)."""
    ticket = service_request_create(
        actor=None, household=grid["h1"], category="other", description="修门", channel="qr"
    )
    return service_request_accept(actor=grid["staff_user"], ticket=ticket)


@pytest.fixture
def admin(db):
    from lianfang.accounts.models import User

    return User.objects.create_superuser(username="admin", password="x", display_name="admin")


def _nothing_offered(ticket):
    fresh = ServiceRequest.objects.get(pk=ticket.pk)
    assert fresh.offered_to_id is None
    assert not TicketEvent.objects.filter(ticket=ticket, kind="handoff_offered").exists()
    assert not AuditEntry.objects.filter(action="handoff", object_id=str(ticket.pk)).exists()
    assert not Notification.objects.filter(ticket=ticket, kind="handoff").exists()


def test_candidates_are_the_people_who_may_handle_the_ticket(grid, accepted, admin):
    names = [u.username for u in selectors.handoff_candidates(accepted)]
    assert names == ["cadre", "leader", "rep"]  # not the assignee (staff), nor the admin (no role here)


@pytest.mark.parametrize("value", ["abc", "-1", "99999", "admin", "", "5.0"])
def test_page_hand_off_refuses_anyone_the_form_does_not_offer(grid, accepted, admin, client_for, value):
    to = str(admin.pk) if value == "admin" else value
    client = client_for(grid["staff_user"])
    response = client.post(
        reverse("assistance:ticket_action", args=[accepted.pk, "handoff"]),
        {"to": to, "note": "换人"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    form = response.context["handoff_form"]
    expected = "此项必填。" if to == "" else f"“{to}”不是可以转交此诉求的人员。"
    assert form.errors["to"] == [expected]
    body = response.content.decode()
    assert expected in body and 'data-testid="handoff"' in body and "<details open" in body
    # the form still offers exactly the candidates
    assert [label for _pk, label in form.fields["to"].choices] == ["cadre", "leader", "rep"]
    _nothing_offered(accepted)


def test_page_hand_off_error_in_english(grid, accepted, admin, client_for):
    client = client_for(grid["staff_user"])
    response = client.post(
        reverse("assistance:ticket_action", args=[accepted.pk, "handoff"]),
        {"to": admin.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.context["handoff_form"].errors["to"] == [
        f"“{admin.pk}” is not one of the people this request can be handed off to."
    ]
    _nothing_offered(accepted)


def test_page_hand_off_to_an_offered_person(grid, accepted, client_for):
    client = client_for(grid["staff_user"])
    cadre = grid["cadre_user"]
    response = client.post(
        reverse("assistance:ticket_action", args=[accepted.pk, "handoff"]),
        {"to": cadre.pk, "note": "我要去采样"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"{accepted.number} 已转交给cadre，待其接手。"]
    fresh = ServiceRequest.objects.get(pk=accepted.pk)
    assert (fresh.assignee_id, fresh.offered_to_id) == (grid["staff_user"].pk, cadre.pk)
    entry = AuditEntry.objects.get(action="handoff", object_id=str(accepted.pk))
    assert (entry.actor_id, entry.detail["to"]) == (grid["staff_user"].pk, cadre.pk)


def test_page_hand_off_needs_the_right_to_handle(grid, accepted, client_for, volunteer):
    response = client_for(volunteer).post(
        reverse("assistance:ticket_action", args=[accepted.pk, "handoff"]), {"to": grid["cadre_user"].pk}
    )
    assert response.status_code == 403
    _nothing_offered(accepted)


@pytest.mark.parametrize("value", ["abc", -1, 99999, "admin"])
def test_api_hand_off_refuses_anyone_the_form_does_not_offer(grid, accepted, admin, api_for, value):
    to = admin.pk if value == "admin" else value
    response = api_for(grid["staff_user"]).post(
        reverse("api:service-request-hand-off", args=[accepted.pk]),
        {"to": to},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json() == {"to": [f"“{to}”不是可以转交此诉求的人员。"]}
    _nothing_offered(accepted)


def test_api_hand_off_to_an_offered_person_and_403_without_the_right(grid, accepted, api_for, volunteer):
    url = reverse("api:service-request-hand-off", args=[accepted.pk])
    leader = grid["leader_user"]
    assert api_for(volunteer).post(url, {"to": leader.pk}, format="json").status_code == 403
    response = api_for(grid["staff_user"]).post(url, {"to": leader.pk}, format="json")
    assert response.status_code == 200
    assert ServiceRequest.objects.get(pk=accepted.pk).offered_to_id == leader.pk


@pytest.mark.parametrize(("language", "label"), [("en", "Sealed area"), ("zh-hans", "封控区")])
def test_ticket_page_shows_the_tier_in_the_readers_language(grid, sealed, client_for, language, label):
    with translation.override("zh-hans"):  # filed by a Chinese reader: the name is stored in Chinese
        ticket = service_request_create(
            actor=None, household=grid["h1"], category="medicine", description="药", channel="qr"
        )
    assert (ticket.tier_key, ticket.tier_name) == ("sealed", "封控区")
    page = client_for(grid["staff_user"]).get(
        reverse("assistance:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    body = page.content.decode()
    assert f'data-tier="sealed" data-testid="ticket-tier">{label}</span>' in body
    if language == "en":
        assert "封控区" not in body


def test_ticket_without_a_tier_shows_no_tag(grid, client_for):
    ticket = service_request_create(
        actor=None, household=grid["h3"], category="medicine", description="药", channel="qr"
    )
    assert ticket.tier_key == "" and ticket.tier_label == ""
    page = client_for(grid["staff_user"]).get(reverse("assistance:ticket", args=[ticket.pk]))
    assert 'data-testid="ticket-tier"' not in page.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "原因：此项必填。"), ("en", "Reason: This field is required.")],
)
def test_refused_close_names_the_field_by_its_label(grid, accepted, client_for, language, expected):
    client = client_for(grid["staff_user"])
    response = client.post(
        reverse("assistance:ticket_action", args=[accepted.pk, "close"]),
        {"outcome": "other"},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [expected]


def test_refused_confirm_names_the_service_field_by_its_label(grid, accepted, client_for):
    client = client_for(grid["staff_user"])
    service_request_fulfil(actor=grid["staff_user"], ticket=accepted, at=timezone.now())
    response = client.post(
        reverse("assistance:ticket_action", args=[accepted.pk, "confirm"]),
        {"note": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0].startswith("备注：") and "note" not in messages[0]


@pytest.mark.parametrize(("value", "status"), [("abc", 400), ("", 404), ("-1", 400)])
def test_medicine_form_without_a_household_is_404_and_with_one_that_is_not_an_id_400(grid, client_for, value, status):
    response = client_for(grid["staff_user"]).get(reverse("assistance:medicine_new"), {"household": value})
    assert response.status_code == status  # the 400 names the value (test_bad_queries)


# ---- the hand-off rule lives in the service: anyone outside the offered people is refused there


@pytest.mark.parametrize("who", ["admin", "assignee", "outsider", "unknown id", "none", "text"])
def test_service_refuses_a_target_outside_the_offered_people_and_writes_nothing(grid, accepted, admin, outsider, who):
    to = {
        "admin": admin,  # may handle anything, but holds no role here: not offered
        "assignee": grid["staff_user"],  # already holds it: not offered
        "outsider": outsider,
        "unknown id": 999999,
        "none": None,
        "text": "abc",
    }[who]
    offered = {u.pk for u in selectors.handoff_candidates(accepted)}
    assert getattr(to, "pk", to) not in offered
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        service_request_hand_off(actor=grid["staff_user"], ticket=accepted, to=to, note="换人")
    value = "" if to is None else str(to)
    assert refused.value.message_dict == {"to": [f"“{value}”不是可以转交此诉求的人员。"]}
    _nothing_offered(accepted)


def test_service_accepts_an_offered_target_as_a_user_or_an_id(grid, accepted):
    cadre = grid["cadre_user"]
    ticket = service_request_hand_off(actor=grid["staff_user"], ticket=accepted, to=cadre.pk, note="换人")
    assert ticket.offered_to == cadre and ticket.assignee == grid["staff_user"]
