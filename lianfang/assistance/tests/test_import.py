"""A partner's list imported as intakes: validate the whole file, then file every row (issue 7 §1)."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from lianfang.assistance.importers import import_partner_list
from lianfang.assistance.models import Intake, ServiceRequest, Status
from lianfang.assistance.services.intake import service_request_create

pytestmark = pytest.mark.django_db


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["某某超市保供名单"])  # a title row above the header, as real lists have
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["编号", "住户编号", "地址", "类别", "诉求内容", "紧急程度", "联系人", "电话"]


def test_rows_are_filed_linked_and_never_doubled(grid):
    already = service_request_create(
        actor=None, household=grid["h2"], category="medicine", description="要药", channel="qr"
    )
    data = xlsx(
        [
            HEADER,
            ["A-1", grid["h1"].pk, "", "生活物资", "米面油", "", "张三", "13812345678"],
            ["A-2", "", grid["h2"].address, "药品", "降压药", "紧急", "李四", ""],
        ]
    )
    result = import_partner_list(actor=grid["staff_user"], data=data, file_name="list.xlsx", partner_name="某某超市")
    assert result.ok, [str(i) for i in result.issues]
    assert (result.rows, result.created, result.linked, result.replayed) == (2, 1, 1, 0)
    assert result.tickets[1][1] == already.number and result.tickets[1][3] is True
    h1 = ServiceRequest.objects.get(household=grid["h1"])
    assert (h1.category, h1.intakes.get().channel, h1.intakes.get().partner_ref) == ("groceries", "partner", "A-1")
    assert ServiceRequest.objects.get(pk=already.pk).intake_count == 2
    # the same list again: recognised, nothing written twice
    again = import_partner_list(actor=grid["staff_user"], data=data, file_name="list.xlsx", partner_name="某某超市")
    assert (again.created, again.linked, again.replayed) == (0, 0, 2)
    assert Intake.objects.count() == 3 and ServiceRequest.objects.count() == 2


def test_one_bad_row_writes_nothing_and_names_row_column_value(grid):
    data = xlsx(
        [
            HEADER,
            ["B-1", grid["h1"].pk, "", "生活物资", "米", "", "", ""],
            ["B-2", grid["h3"].pk, "", "生活物资", "米", "", "", ""],  # another community: not in scope
            ["B-3", "", "不存在的地址", "外卖", "", "马上", "", "12345"],
            ["B-1", grid["h2"].pk, "", "其他", "修水管", "", "", ""],
        ]
    )
    result = import_partner_list(actor=grid["staff_user"], data=data, file_name="list.xlsx", partner_name="某某超市")
    found = {(i.row, i.column, i.value) for i in result.issues}
    assert found == {
        (4, "住户编号", str(grid["h3"].pk)),
        (5, "地址", "不存在的地址"),
        (5, "类别", "外卖"),
        (5, "紧急程度", "马上"),
        (5, "诉求内容", ""),
        (5, "电话", "12345"),
        (6, "编号", "B-1"),
    }
    assert ServiceRequest.objects.count() == 0 and Intake.objects.count() == 0


def test_gbk_csv_and_dry_run(grid):
    text = "编号,住户编号,类别,诉求内容\nC-1,{},药品,胰岛素\n".format(grid["h1"].pk)
    result = import_partner_list(
        actor=grid["staff_user"], data=text.encode("gbk"), file_name="list.csv", partner_name="药房", dry_run=True
    )
    assert result.ok and (result.created, result.dry_run) == (1, True)
    assert ServiceRequest.objects.count() == 0
    assert result.tickets == [(2, "", str(Status.NEW.label), False)]


def test_import_page(grid, client_for, volunteer):
    client = client_for(grid["staff_user"])
    upload = io.BytesIO(xlsx([HEADER, ["D-1", grid["h1"].pk, "", "other", "换灯泡", "", "", ""]]))
    upload.name = "list.xlsx"
    page = client.post(reverse("assistance:import"), {"partner_name": "物业", "file": upload})
    assert page.status_code == 200 and page.context["result"].created == 1
    assert client_for(volunteer).get(reverse("assistance:import")).status_code == 403
