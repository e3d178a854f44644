# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Findings of the second new-user trial: the command line (masked problems, translated errors naming
the path), duplicates within a file whatever else is wrong, sex labels, junk around phone numbers,
the resident list's filter labels and the 403 page."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.text import capfirst

from lianfang.registry.tests.fixtures.importing import english, issues, run_import  # noqa: F401
from lianfang.registry.tests.test_import_trial import write

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
HEADER = "小区,楼栋,单元,房号,姓名,身份证号,性别,电话\n"
MAN = "620103197505051017"  # 1975-05-05, male
WOMAN = "620103197505051009"  # 1975-05-05, female
DUPLICATE = "the same person is already on sheet csv row %d; resolve the duplicate"
BAD_PHONE = "not a phone number: digits only (spaces, dashes, brackets and a leading +86 may be used)"


def command(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# -- 1. the command prints the problems masked, as the batch page and the API show them


def test_command_prints_problems_with_numbers_masked(population, tmp_path, english):
    path = write(
        tmp_path,
        "bad4.csv",
        HEADER
        + f"阳光小区,1,1,901,钱八,{WOMAN},女,13800138000\n"
        + f"阳光小区,1,1,902,孙九,{WOMAN},女,13800138001\n"
        + "阳光小区,1,1,903,周十,620103196905051936,男,-13800138002\n",
    )
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_registry", str(path), community=XIAXIYUAN, dry_run=True, stdout=out, stderr=StringIO())
    text = out.getvalue()
    problems = [line.strip() for line in text.splitlines() if line.startswith("  ")]
    assert problems == [
        # every reason a capitalised sentence (new-user trial 14: "…: the same…" next to "…: Check…")
        "error: csv!3 身份证号 (F) '6201**********1009': " + capfirst(DUPLICATE % 2),
        "error: csv!4 电话 (H) '-138****8002': " + capfirst(BAD_PHONE),
        "error: csv!4 身份证号 (F) '6201**********1936': Check character does not match (GB 11643-1999)",
    ]
    assert not re.search(r"\d{11}", text + str(raised.value)), text
    message = str(raised.value)
    assert message.startswith(f"{path}: 3 errors, nothing written; error report: ") and message.endswith(".xlsx")


# -- 2. command-line errors: translated, naming the path, never a traceback or a list repr


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "{path} is a directory, not a file"), ("zh-hans", "{path} 是文件夹，不是文件")],
)
def test_importing_a_directory_names_it(population, tmp_path, language, message):
    with translation.override(language), pytest.raises(CommandError) as raised:
        call_command("import_registry", str(tmp_path), community=XIAXIYUAN)
    assert str(raised.value) == message.format(path=tmp_path)


def test_importing_a_missing_file_names_it(population, tmp_path, english):
    with pytest.raises(CommandError) as raised:
        call_command("import_registry", str(tmp_path / "none.csv"), community=XIAXIYUAN)
    assert str(raised.value) == f"{tmp_path / 'none.csv'}: no such file"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "/nonexistent/dir/x.xlsx: the folder /nonexistent/dir does not exist"),
        ("zh-hans", "/nonexistent/dir/x.xlsx：文件夹 /nonexistent/dir 不存在"),
    ],
)
def test_exporting_into_a_missing_folder_names_it(population, language, message):
    from lianfang.core.models import AuditEntry

    with translation.override(language), pytest.raises(CommandError) as raised:
        call_command("export_registry", community=XIAXIYUAN, output="/nonexistent/dir/x.xlsx")
    assert str(raised.value) == message
    assert not AuditEntry.objects.filter(action="export").exists()


def test_exporting_onto_a_directory_names_it(population, tmp_path, english):
    folder = tmp_path / "out.xlsx"
    folder.mkdir()
    with pytest.raises(CommandError) as raised:
        call_command("export_registry", community=XIAXIYUAN, output=str(folder))
    assert str(raised.value) == f"{folder} is a directory, not a file"


