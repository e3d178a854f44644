"""Fourth new-user trial: the daily-close form and API name the field and the value in the reader's
language; the new-layout page names fields by label; JSON exports write local times with their
offset; report layouts are an office tool (403 naming the reason for the other roles); a grid
worker's daily report exports are titled with their part."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _grid_worker(compound, username="grid-a", role="grid_worker"):
    from lianfang.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username)
    RoleAssignment.objects.create(user=user, role=role, division=compound, starts_on=dt.date(2020, 1, 1))
    return user


def test_daily_close_page_names_field_and_value_in_chinese(client_for, district_commander):
    response = client_for(district_commander).post(
        reverse("reports:daily_close"), {"code": "abc", "date": "2026-02-30"}, **ZH
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors[0] == "区划代码：“abc”不是区划代码（应为1至20位数字）"
    assert errors[1].startswith("日期：") and len(errors) == 2  # the date's wording is core.filters.DayField's
    text = response.content.decode()
    assert "Code:" not in text and "Date:" not in text
    english = client_for(district_commander).post(reverse("reports:daily_close"), {"code": "abc", "date": ""}, **EN)
    assert english.context["errors"] == [
        "Division code: “abc” is not a division code (1 to 20 digits)",
        "Date: This field is required.",
    ]


def test_api_daily_close_code_error_names_the_value(api_for, district_commander):
    api = api_for(district_commander)
    response = api.post("/api/v1/reports/daily/close/", {"code": "62x", "date": "2026-01-01"}, format="json", **ZH)
    assert response.status_code == 400
    assert response.json() == {"code": ["“62x”不是区划代码（应为1至20位数字）"]}
    english = api.post("/api/v1/reports/daily/close/", {"code": "62x", "date": "2026-01-01"}, format="json", **EN)
    assert english.json() == {"code": ["“62x” is not a division code (1 to 20 digits)"]}
    # the same rule on the read endpoints' ?code=
    read = api.get("/api/v1/reports/daily/?code=abc", **ZH)
    assert read.status_code == 400 and read.json() == {"code": ["“abc”不是区划代码（应为1至20位数字）"]}


def test_api_future_date_is_translated(api_for, district_commander):
    from django.utils import timezone

    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api_for(district_commander).get(f"/api/v1/reports/daily/?code={XIYUAN}&date={tomorrow}", **ZH)
    assert response.status_code == 400 and response.json() == {"date": [f"“{tomorrow}”尚未到来"]}


def test_new_layout_page_names_sources_fields_and_filters_by_label(client_for, district_commander):
    response = client_for(district_commander).get(reverse("reports:layout_new"), **ZH)
    assert response.status_code == 200
    text = response.content.decode()
    # each field and filter by its translated name; the code to type follows it, marked as such
    assert '<dt data-key="service_requests">诉求服务</dt>' in text
    assert '<span data-key="received_at">受理时间 <code class="muted">received_at</code></span>' in text
    assert "输入栏目、筛选和排序时，请填写名称后所示的代码。" in text
    assert "<code>received_at</code>" not in text and "<code>service_requests</code>" not in text


def test_layout_json_export_writes_local_times_with_offset(requests_scene, client_for, district_commander):
    from django.utils import timezone

    url = reverse("reports:layout_export", args=["request-backlog"])
    response = client_for(district_commander).get(f"{url}?code={XIYUAN}&format=json")
    assert response.status_code == 200
    rows = json.loads(response.content)
    old = requests_scene["tickets"]["old"]
    row = next(r for r in rows if r["number"] == old.number)
    assert row["received_at"] == timezone.localtime(old.received_at).isoformat()
    assert row["received_at"].endswith("+08:00")


@pytest.mark.parametrize("role", ["grid_worker", "volunteer", "household_representative"])
def test_layouts_are_an_office_tool(scene, client_for, api_for, role):
    user = _grid_worker(scene["compound_a"], role=role)
    client = client_for(user)
    reason_zh = "报表样式是社区、街道（乡镇）或区的办公室为其整个辖区填报的表格；您的角色不填报这些表格。"
    for url in (
        reverse("reports:layouts"),
        reverse("reports:layout", args=["control-area-list"]),
        reverse("reports:layout_export", args=["control-area-list"]) + "?format=xlsx",
        reverse("reports:layout_new"),
    ):
        response = client.get(url, **ZH)
        assert response.status_code == 403, url
        assert reason_zh in response.content.decode()
    english = client.get(reverse("reports:layouts"), **EN)
    assert (
        "Report layouts are the forms a community, street/town or district office files for its whole area; "
        "your role does not file them."
    ) in english.content.decode()
    api = api_for(user)
    assert api.get("/api/v1/reports/layouts/", **ZH).json() == {"detail": reason_zh}
    assert api.get(f"/api/v1/reports/layouts/control-area-list/rows/?code={XIA}").status_code == 403


def test_grid_worker_tabs_leave_out_layouts_and_staff_keep_them(scene, client_for, community_staff):
    grid = _grid_worker(scene["compound_a"])
    page = client_for(grid).get(reverse("reports:daily"), **ZH)
    assert page.status_code == 200
    assert f'href="{reverse("reports:layouts")}"' not in page.content.decode()
    staff = client_for(community_staff).get(reverse("reports:daily"), **ZH)
    assert f'href="{reverse("reports:layouts")}"' in staff.content.decode()
    assert client_for(community_staff).get(reverse("reports:layouts")).status_code == 200


def test_grid_worker_exports_are_titled_with_their_part(scene, client_for):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    grid = _grid_worker(scene["compound_a"])
    client = client_for(grid)
    name = scene["compound_a"].short_name
    part = f"下西园社区 › {name}"
    base = f"{reverse('reports:daily_export')}?code={XIA}"
    xlsx = client.get(base + "&format=xlsx", **ZH)
    assert xlsx.status_code == 200
    first = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert first.cell(1, 1).value == f"{part}疫情防控工作日报"
    assert part in xlsx["Content-Disposition"] or "%E2%80%BA" in xlsx["Content-Disposition"]
    pdf = client.get(base + "&format=pdf&lang=en", **ZH)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Daily report of {part}" in text and "Daily report of 下西园社区\n" not in text
    data = client.get(base + "&format=json").json()
    assert data["part"] == part
    page = client.get(reverse("reports:daily"), **ZH)
    assert page.context["doc"].title == f"{part}疫情防控工作日报"


def test_staff_exports_keep_the_division_title(scene, client_for, community_staff):
    from openpyxl import load_workbook

    xlsx = client_for(community_staff).get(f"{reverse('reports:daily_export')}?code={XIA}&format=xlsx", **ZH)
    first = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert first.cell(1, 1).value == "下西园社区疫情防控工作日报"
    data = client_for(community_staff).get(f"{reverse('reports:daily_export')}?code={XIA}&format=json").json()
    assert "part" not in data


def test_a_cadre_sees_no_export_links_for_a_list_of_people(scene, client_for, community_staff):
    """A stationed cadre (no EXPORT) was offered XLSX/PDF/text links on the police returnee list that
    all answered 403; the page now says why instead. Community staff (EXPORT) keep the links."""
    from lianfang.divisions.models import Division

    cadre = _grid_worker(Division.objects.get(code=XIA), username="cadre-a", role="stationed_cadre")
    url = reverse("reports:layout", args=["police-returnee-list"]) + f"?code={XIA}"
    page = client_for(cadre).get(url, **ZH)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="layout-xlsx"' not in html and "format=pdf" not in html
    assert "此名单列有人员：导出需要本辖区导出个人信息的权限。" in html
    staff = client_for(community_staff).get(url, **ZH).content.decode()
    assert 'data-testid="layout-xlsx"' in staff and "layout-no-export" not in staff
