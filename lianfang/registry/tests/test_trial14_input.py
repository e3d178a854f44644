# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""New-user trial 14 (registry input): invisible characters (U+200B, U+202E: Unicode category
Cf) were stored in names, rooms and addresses: they are refused, the message naming the character's
code; the English import reasons started now in lower case, now capitalised: every one is a
capitalised sentence (Chinese unchanged); a UTF-16 tab-separated .txt (Excel's "Unicode text", which
the README lists) is read."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from lianfang.registry.tests.fixtures.importing import english, issues, registry_snapshot, run_import  # noqa: F401

pytestmark = pytest.mark.django_db
A1 = "620103198001010013"


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- 2. invisible characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"), [("张\u200b三", "U+200B"), ("\u202e三张", "U+202E"), ("张\ufeff三", "U+FEFF")]
)
def test_services_refuse_invisible_characters_in_names(population, english, name, code):
    from lianfang.registry.services import household_create, name_problem, validate_resident

    message = f"must not contain control characters ({code})."
    assert name_problem(name) == message
    with pytest.raises(ValidationError) as caught:
        validate_resident(name=name, document_number=A1)
    assert caught.value.message_dict == {"name": [message]}
    with pytest.raises(ValidationError) as caught:
        household_create(actor=None, node=population["compound_a"], room="9", contact_name=name)
    assert caught.value.message_dict == {"contact_name": [message]}
    with pytest.raises(ValidationError) as caught:
        household_create(actor=None, node=population["compound_a"], room="9\u200b01")
    assert caught.value.message_dict == {"room": ["must not contain control characters (U+200B)."]}


def test_name_problem_in_chinese_names_the_code(population):
    from lianfang.registry.services import name_problem

    with translation.override("zh-hans"):
        assert name_problem("王\u202e五") == "不能包含控制字符（U+202E）。"
    assert name_problem("王五") is None
    assert name_problem("阿卜杜拉·买买提") is None  # the middle dot of minority names is no format character


def test_the_import_refuses_invisible_characters_naming_column_value_and_code(run_import, tmp_path):
    before = registry_snapshot()
    text = (
        "小区,楼栋,单元,房号,姓名,身份证号,户联系人,户籍地址\n"
        f"阳光小区,1,1,701,张\u200b三,{A1},,\n"
        "阳光小区,1,1,702,刘一,620103198001010021,\u202e四李,\n"
        "阳光小区,1,1,70\u200b3,王五,62010319800101003X,,\n"
        "阳光小区,1,1,704,赵六,620103198001010048,,甘肃省\u2066兰州市\n"
    )
    batch = run_import(write(tmp_path, "invisible.csv", text))
    assert issues(batch) == [
        ("csv", 2, "姓名 (E)", "张<U+200B>三", "must not contain control characters (U+200B)."),
        ("csv", 3, "户联系人 (G)", "<U+202E>四李", "must not contain control characters (U+202E)."),
        ("csv", 4, "房号 (D)", "70<U+200B>3", "must not contain control characters (U+200B)."),
        ("csv", 5, "户籍地址 (H)", "甘肃省<U+2066>兰州市", "must not contain control characters (U+2066)."),
    ]
    assert batch.status == "invalid"
    assert registry_snapshot() == before


def test_the_import_report_in_chinese_names_the_code(population, tmp_path):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.tests.fixtures.importing import TODAY, XIAXIYUAN

    path = write(tmp_path, "invisible.csv", f"小区,楼栋,单元,房号,姓名,身份证号\n阳光小区,1,1,701,张\u200b三,{A1}\n")
    with translation.override("zh-hans"):
        batch = registry_import(actor=None, target=Division.objects.get(code=XIAXIYUAN), path=path, today=TODAY)
    assert issues(batch) == [("csv", 2, "姓名（E）", "张<U+200B>三", "不能包含控制字符（U+200B）。")]


def test_the_workers_import_refuses_invisible_characters(population, english, tmp_path):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.models import ImportKind
    from lianfang.registry.tests.fixtures.importing import TODAY, XIAXIYUAN
    from lianfang.workforce.models import Worker

    text = (
        "姓名,类别,所属单位,手机号码,职务,派出单位\n"
        "孙\u200b工,社区工作人员,下西园社区,13900000011,,\n"
        "<b>钱</b>,社区工作人员,下西园社区,13900000012,,\n"
        "李工,社区工作人员,下西园社区,13900000013,网格\u202e长,\n"
        "周工,社区工作人员,下西园社区,13900000014,,兰州市\u200b财政局\n"
    )
    before = Worker.objects.count()
    batch = registry_import(
        actor=None,
        target=Division.objects.get(code=XIAXIYUAN),
        path=write(tmp_path, "workers.csv", text),
        kind=ImportKind.WORKERS,
        today=TODAY,
    )
    assert issues(batch) == [
        ("csv", 2, "姓名 (A)", "孙<U+200B>工", "must not contain control characters (U+200B)."),
        (
            "csv",
            3,
            "姓名 (A)",
            "<b>钱</b>",
            "not a plausible name: angle brackets and control characters are not allowed",
        ),
        ("csv", 4, "职务 (E)", "网格<U+202E>长", "must not contain control characters (U+202E)."),
        ("csv", 5, "派出单位 (F)", "兰州市<U+200B>财政局", "must not contain control characters (U+200B)."),
    ]
    assert Worker.objects.count() == before