@pytest.mark.parametrize(
    ("language", "unknown", "below"),
    [
        (
            "en",
            "unknown division code 999",
            "import into a community/village, street/town or district, not 阳光小区 (620103001001001)",
        ),
        ("zh-hans", "未知的区划代码 999", "请导入到社区/村、街道/乡镇或区县，而不是阳光小区（620103001001001）"),
    ],
)
def test_command_messages_are_translated_text(population, tmp_path, language, unknown, below):
    path = write(tmp_path, "ok.csv", HEADER + f"阳光小区,1,1,901,钱八,{MAN},,\n")
    with translation.override(language):
        with pytest.raises(CommandError) as raised:
            call_command("import_registry", str(path), community="999")
        assert str(raised.value) == unknown
        with pytest.raises(CommandError) as raised:  # a ValidationError: its text, not "['…']"
            call_command("import_registry", str(path), community="620103001001001")
        assert str(raised.value) == below
        with pytest.raises(CommandError) as raised:
            call_command("export_registry", community="999", output=str(tmp_path / "x.xlsx"))
        assert str(raised.value) == unknown


def test_command_result_lines_are_translated(population, tmp_path):
    path = write(tmp_path, "ok.csv", HEADER + f"阳光小区,1,1,901,钱八,{MAN},,\n")
    with translation.override("zh-hans"):
        text = command("import_registry", str(path), community=XIAXIYUAN, dry_run=True, no_progress=True)
    lines = text.splitlines()
    assert lines[0].startswith("导入 #") and "已检查（试运行），未写入" in lines[0]
    assert lines[1] == "行 1；住户 +1 ~0 =0；居民 +1 ~0 =0；错误 0；警告 0"


# -- 3a. the same person twice in a file is reported whatever other errors the rows have


def test_duplicate_is_reported_when_the_first_row_has_a_bad_phone(run_import, tmp_path):
    path = write(
        tmp_path,
        "dup.csv",
        HEADER
        + f"阳光小区,1,1,901,钱八,{WOMAN},女,13800138000\n"
        + f"阳光小区,1,1,902,孙九,{WOMAN},女,13800138001\n"
        + f"阳光小区,1,1,903,周十,{MAN},男,-13800138002\n"
        + f"阳光小区,1,1,904,吴一,{MAN},男,13800138003\n",
    )
    batch = run_import(path)
    assert issues(batch) == [
        ("csv", 3, "身份证号 (F)", WOMAN, DUPLICATE % 2),
        ("csv", 4, "电话 (H)", "-13800138002", BAD_PHONE),
        ("csv", 5, "身份证号 (F)", MAN, DUPLICATE % 4),
    ]


def test_duplicate_is_reported_when_both_rows_are_refused_for_other_errors(run_import, tmp_path):
    path = write(
        tmp_path,
        "dup.csv",
        HEADER
        + f"阳光小区,1,1,901,钱八,{WOMAN},女,13800138000\n"
        + f"阳光小区,1,1,902,孙九,{WOMAN},女,13800138001\n"
        + f"阳光小区,1,1,903,周十,{MAN},女,13800138002\n"
        + f"阳光小区,1,1,904,吴一,{MAN},男,+13800138003\n"
        + f"阳光小区,1,1,905,郑二,{MAN},,\n",
    )
    batch = run_import(path)
    assert issues(batch) == [
        ("csv", 3, "身份证号 (F)", WOMAN, DUPLICATE % 2),
        ("csv", 4, "性别 (G)", "女", "sex Female disagrees with the ID number (Male)"),
        ("csv", 5, "电话 (H)", "+13800138003", "not a valid Chinese phone number"),
        ("csv", 5, "身份证号 (F)", MAN, DUPLICATE % 4),
        ("csv", 6, "身份证号 (F)", MAN, DUPLICATE % 4),
    ]


# -- 3b, 3c. sex labels; junk around a phone number


