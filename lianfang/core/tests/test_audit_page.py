"""The audit log page (/audit/): the commander reads their district's entries with translated action
labels and local times, filters them, pages through them; other roles get no page and no link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianfang.core import audit
from lianfang.core.audit_labels import ACTION_LABELS, action_label
from lianfang.core.models import AuditEntry
from lianfang.core.navigation import items_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(district_commander, community_staff):
    """Two entries in 下西园, one in another district (620102), one without a division."""
    audit.record(actor=community_staff, action="view_pii", division_code="620103001001", detail={"field": "id"})
    masked = {"q": "6201**********8316"}
    audit.record(actor=community_staff, action="registry.search", division_code="620103001001", detail=masked)
    audit.record(actor=district_commander, action="zones.area_lift", division_code="620102001001")
    audit.record(actor=None, action="load_divisions")
    return AuditEntry.objects.all()


def test_commander_reads_the_district_log_in_chinese(entries, district_commander, client_for):
    client = client_for(district_commander)
    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    body = page.content.decode()
    labels = [row[1] for row in page.context["rows"]]
    assert labels == ["查询人员", "查看未脱敏的证件号码或电话", "导入区划"]  # the last: the fixture's division load
    assert "view_pii" not in body.split('data-testid="audit-entries"', 1)[1]
    assert "6201**********8316" in body and "620103201109028316" not in body
    local = timezone.localtime(AuditEntry.objects.get(action="view_pii").at)
    assert f"{local:%Y-%m-%d %H:%M:%S}" in body
    assert ("/audit/", "审计日志") in [(url, str(label)) for url, label in items_for(district_commander)]


def test_filters_and_bad_values(entries, district_commander, community_staff, client_for):
    client = client_for(district_commander)
    assert client.get("/audit/?action=view_pii").context["page"].paginator.count == 1
    assert client.get("/audit/?actor=staff").context["page"].paginator.count == 2
    assert client.get("/audit/?actor=nobody").context["page"].paginator.count == 0
    today = timezone.localdate()
    assert client.get(f"/audit/?date={today}").context["page"].paginator.count == 3  # with the division load
    assert client.get(f"/audit/?date={today - dt.timedelta(days=1)}").context["page"].paginator.count == 0
    bad = client.get("/audit/?date=2026-02-30", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "2026-02-30" in bad.content.decode()
    assert client.get("/audit/?action=zones.area_lift").status_code == 400  # not in this district's log


def test_pages_of_fifty(district_commander, client_for):
    for n in range(50):  # and the fixture's division load: 51
        audit.record(actor=district_commander, action="update", division_code="620103", object_id=str(n))
    client = client_for(district_commander)
    first = client.get("/audit/")
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next()
    assert len(client.get("/audit/?page=2").context["rows"]) == 1


def test_other_roles_get_no_page_and_no_link(entries, community_staff, street_officer, client_for):
    for user in (community_staff, street_officer):
        response = client_for(user).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 403 and "<h1>无权访问</h1>" in response.content.decode()
        assert "/audit/" not in [url for url, _label in items_for(user)]
        assert "全市" not in response.content.decode()  # the refusal names where they work
    street = client_for(street_officer).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您无权在西园街道查看审计日志" in street


def test_every_label_is_translated_and_unknown_codes_fall_back():
    from django.utils import translation

    with translation.override("en"):
        english = {code: str(label) for code, label in ACTION_LABELS.items()}
    with translation.override("zh-hans"):
        assert [code for code, label in ACTION_LABELS.items() if str(label) == english[code]] == []
        assert action_label("zones.something_new") == "管控区域：something_new"
    with translation.override("en"):
        assert action_label("zones.something_new") == "Control areas: something_new"
    assert action_label("weird") == "weird"


def test_reason_codes_the_services_write_are_labelled():
    """A rollback without a reason and a lifted exemption record a code (registry.importing.batches,
    screening.services), shown by its label, never the bare English code."""
    from django.utils import translation

    from lianfang.core.audit_labels import reason_label

    with translation.override("zh-hans"):
        assert reason_label("rollback") == "撤销导入（未填写事由）"
        assert reason_label("lifted") == "解除免检"
        assert reason_label("录入有误") == "录入有误"
    with translation.override("en"):
        assert reason_label("rollback") == "Import rolled back (no reason given)"
        assert reason_label("lifted") == "Exemption lifted"


def test_the_workforce_sheet_download_is_not_labelled_a_personal_data_export():
    """The sheet holds counts only (workforce.views); its entry must not read 导出个人信息."""
    from django.utils import translation

    with translation.override("zh-hans"):
        assert action_label("workforce.sheet_export") == "下载了工作力量统计表（仅计数，无个人信息）"
    with translation.override("en"):
        assert action_label("workforce.sheet_export") == "Workforce sheet downloaded (counts only)"


def test_admin_title_is_local_time(entries):
    from django.utils import translation

    entry = AuditEntry.objects.get(action="view_pii")
    with timezone.override("Asia/Shanghai"), translation.override("en"):
        assert str(entry).startswith(f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S} Viewed unmasked")


def test_detail_keys_are_translated_and_its_times_local(district_commander, community_staff, client_for):
    """Second new-user trial: the detail column showed ``rows: 3; unmasked: False; at:
    2026-11-29T16:30:00+00:00`` (English keys, UTC)."""
    at = dt.datetime(2026, 11, 29, 16, 30, tzinfo=dt.UTC)  # 00:30 the next day in Asia/Shanghai
    detail = {"rows": 3, "unmasked": False, "at": at.isoformat(), "format": "xlsx", "q": "6201**********8316"}
    audit.record(actor=community_staff, action="export", division_code="620103001001", detail=detail)
    client = client_for(district_commander)
    zh = client.get("/audit/?action=export", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert [d for *_rest, d in zh.context["rows"]] == [
        [
            ("时间", "2026-11-30 00:30:00"),
            ("格式", "xlsx"),
            ("查询内容", "6201**********8316"),
            ("行数", "3"),
            ("未脱敏", "否"),
        ]
    ]
    cell = zh.content.decode().split('data-testid="audit-detail">', 1)[1].split("</small>", 1)[0]
    assert cell == (
        "时间：<code>2026-11-30 00:30:00</code>；格式：<code>xlsx</code>；查询内容：<code>6201**********8316</code>；"
        "行数：<code>3</code>；未脱敏：<code>否</code>"
    )
    assert "+00:00" not in zh.content.decode() and "620103201109028316" not in zh.content.decode()
    en = client.get("/audit/?action=export", HTTP_ACCEPT_LANGUAGE="en")
    assert [d for *_rest, d in en.context["rows"]] == [
        [("At", "2026-11-30 00:30:00"), ("Format", "xlsx"), ("Search text", "6201**********8316")]
        + [("Rows", "3"), ("Unmasked", "no")]
    ]


def test_every_detail_key_the_apps_write_has_a_label():
    """Each literal key of ``detail={...}`` passed in the apps' code has a DETAIL_LABELS entry."""
    import ast
    from pathlib import Path

    from lianfang.core.audit_labels import DETAIL_LABELS

    root = Path(__file__).resolve().parents[2]
    keys = set()
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "detail" and isinstance(kw.value, ast.Dict):
                        keys |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
    assert len(keys) > 100
    assert sorted(keys - DETAIL_LABELS.keys()) == []


