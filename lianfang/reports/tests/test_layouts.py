"""Report layouts are configuration: shipped forms, a new form as columns and filters, validation that
names the bad part, exports with the export capability, audit and watermark."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from lianfang.reports import layouts, services
from lianfang.reports.models import ReportLayout
from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db


def _run(key, user, division, day):
    return layouts.run(ReportLayout.objects.get(key=key), user=user, division=division, day=day)


def test_health_commission_form_equals_the_rows(screening_scene, requests_scene, district_commander):
    from lianfang.registry.models import Resident
    from lianfang.screening.models import RoundMember

    s = screening_scene
    result = _run("health-commission-daily", district_commander, s["street"], s["day"])
    rows = {r["community_code"]: r for r in result.records}
    assert set(rows) >= {XIA, "620103001002"}
    xia = rows[XIA]
    assert xia["residents"] == Resident.objects.filter(path__startswith=XIA).count() == 7
    assert xia["strict_residents"] == Resident.objects.filter(path__startswith=s["compound_a"].code).count() == 4
    assert xia["second_residents"] == 0 and rows["620103001002"]["second_residents"] == 3
    members = RoundMember.objects.filter(round=s["round"], path__startswith=XIA)
    assert (xia["round_expected"], xia["round_sampled"]) == (members.count(), members.exclude(result="").count())
    assert xia["pools_open"] == 1 and xia["deployed"] == 2
    assert (xia["requests_open"], xia["requests_overdue"]) == (2, 1)
    labels = [c.label for c in result.columns]
    assert "封控区人数" not in labels and "In sealed/high-risk areas" in labels  # English headings under en
    total_residents = result.totals[[c.key for c in result.columns].index("residents")]
    assert total_residents == Resident.objects.filter(path__startswith=XIYUAN).count()


def test_police_list_filters_categories_and_masks(field_scene, district_commander):
    result = _run("police-returnee-list", district_commander, field_scene["street"], field_scene["day"])
    assert sorted(r["name"] for r in result.records) == ["孙*客", "赵*乡", "钱*乡"]
    assert [r["arrived_on"] for r in result.records] == sorted(r["arrived_on"] for r in result.records)
    category = [c.key for c in result.columns].index("category")
    assert {row[category] for row in result.rows} == {"Inflow person", "Traveller from a risk area"}
    phone = [c.key for c in result.columns].index("phone_masked")
    assert "138****0011" in [row[phone] for row in result.rows]


def test_a_new_layout_is_columns_and_filters(field_scene, district_commander):
    layout = services.report_layout_save(
        actor=district_commander,
        key="inflow-last-two-days",
        name="近两日流入人员",
        name_en="Inflow of the last two days",
        form_title="近两日流入人员登记表",
        form_title_en="Inflow people, last two days",
        source="screened_people",
        columns=["name", {"field": "origin", "label": "来源地", "label_en": "From"}, "arrived_on"],
        filters={"category": "inflow", "arrived_from": "day-1"},
        order_by="-arrived_on",
        district=field_scene["operation"].district,
    )
    assert layout.filters == {"category": ["inflow"], "arrived_from": "day-1"}
    result = layouts.run(layout, user=district_commander, division=field_scene["street"], day=field_scene["day"])
    assert [c.label for c in result.columns] == ["Name (masked)", "From", "Arrived on"]
    assert [r["name"] for r in result.records] == ["钱*乡", "赵*乡"]  # newest first
    earlier = layouts.run(
        layout, user=district_commander, division=field_scene["street"], day=field_scene["day"] - dt.timedelta(days=1)
    )
    assert earlier.records == []  # as of yesterday nobody had been recorded yet (they were found today)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"columns": ["name", "shoe_size"]}, "column 2: unknown field shoe_size"),
        ({"columns": ["name", "name"]}, "column 2: field name is already shown"),
        ({"columns": []}, "at least one column"),
        ({"filters": {"colour": "red"}}, "filter colour does not exist in source screened_people"),
        ({"filters": {"category": ["alien"]}}, "unknown value alien"),
        ({"filters": {"arrived_from": "last week"}}, "“last week” is not a date"),
        ({"order_by": "-height"}, "unknown field -height"),
        ({"source": "horoscopes"}, "unknown data source horoscopes"),
        ({"key": "bad key!"}, "key bad key!"),
    ],
)
def test_validation_names_the_bad_part(scene, district_commander, changes, message):
    values = {
        "key": "my-layout",
        "name": "名",
        "name_en": "Name",
        "form_title": "表",
        "form_title_en": "Form",
        "source": "screened_people",
        "columns": ["name"],
        "filters": {},
        "order_by": "",
        **changes,
    }
    with pytest.raises(ValidationError) as raised:
        services.report_layout_save(actor=district_commander, district=scene["operation"].district, **values)
    assert message in str(raised.value)
    assert not ReportLayout.objects.filter(key="my-layout").exists()


def test_shipped_layouts_and_permissions(scene, district_commander, community_staff):
    from lianfang.conftest import _user

    common = {
        "name": "n",
        "name_en": "n",
        "form_title": "t",
        "form_title_en": "t",
        "source": "control_areas",
        "columns": ["name"],
        "district": scene["operation"].district,
    }
    with pytest.raises(ValidationError, match="belongs to another layout"):
        services.report_layout_save(actor=district_commander, key="control-area-list", **common)
    volunteer = _user("vol", "volunteer", XIA)
    with pytest.raises(PermissionDenied):
        services.report_layout_save(actor=volunteer, key="mine", **common)
    with pytest.raises(PermissionDenied) as refused:  # EXPORT over the community is not over the district
        services.report_layout_save(actor=community_staff, key="mine", **common)
    assert str(refused.value) == "You may not change report layouts in 七里河区."


def test_layout_pages_create_and_export(field_scene, client_for, district_commander):
    from openpyxl import load_workbook

    from lianfang.core.models import AuditEntry

    client = client_for(district_commander)
    form = client.get(f"{reverse('reports:layout_new')}?from=police-returnee-list").content.decode()
    assert "police-returnee-list-local" in form
    response = client.post(
        reverse("reports:layout_new"),
        {
            "key": "returnees-short",
            "name": "返乡人员简表",
            "name_en": "Returnees (short)",
            "form_title": "返乡人员简表",
            "form_title_en": "Returnees",
            "issuer": "公安分局",
            "issuer_en": "Public Security Sub-bureau",
            "source": "screened_people",
            "columns": "name\norigin | 来自 | From\nplace",
            "filters": '{"category": ["inflow"]}',
            "order_by": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(f"{reverse('reports:layout', args=['returnees-short'])}?code={XIYUAN}").content.decode()
    assert "赵*乡" in page and "孙*客" not in page
    url = f"{reverse('reports:layout', args=['returnees-short'])}?code={XIYUAN}"
    assert "Public Security Sub-bureau" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ReportLayout.objects.get(key="returnees-short").issuer_en == "Public Security Sub-bureau"
    bad = client.post(
        reverse("reports:layout_new"),
        {
            "key": "x",
            "name": "x",
            "name_en": "x",
            "form_title": "x",
            "form_title_en": "x",
            "source": "screened_people",
            "columns": "name\nshoe",
            "filters": "{oops",
        },
    )
    assert bad.status_code == 200 and "不是有效的 JSON" in bad.content.decode()
    xlsx = client.get(f"{reverse('reports:layout_export', args=['returnees-short'])}?code={XIYUAN}&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "返乡人员简表" and "公安分局" in values[2][0]  # the page's language: zh-Hans
    assert values[3][1] == "来自" and len(values[3]) == 3
    assert {values[4][0], values[5][0]} == {"赵*乡", "钱*乡"}
    # the place column: community and compound below the street (divisions.selectors.place_names)
    assert {values[4][2], values[5][2]} == {"下西园社区 › 阳光小区", "上西园社区 › 园林小区"}
    assert any("commander" in str(row[0]) for row in values if row[0])  # watermark
    entry = AuditEntry.objects.get(action="export", object_id="returnees-short")
    assert entry.detail["rows"] == 2 and entry.division_code == XIYUAN


def test_records_export_of_personal_data_needs_the_capability(field_scene, client_for):
    from lianfang.conftest import _user

    grid = _user("grid", "grid_worker", XIA)
    client = client_for(grid)
    url = reverse("reports:records", args=["screened_people"])
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?format=xlsx").status_code == 403
    assert client.get(f"{reverse('reports:records', args=['control_areas'])}?format=xlsx").status_code == 200


def test_layouts_page_names_columns_by_label_not_key(client_for, district_commander):
    """The data-source list shows column labels (住户数 …), never raw keys like strict_households."""
    response = client_for(district_commander).get("/reports/layouts/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-key="strict_households"' in text  # the key is kept for layout authors, not shown
    assert ">strict_households<" not in text and ">community_code<" not in text
    assert "<code>strict_households</code>" not in text


def test_shipped_bodies_a_layout_goes_to_read_in_the_readers_language(client_for, district_commander):
    """New-user trial 12: “Submitted to 区疫情防控指挥部” on the English page. A shipped body is translated; a
    body a district typed is shown as typed."""
    from lianfang.reports.models import ReportLayout

    client = client_for(district_commander)
    english = client.get("/reports/layouts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "District Epidemic Prevention and Control Command" in english and "区疫情防控指挥部" not in english
    assert "District Health Commission" in english and "区卫生健康局" not in english
    chinese = client.get("/reports/layouts/").content.decode()
    assert "区疫情防控指挥部" in chinese and "Command" not in chinese
    typed = ReportLayout(issuer="西果园镇政府")
    with translation.override("en"):
        assert typed.display_issuer == "西果园镇政府"  # no English name given: as typed
        assert ReportLayout(issuer="西果园镇政府", issuer_en="Xiguoyuan Town").display_issuer == "Xiguoyuan Town"
    with translation.override("zh-hans"):
        assert ReportLayout(issuer="西果园镇政府", issuer_en="Xiguoyuan Town").display_issuer == "西果园镇政府"


def test_xlsx_export_survives_control_characters_in_stored_text():
    """New-user trial 14: a BEL stored in a screened person's address made every district export of
    the police returnee list a 500 (openpyxl IllegalCharacterError); such characters are shown as “�”."""
    import datetime as dt

    from openpyxl import load_workbook

    from lianfang.reports import render

    doc = render.Document(
        title="返乡人员\x1b名单",
        unit="西园街道",
        day=dt.date(2026, 12, 1),
        language="zh-hans",
        issuer="公安\x07分局",
        tables=[render.Table(title="名单", columns=[render.Column("origin", "来自")], rows=[["西安\x07市"], ["=1+1"]])],
    )
    sheet = load_workbook(io.BytesIO(render.to_xlsx(doc))).active
    cells = [value for row in sheet.iter_rows(values_only=True) for value in row if value]
    assert "返乡人员\ufffd名单" in cells and "西安\ufffd市" in cells and "=1+1" in cells
    assert any("公安\ufffd分局" in str(value) for value in cells)