def test_sex_mismatch_names_the_sexes_in_chinese(population, tmp_path):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.tests.fixtures.importing import TODAY

    path = write(tmp_path, "sex.csv", HEADER + f"阳光小区,1,1,901,周十,{MAN},女,\n")
    with translation.override("zh-hans"):
        batch = registry_import(actor=None, target=Division.objects.get(code=XIAXIYUAN), path=path, today=TODAY)
    assert issues(batch) == [("csv", 2, "性别（G）", "女", "性别 女 与身份证号（男）不符")]


@pytest.mark.parametrize(
    "phone", ["-13800138000", "13800138000-", "tel:13800138000", "+-13800138000", "138 0013 8000 x"]
)
def test_junk_around_a_phone_number_is_an_error_naming_it(run_import, tmp_path, phone):
    batch = run_import(write(tmp_path, "phone.csv", HEADER + f"阳光小区,1,1,901,周十,{MAN},男,{phone}\n"))
    assert issues(batch) == [("csv", 2, "电话 (H)", phone, BAD_PHONE)]


@pytest.mark.parametrize("phone", ["138-0013-8000", "+86 138 0013 8000", "(0931) 8123456", "１３８００１３８０００"])
def test_phone_numbers_with_separators_are_accepted(run_import, tmp_path, phone):
    batch = run_import(write(tmp_path, "phone.csv", HEADER + f"阳光小区,1,1,901,周十,{MAN},男,{phone}\n"))
    assert issues(batch) == []
    assert batch.status == "committed"


# -- 4. the resident list's filters speak to users; the API keeps its parameters