def test_the_admin_refuses_invisible_characters(population):
    from django.forms.models import model_to_dict, modelform_factory

    from lianfang.registry import admin
    from lianfang.registry.models import Household, Resident

    # the forms the admin builds (ModelAdmin.get_form: modelform_factory over the admin's form)
    ResidentForm = modelform_factory(Resident, form=admin.ResidentForm, fields="__all__")  # noqa: N806
    HouseholdForm = modelform_factory(Household, form=admin.HouseholdForm, fields="__all__")  # noqa: N806
    resident, household = population["张三"], population["h1"]

    def data(instance, **changes):
        stored = {name: value for name, value in model_to_dict(instance).items() if value is not None}
        return {**stored, **changes}

    with translation.override("en"):
        form = ResidentForm(data=data(resident, name="张\u202e三"), instance=resident)
        assert not form.is_valid()
        assert form.errors["name"] == ["must not contain control characters (U+202E)."]
        form = HouseholdForm(data=data(household, room="1\u200b01", contact_name="张\u200d三"), instance=household)
        assert not form.is_valid()
        assert form.errors["room"] == ["must not contain control characters (U+200B)."]
        assert form.errors["contact_name"] == ["must not contain control characters (U+200D)."]
        assert HouseholdForm(data=data(household), instance=household).errors.get("room") is None


# --- 4. the formats the README lists -----------------------------------------------------------------


def test_a_utf16_tab_separated_txt_is_read(run_import, tmp_path):
    from lianfang.registry.models import Resident

    text = f"小区\t楼栋\t单元\t房号\t姓名\t身份证号\n阳光小区\t1\t1\t701\t刘一\t{A1}\n"
    path = tmp_path / "unicode-text.txt"
    path.write_bytes(text.encode("utf-16"))  # what Excel's "Unicode text" saves: UTF-16 LE with a BOM
    batch = run_import(path)
    assert issues(batch) == []
    assert batch.encoding == "utf-16"
    assert Resident.objects.get(name="刘一").household.room == "701"


# --- 5. import reasons as capitalised sentences ------------------------------------------------------


def shown_reasons(batch) -> list[str]:
    """The reasons as the batch page, the API and the command show them (exporters.masked_issues)."""
    from lianfang.registry.exporters import masked_issues

    return [issue["reason"] for issue in masked_issues(batch.issues)]


def test_english_import_reasons_are_capitalised_sentences(run_import, tmp_path, client_for, community_staff):
    from openpyxl import load_workbook

    text = (
        "小区,楼栋,单元,房号,姓名,身份证号,手机号码\n"
        f"阳光小区,1,1,,刘一,{A1},\n"  # room missing: a registry reason
        "阳光小区,1,1,702,李二,620103198001010022,\n"  # a check character: core.idnumber's reason
        "阳光小区,1,1,703,王三,62010319800101003X,12345\n"  # core.pii's phone reason
        "阳光小区,9,1,704,赵四,620103198001010048,\n"  # no such building: a place reason
    )
    batch = run_import(write(tmp_path, "reasons.csv", text), actor=community_staff)
    expected = [
        "Room / house number is required",
        "Check character does not match (GB 11643-1999)",
        "Not a valid Chinese phone number",
        "Unknown building (none similar in this community)",
    ]
    assert shown_reasons(batch) == expected
    assert [reason for *_where, reason in issues(batch)][0] == "room / house number is required"  # stored as made
    problems = list(load_workbook(batch.report.path, read_only=True)["Import problems"].iter_rows(values_only=True))
    assert [row[5] for row in problems[1:]] == expected
    page = in_english(client_for(community_staff)).get(reverse("registry:io_batch", args=[batch.pk]))
    translation.activate("zh-hans")
    text = page.content.decode()
    for reason in expected:
        assert f'<td data-label="Reason">{reason}</td>' in text


def test_chinese_import_reasons_are_unchanged(population, tmp_path):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.tests.fixtures.importing import TODAY, XIAXIYUAN

    path = write(tmp_path, "reasons.csv", f"小区,楼栋,单元,房号,姓名,身份证号\n阳光小区,1,1,,刘一,{A1}\n")
    with translation.override("zh-hans"):
        batch = registry_import(actor=None, target=Division.objects.get(code=XIAXIYUAN), path=path, today=TODAY)
        assert shown_reasons(batch) == ["必须填写房号/门牌号"]


def test_a_file_level_reason_is_capitalised_too(run_import, tmp_path):
    batch = run_import(write(tmp_path, "名单.xlsx", "not a workbook"))
    sentence = "Cannot open 名单.xlsx as xlsx: the file is damaged or is not really a xlsx file"
    assert batch.summary == sentence
    assert shown_reasons(batch) == [sentence]
