"""Pages: the board, lists, ticket and timeline export, intake forms, QR links; scope and query budgets."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.assistance.models import Category, HouseholdToken, ServiceRequest, Status
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import service_request_accept, service_request_fulfil
from lianfang.assistance.services.tokens import household_token_revoke
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(grid):
    """Four tickets of 下西园 (one overdue emergency, one accepted and fulfilled) and one of 上西园."""
    staff = grid["staff_user"]
    now = timezone.now()

    def at(minutes=0):
        return now + dt.timedelta(minutes=minutes)

    made = {
        "emergency": service_request_create(
            actor=None,
            household=grid["h1"],
            category=Category.EMERGENCY_MEDICAL,
            description="摔倒",
            channel="qr",
            at=at(-60),
        ),
        "medicine": service_request_create(
            actor=None, household=grid["h1"], category=Category.MEDICINE, description="药", channel="qr", at=at()
        ),
        "groceries": service_request_create(
            actor=None, household=grid["h2"], category=Category.GROCERIES, description="菜", channel="qr", at=at(-30)
        ),
        "other": service_request_create(
            actor=None, household=grid["h3"], category=Category.OTHER, description="修水管", channel="qr", at=at()
        ),
    }
    service_request_accept(actor=staff, ticket=made["groceries"], at=at(-20))
    service_request_fulfil(actor=staff, ticket=made["groceries"], at=at(-10))
    return made


def test_board_counts_open_and_overdue_by_community_and_category(
    grid, tickets, district_commander, client_for, django_assert_max_num_queries
):
    client = client_for(district_commander)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("assistance:index"))
    board = page.context["board"]
    assert (board.open, board.overdue) == (3, 1)  # groceries is fulfilled: only waiting for the household
    rows = {community.code: (cells, n, late) for community, cells, n, late in board.rows}
    cells, n, late = rows["620103001001"]
    assert (n, late) == (2, 1)
    assert {c: (o, d) for c, o, d in cells}["emergency_medical"] == (1, 1)
    assert rows["620103001002"][1:] == (1, 0)
    medians = page.context["medians"]
    assert (medians.accept_minutes, medians.fulfil_minutes) == (10.0, 20.0)
    loads = {row["name"]: (row["open"], row["overdue"]) for row in page.context["loads"]}
    assert loads == {"": (3, 1)}  # nobody has accepted the open ones
    # the overdue counts in the language's brackets (new-user trial 13: "2 (1)" on the Chinese page)
    assert '<span class="late">（1）</span>' in page.content.decode()
    english = client.get(reverse("assistance:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="late"> (1)</span>' in english


def test_lists_are_scoped_with_query_budgets(
    grid, tickets, client_for, other_community_staff, outsider, django_assert_max_num_queries
):
    client = client_for(grid["staff_user"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("assistance:tickets"))
    assert page.context["page"].paginator.count == 3
    assert client.get(reverse("assistance:tickets"), {"overdue": "true"}).context["page"].paginator.count == 1
    assert client.get(reverse("assistance:tickets"), {"category": "medicine"}).context["page"].paginator.count == 1
    # another community's code is a 400 naming it, as on the zones pages (core.filters.ScopedWithinFilter)
    assert client.get(reverse("assistance:tickets"), {"within": "620103001002"}).status_code == 400
    other = client_for(other_community_staff)
    assert other.get(reverse("assistance:tickets")).context["page"].paginator.count == 1
    nobody = client_for(outsider)
    assert nobody.get(reverse("assistance:tickets")).context["page"].paginator.count == 0
    assert nobody.get(reverse("assistance:index")).context["board"].open == 0
    assert nobody.get(reverse("assistance:alerts")).context["page"].paginator.count == 0
    assert nobody.get(reverse("assistance:care")).context["tasks"] == []


def test_outsider_gets_404_on_every_ticket_page(grid, tickets, client_for, other_community_staff):
    ticket = tickets["medicine"]
    client = client_for(other_community_staff)
    for url in (
        reverse("assistance:ticket", args=[ticket.pk]),
        reverse("assistance:ticket_export", args=[ticket.pk]),
        reverse("assistance:pass_new", args=[ticket.pk]),
        reverse("assistance:household_qr", args=[grid["h1"].pk]),
        reverse("assistance:medicine_new") + f"?household={grid['h1'].pk}",
        reverse("assistance:new") + f"?household={grid['h1'].pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("assistance:ticket_action", args=[ticket.pk, "accept"])).status_code == 404
    assert ServiceRequest.objects.get(pk=ticket.pk).status == Status.NEW


def test_ticket_page_actions_and_timeline_export(grid, tickets, client_for):
    ticket = tickets["medicine"]
    client = client_for(grid["staff_user"])
    page = client.get(reverse("assistance:ticket", args=[ticket.pk]))
    assert page.status_code == 200 and page.context["handler"] and "陈代表" in page.content.decode()
    # the rule set is named in the reader's language (new-user trial 13: Chinese on the English page)
    assert "诉求服务时限（七里河 2022）" in page.content.decode()
    english = client.get(reverse("assistance:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Service time limits (Qilihe 2022)" in english and "诉求服务时限" not in english
    client.post(reverse("assistance:ticket_action", args=[ticket.pk, "accept"]))
    client.post(reverse("assistance:ticket_action", args=[ticket.pk, "fulfil"]), {"note": "已送达"})
    response = client.post(reverse("assistance:ticket_action", args=[ticket.pk, "start"]), follow=True)
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"  # a fulfilled request cannot start
    assert ServiceRequest.objects.get(pk=ticket.pk).status == Status.FULFILLED
    export = client.get(reverse("assistance:ticket_export", args=[ticket.pk]))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "staff" in rows[0][0]  # watermark: who exported it
    assert rows[1] == ["Number", ticket.number] or rows[1][1] == ticket.number
    assert [r[5] for r in rows[9:]] == ["received", "accepted", "fulfilled"]
    assert AuditEntry.objects.filter(action="export", object_id=str(ticket.pk), actor=grid["staff_user"]).exists()
    # a volunteer sees the ticket but may not export it
    volunteer = client_for(grid["rep_user"])
    assert volunteer.get(reverse("assistance:ticket_export", args=[ticket.pk])).status_code == 403


def test_staff_phone_form_files_on_behalf_of_a_household(grid, client_for, volunteer):
    client = client_for(volunteer)
    search = client.get(reverse("assistance:new"), {"q": "阳光小区"})
    assert [h.pk for h in search.context["households"]] == [grid["h1"].pk, grid["h2"].pk]
    url = reverse("assistance:new") + f"?household={grid['h1'].pk}"
    bad = client.post(url, {"category": "medicine", "description": "", "channel": "staff", "filed_by": "volunteer"})
    assert bad.status_code == 200 and "description" in bad.context["form"].errors
    response = client.post(
        url,
        {
            "category": "medicine",
            "description": "胰岛素",
            "channel": "staff",
            "filed_by": "volunteer",
            "resident": grid["张三"].pk,
            "phone": "13899990000",
        },
    )
    ticket = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("assistance:ticket", args=[ticket.pk])
    assert (ticket.resident, ticket.created_by, ticket.intakes.get().phone_masked) == (
        grid["张三"],
        volunteer,
        "138****0000",
    )


def test_household_qr_link_is_the_scope_of_the_resident_page(grid, tickets, client_for, client):
    staff = client_for(grid["staff_user"])
    staff.post(reverse("assistance:household_qr", args=[grid["h1"].pk]), {"action": "issue"})
    token = HouseholdToken.objects.get(household=grid["h1"], revoked_at__isnull=True).token_plain()
    staff.logout()
    page = client.get(reverse("assistance:resident_home", args=[token]))
    body = page.content.decode()
    assert page.status_code == 200 and grid["h1"].address in body
    assert tickets["medicine"].number in body and tickets["emergency"].number in body
    assert tickets["groceries"].number not in body and tickets["other"].number not in body  # other households
    response = client.post(
        reverse("assistance:resident_new", args=[token]),
        {"category": "groceries", "description": "需要鸡蛋", "resident_urgency": "normal", "filed_by": "household"},
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.filter(household=grid["h1"], category="groceries").count() == 1
    # confirming another household's ticket through this link is impossible
    other = tickets["groceries"]
    assert client.post(reverse("assistance:resident_confirm", args=[token, other.pk])).status_code == 404
    assert ServiceRequest.objects.get(pk=other.pk).status == Status.FULFILLED
    # revoked: the old link stops working at once
    household_token_revoke(actor=grid["staff_user"], household=grid["h1"], reason="贴纸被拍照外传")
    assert client.get(reverse("assistance:resident_home", args=[token])).status_code == 404
    assert client.get(reverse("assistance:resident_home", args=["not-a-token"])).status_code == 404


def test_qr_sheet_mints_once_and_prints_every_household(grid, client_for, other_community_staff):
    client = client_for(grid["staff_user"])
    page = client.get(reverse("assistance:qr_sheet"), {"code": grid["compound_a"].code})
    assert page.status_code == 200 and len(page.context["stickers"]) == 2
    assert HouseholdToken.objects.count() == 2
    client.get(reverse("assistance:qr_sheet"), {"code": grid["compound_a"].code})
    assert HouseholdToken.objects.count() == 2  # printed again: the same links
    # another community's compound: the 400 naming the code, as every list (core.filters.query_scoped_code)
    outsider = client_for(other_community_staff).get(
        reverse("assistance:qr_sheet"), {"code": grid["compound_a"].code}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert outsider.status_code == 400
    assert f"“{grid['compound_a'].code}” is not the code of a division you may see" in outsider.content.decode()
    assert HouseholdToken.objects.count() == 2


def test_notifications_page_and_mark_read(grid, tickets, client_for):
    client = client_for(grid["rep_user"])
    page = client.get(reverse("assistance:alerts"))
    kinds = sorted(n.kind for n in page.context["page"])
    assert kinds == ["emergency_alert", "new_request", "new_request", "new_request"]
    first = page.context["page"][0]
    client.post(reverse("assistance:alert_read", args=[first.pk]))
    assert client.get(reverse("assistance:alerts")).context["page"].paginator.count == 3


def test_timeline_export_keeps_typed_formulas_as_text(grid, tickets, client_for):
    """New-user trial 12: a note ``=1+2+cmd|' /C calc'!A0`` was a live formula in timeline.xlsx."""
    ticket = tickets["medicine"]
    client = client_for(grid["staff_user"])
    typed = "=1+2+cmd|' /C calc'!A0"
    client.post(reverse("assistance:ticket_action", args=[ticket.pk, "note"]), {"note": typed})
    export = client.get(reverse("assistance:ticket_export", args=[ticket.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == typed]
    assert len(cells) == 1 and cells[0].data_type == "s"