@pytest.mark.parametrize(
    ("language", "labels", "detail"),
    [
        ("zh-hans", ["操作：", "记录：", "操作人：", "日期："], "字段：<code>证件号码</code>"),
        ("en", ["Action:", "Record:", "By:", "Date:"], "Field: <code>ID number</code>"),
    ],
)
def test_filter_labels_and_details_use_the_languages_colon(
    entries, district_commander, client_for, language, labels, detail
):
    """Fourth new-user trial: the filter labels had no colon and the details an ASCII ": " on the zh
    page; both go through core's catalogue (the form's label suffix, "%(field)s: %(message)s")."""
    from django.utils import translation

    body = client_for(district_commander).get("/audit/?action=view_pii", HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("zh-hans")  # LocaleMiddleware leaves the request's language active
    html = body.content.decode()
    form = html.split('data-testid="audit-filter">', 1)[1].split("</form>", 1)[0]
    shown = [part.split("<", 1)[0].strip() for part in form.split("<label>")[1:]]
    assert shown == labels
    cell = html.split('data-testid="audit-detail">', 1)[1].split("</small>", 1)[0]
    assert cell == detail


def test_codes_in_details_and_objects_read_as_words(district_commander, community_staff, client_for):
    """Trial 11: the page showed ``page:registry.search``, ``q: …``, ``phone`` and ``#daily-report``."""
    from django.utils import translation

    from lianfang.core.audit_labels import detail_items, object_names, where_label

    audit.record(actor=community_staff, action="view_pii", division_code="620103001001", detail={"field": "phone"})
    audit.record(
        actor=community_staff,
        action="registry.search",
        division_code="620103001001",
        detail={"query": {"q": "张*", "id_number": "6201**********8316"}, "results": 2, "where": "page:fieldops.gate"},
    )
    audit.record(
        actor=district_commander,
        action="export",
        division_code="620103",
        object_type="reports.reportlayout",
        object_id="daily-report",
        detail={"format": "xlsx"},
    )
    page = client_for(district_commander).get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = {row[0].action: row for row in page.context["rows"]}
    assert rows["view_pii"][5] == [("字段", "电话号码")]
    assert rows["registry.search"][5] == [  # new-user trial 13: not “查询内容：查询内容：…”
        ("查询条件", "查询内容：张*；证件号码：6201**********8316"),
        ("结果", "2"),
        ("范围", "卡口页面"),
    ]
    assert rows["export"][3] == "每日报表"
    body = page.content.decode()
    assert "page:fieldops.gate" not in body and "#daily-report" not in body
    with translation.override("en"):
        assert where_label("page:registry.search") == "People search page"
        assert where_label("admin:registry.household") == "Admin: households"
        assert where_label("api:somewhere-new") == "API: somewhere-new"
        assert where_label("西园街道 3号门") == "西园街道 3号门"
        entry = AuditEntry.objects.get(action="export")
        assert object_names([entry]) == {("reports.reportlayout", "daily-report"): "Daily report"}
        assert detail_items({"field": "id"}) == [("Field", "ID number")]


def test_generic_actions_narrow_by_record(district_commander, client_for, population):
    """Trial 11: “Created” / “Changed” in the action filter said nothing of what was created; the
    record filter (by the model's translated name) narrows them."""
    audit.record(actor=district_commander, action="create", obj=population["h1"])
    audit.record(actor=district_commander, action="create", obj=population["h1"].residents.first())
    client = client_for(district_commander)
    page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    choices = dict(page.context["form"].fields["object_type"].choices)
    assert choices[""] == "全部记录" and choices["registry.household"] == "住户"
    assert choices["registry.resident"] == "居民"
    households = AuditEntry.objects.filter(action="create", object_type="registry.household").count()
    narrowed = client.get("/audit/?action=create&object_type=registry.household")
    assert {row[0].object_type for row in narrowed.context["rows"]} == {"registry.household"}
    assert narrowed.context["page"].paginator.count == households > 0
    bad = client.get("/audit/?object_type=registry.nothing", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "registry.nothing" in bad.content.decode()


def test_every_object_type_the_apps_write_reads_as_words():
    """Trial 12 follow-up: the Record filter showed ``workforce.sheet`` (a type that is no model)."""
    import re
    from pathlib import Path

    from django.utils import translation

    from lianfang.core.audit_labels import object_type_label

    root = Path(__file__).resolve().parents[2]
    written = set()
    for path in root.glob("*/**/*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            written |= set(re.findall(r'object_type="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert "workforce.sheet" in written and len(written) > 8
    with translation.override("zh-hans"):
        assert [t for t in sorted(written) if object_type_label(t) == t] == []
        assert object_type_label("workforce.sheet") == "工作力量日报表"