def test_resident_list_filters_have_user_facing_labels(population, community_staff, client_for):
    client = client_for(community_staff)
    html = client.get("/registry/residents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    labels = re.findall(r'<label for="id_(\w+)">([^<]*)</label>', html)
    assert labels == [
        ("within", "Area code:"),
        ("household", "Household number:"),
        ("flag", "Vulnerable group:"),
        ("residence_status", "Residence status:"),
        ("q", "Search:"),
        ("id_number", "ID number:"),
        ("phone", "Phone number:"),
    ]
    for developer_wording in ("keyed hash", "same as q", "(number)", 'name="search"'):
        assert developer_wording not in html
    assert "The whole 18-character ID number: finds exactly that person." in html
    zh = client.get("/registry/residents/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "（同 q）" not in zh and "密钥" not in zh and '<label for="id_household">住户编号：</label>' in zh


def test_api_keeps_search_and_its_descriptions(population, community_staff, api_for):
    from lianfang.registry.filtersets import ResidentFilterSet

    assert set(ResidentFilterSet.base_filters) >= {"search", "q", "id_number", "phone", "household"}
    with translation.override("en"):
        assert str(ResidentFilterSet.base_filters["id_number"].extra["help_text"]) == (
            "full resident ID number (exact, matched by its keyed hash)"
        )
    api = api_for(community_staff)
    names = {r["name"] for r in api.get("/api/v1/residents/", {"search": "张三"}).json()["results"]}
    assert names == {"张三"}


# -- 5. a refused action answers the project's 403 page, never an empty body


@pytest.fixture
def cadre(population):
    from lianfang.conftest import _user

    return _user("cadre", "stationed_cadre", XIAXIYUAN)


def test_export_refused_shows_the_403_page(cadre, client_for):
    client = client_for(cadre)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_reveal_refused_shows_the_403_page(cadre, client_for, population):
    from lianfang.registry.models import Resident

    resident = Resident.objects.filter(household=population["h1"]).first()
    client = client_for(cadre)
    response = client.post(f"/registry/reveal/resident/{resident.pk}/id/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


@pytest.mark.parametrize(
    ("command_name", "description"),
    [
        ("import_registry", "从 .xlsx/.xls/.ods/.csv 文件向社区（或街道、区县）导入住户和居民。"),
        ("export_registry", "按导入模板格式将某区划的居民导出为 XLSX 或 CSV（默认脱敏）。"),
        ("generate_population", "为一个区县生成小区、楼栋、住户和居民（以及工作人员）。"),
    ],
)
def test_command_help_is_translated(command_name, description):
    from django.core.management import load_command_class

    with translation.override("zh-hans"):
        text = load_command_class("lianfang.registry", command_name).create_parser("manage.py", command_name)
        text = " ".join(text.format_help().split())
    assert description in text
    assert "区划代码" in text or "区县代码" in text


def test_birth_date_mismatch_names_no_dates():
    """The ID's birth date is 8 of its digits: the refusal names neither date (second new-user trial)."""
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.utils import translation

    from lianfang.registry.services import validate_resident

    expected_by_language = {"en": "birth date disagrees with the ID number", "zh-hans": "出生日期与身份证号不符"}
    for language, expected in expected_by_language.items():
        with translation.override(language), pytest.raises(ValidationError) as exc:
            validate_resident(name="张三", document_number="11010519491231002X", birth_date=dt.date(1950, 1, 1))
        assert exc.value.message_dict["birth_date"] == [expected]


def test_a_broken_utf16_file_is_a_file_error_not_a_crash(population, tmp_path, english):
    """A UTF-16 byte-order mark followed by an odd number of bytes (second new-user trial: a
    traceback and "stopped on an unexpected error")."""
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xff\xfe\x00\x00garbage")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_registry", str(path), community=XIAXIYUAN, dry_run=True, stdout=out, stderr=StringIO())
    text = out.getvalue() + str(raised.value)
    assert "  error: The file starts with a UTF-16 byte-order mark but is not UTF-16 text\n" in out.getvalue()
    assert "Traceback" not in text and "UnicodeDecodeError" not in text


def test_a_volunteers_export_is_the_403_page_naming_what_and_where(population, client_for):
    """New-user trial: a volunteer's POST /registry/io/export/ answered 400 with no message."""
    import datetime as dt

    from lianfang.accounts.models import RoleAssignment, User

    volunteer = User.objects.create_user("volunteer")
    RoleAssignment.objects.create(
        user=volunteer, role="volunteer", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    client = client_for(volunteer)
    en = client.post("/registry/io/export/", {"division": XIAXIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    assert en.status_code == 403
    assert (
        '<p class="flash error">You may not export personal data in 西园街道 › 下西园社区 › 阳光小区.</p>'
        in en.content.decode()
    )
    zh = client.post("/registry/io/export/", {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 403
    assert '<p class="flash error">您无权在西园街道 › 下西园社区 › 阳光小区导出个人信息。</p>' in zh.content.decode()


def test_every_bad_field_of_a_row_is_reported(run_import, tmp_path):
    """New-user trial: a ``tel:…`` household phone was not reported when the same row's compound was
    unknown (the phone was only read for a row whose household could be placed)."""
    header = "小区,楼栋,单元,房号,户联系电话,姓名,身份证号,性别,电话\n"
    rows = (
        f"无此小区,1,1,901,tel:13800138000,周十,{MAN},男,138x\n"  # unknown compound, both phones bad
        f"阳光小区,1,1,,tel:13900139000,周十一,620103197505051033,男,\n"  # no room, bad household phone
        f"阳光小区,1,1,902,13700137000,周十二,620103197505051092,男,\n"
        f"阳光小区,1,1,902,tel:13700137001,周十三,620103197505051076,男,\n"  # same household, later bad phone
    )
    batch = run_import(write(tmp_path, "all.csv", header + rows))
    assert issues(batch) == [
        ("csv", 2, "小区 (A)", "无此小区", "unknown compound/village group; nearest: 阳光小区"),
        ("csv", 2, "户联系电话 (E)", "tel:13800138000", BAD_PHONE),
        ("csv", 2, "电话 (I)", "138x", BAD_PHONE),
        ("csv", 3, "房号 (D)", "", "room / house number is required"),
        ("csv", 3, "户联系电话 (E)", "tel:13900139000", BAD_PHONE),
        ("csv", 5, "户联系电话 (E)", "tel:13700137001", BAD_PHONE),
    ]
