# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Import from the files people really have: xlsx/xls/ods/csv made by LibreOffice (fixtures/make_fixtures.py).

Each test asserts the exact problems reported (sheet, row, column, value, reason).
"""

from __future__ import annotations

import io

import pytest

from lianfang.registry.tests.fixtures.importing import FIXTURES, english, issues, run_import  # noqa: F401

pytestmark = pytest.mark.django_db

A1 = "620103198001010013"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("roster.xls", ""), ("roster.ods", ""), ("gbk.csv", "gb18030"), ("utf8_bom.csv", "utf-8-sig")],
)
def test_valid_roster_imports(run_import, name, encoding):
    from lianfang.registry.models import Household, ImportStatus, Resident

    batch = run_import(name)
    assert issues(batch) == []
    assert issues(batch, "warning") == []
    assert batch.status == ImportStatus.COMMITTED, batch.message
    assert batch.encoding == encoding
    assert batch.counts["residents_created"] == 4
    assert batch.counts["households_created"] == 2
    liu = Resident.objects.get(name="刘一")
    assert liu.id_masked == "6201**********0013"
    assert liu.id_number_plain() == A1
    assert liu.phone_masked == "138****0001"
    assert liu.sex == "M"
    assert str(liu.birth_date) == "1980-01-01"
    assert liu.relation == "head"
    assert liu.name_initials == "ly"
    assert liu.household.room == "501"
    assert liu.household.contact_name == "刘一"
    assert liu.household.phone_masked == "138****0001"
    assert liu.household.address == "下西园社区 阳光小区 1号楼 1单元 501"
    assert liu.household.path == liu.path == "62010300100100100101"
    assert Resident.objects.get(name="周四").elderly_alone is True
    assert Resident.objects.get(name="周四").relation == "parent"
    assert Household.objects.get(room="602").contact_name == "孙三"
    assert Household.objects.get(room="602").phone_masked == ""


def test_gbk_file_is_not_utf8():
    data = (FIXTURES / "gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "刘一".encode("gbk") in data


def test_numeric_id_column_is_corrupted_by_excel(run_import):
    from lianfang.registry.models import ImportStatus, Resident

    batch = run_import("numeric_id.xlsx")
    assert batch.status == ImportStatus.INVALID
    reason = "Corrupted by Excel (stored as a number) — re-export the column as text"
    # The values are what Excel kept: 15 significant digits, read back as a double.
    assert issues(batch) == [
        ("numeric_id", 2, "身份证号 (F)", "620103198001010048", reason),
        ("numeric_id", 3, "身份证号 (F)", "620103198202019968", reason),
        ("numeric_id", 4, "身份证号 (F)", "620103201003030016", reason),
        ("numeric_id", 5, "身份证号 (F)", "620103197004039936", reason),
    ]
    assert Resident.objects.filter(name="刘一").count() == 0
    assert batch.report


def test_scientific_notation_from_csv_is_corrupted(run_import):
    batch = run_import("excel_damaged.csv")
    reason = "Corrupted by Excel (scientific notation) — re-export the column as text"
    assert issues(batch) == [
        ("csv", 2, "身份证号 (F)", "6.2010319800101E+017", reason),
        ("csv", 3, "身份证号 (F)", "6.2010319820202E+017", reason),
        ("csv", 4, "身份证号 (F)", "6.2010320100303E+017", reason),
        ("csv", 5, "身份证号 (F)", "6.2010319700404E+017", reason),
    ]


def test_two_row_merged_header_and_merged_data_cells(run_import):
    from lianfang.registry.models import Resident

    batch = run_import("two_row_header.xlsx")
    assert issues(batch) == []
    # 备注 under the merged 联系方式 is not a column we know: ignored, with a warning.
    assert issues(batch, "warning") == [("住户", 3, "联系方式-备注 (H)", "", "unknown column ignored")]
    assert batch.counts["residents_created"] == 3
    # The compound cell was merged down over the three rows: every row is in 阳光小区.
    chen = Resident.objects.get(name="陈二")
    assert chen.household.compound.short_name == "阳光小区"
    assert chen.household_id == Resident.objects.get(name="刘一").household_id
    assert Resident.objects.get(name="孙三").household.address == "下西园社区 阳光小区 1号楼 2单元 602"


def test_fullwidth_digits_lowercase_x_and_15_digit_numbers(run_import):
    from lianfang.core import idnumber
    from lianfang.registry.models import Resident

    batch = run_import("fullwidth.ods")
    assert issues(batch) == []
    full_width = "full-width characters were converted to ordinary (half-width) ones; check the number"
    assert issues(batch, "warning") == [  # full-width values named as typed (new-user trial)
        ("fullwidth", 2, "联系电话 (H)", "１３８００００００01", full_width),
        ("fullwidth", 2, "身份证号 (F)", "６２０１０３１９８００１０１００１３", full_width),
        ("fullwidth", 4, "身份证号 (F)", "620103500101002", "15-digit number converted to 18 digits"),
    ]
    liu = Resident.objects.get(name="刘一")
    assert liu.id_number_plain() == A1
    assert liu.phone_masked == "138****0001"
    assert liu.household.room == "501"  # ５０１
    wang = Resident.objects.get(name="王姥")
    assert wang.id_number_plain().endswith("X")
    assert wang.sex == "F"
    li = Resident.objects.get(name="李老")
    converted = li.id_number_plain()
    assert converted == idnumber.parse("620103500101002").number
    assert converted.startswith("62010319500101002")
    assert str(li.birth_date) == "1950-01-01"


def test_problems_are_all_reported_and_nothing_is_written(run_import, population):
    from lianfang.registry.models import Household, ImportStatus, Resident

    before = (Household.objects.count(), Resident.objects.count())
    batch = run_import("problems.xlsx")
    assert batch.status == ImportStatus.INVALID
    assert (Household.objects.count(), Resident.objects.count()) == before
    sheet = "problems"
    assert issues(batch) == [
        (sheet, 3, "身份证号 (F)", A1, "the same person is already on sheet problems row 2; resolve the duplicate"),
        (
            sheet,
            5,
            "身份证号 (F)",
            "6201**********0017",
            "this person is already registered in another household outside this import; move them first",
        ),
        (sheet, 6, "楼栋 (B)", "9号楼", "unknown building; nearest: 1号楼"),
        (sheet, 7, "身份证号 (F)", "620103197205050060", "Check character does not match (GB 11643-1999)"),
        (sheet, 8, "身份证号 (F)", "620103198002300011", "Birth date 19800230 does not exist"),
        (sheet, 9, "性别 (G)", "男", "sex Male disagrees with the ID number (Female)"),
        (sheet, 10, "联系电话 (H)", "12345", "not a valid Chinese phone number"),
        (
            sheet,
            11,
            "身份证号 (F)",
            "620103198202020000",
            "Corrupted by Excel (digits past the 15th were lost) — re-export the column as text",
        ),
        (sheet, 12, "小区 (A)", "阳光花园", "unknown compound/village group; nearest: 阳光小区"),
    ]
    assert issues(batch, "warning") == [
        (
            sheet,
            1,
            "是否死亡 (K)",
            "",
            "column ignored: deaths and other irreversible statuses are never set by an import",
        ),
        (sheet, 1, "籍贯 (L)", "", "unknown column ignored"),
    ]
    assert batch.counts["blank_rows"] == 1
    assert batch.counts["rows"] == 10
    assert batch.counts["errors"] == 9


def test_missing_required_column(run_import):
    batch = run_import("missing_column.csv")
    assert issues(batch) == [("csv", 1, "ID number", "", "required column ID number is missing")]
    assert batch.counts["rows"] == 0


def test_error_report_has_original_rows_and_error_column(run_import):
    from openpyxl import load_workbook

    batch = run_import("problems.xlsx")
    wb = load_workbook(batch.report.path, read_only=True)
    rows = list(wb["problems"].iter_rows(values_only=True))
    assert rows[0][-2:] == ("Errors", "Warnings")
    assert rows[0][-3] == "籍贯"
    assert rows[0][-4:-2] == ("是否死亡", "籍贯")
    assert rows[1][:6] == ("阳光小区", "1号楼", "1单元", "501", "刘一", A1)
    assert rows[1][-2] in (None, "")
    assert rows[2][-2] == "身份证号 (F): The same person is already on sheet problems row 2; resolve the duplicate"
    assert rows[5][-2] == "楼栋 (B): Unknown building; nearest: 1号楼"
    assert wb.sheetnames == ["problems", "Import problems"]
    problems = list(wb["Import problems"].iter_rows(values_only=True))
    assert problems[0] == ("Severity", "Sheet", "Row", "Column", "Value", "Reason")
    assert len(problems) == 1 + 9 + 2
    assert problems[1][:4] == ("Error", "problems", 3, "身份证号 (F)")


def test_unsupported_file_type(run_import, tmp_path, english):
    from django.core.exceptions import ValidationError  # noqa: F401

    from lianfang.registry.importing.reading import ImportFileError

    path = tmp_path / "roster.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(ImportFileError, match="unsupported file type “pdf”"):
        run_import(path)


def test_damaged_spreadsheet_is_a_clear_error(run_import, tmp_path):
    from lianfang.registry.models import ImportStatus

    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    batch = run_import(path)
    assert batch.status == ImportStatus.INVALID
    assert batch.message == "cannot open broken.xlsx as xlsx: the file is damaged or is not really a xlsx file"


def test_csv_with_semicolon_free_tabs_and_english_headers(run_import, tmp_path):
    from lianfang.registry.models import Resident

    text = "Compound\tBuilding\tUnit\tRoom\tName\tID number\tPhone\nAnother\n"
    text = (
        f"Compound\tBuilding\tUnit\tRoom\tName\tID number\tPhone\n阳光小区\t1\t1\t701\t刘一\t{A1}\t+86 138 0000 0001\n"
    )
    path = tmp_path / "english.tsv"
    path.write_text(text, encoding="utf-8")
    batch = run_import(path)
    assert issues(batch) == []
    liu = Resident.objects.get(name="刘一")
    assert liu.household.address == "下西园社区 阳光小区 1号楼 1单元 701"
    assert liu.phone_plain() == "13800000001"


def test_import_into_a_street_needs_the_community_column(run_import, tmp_path):
    from lianfang.registry.models import Resident

    rows = f"社区,小区,楼栋,单元,房号,姓名,身份证号\n上西园社区,园林小区,1号楼,1单元,808,刘一,{A1}\n"
    path = tmp_path / "street.csv"
    path.write_text(rows, encoding="utf-8")
    batch = run_import(path, code="620103001")
    assert issues(batch) == []
    assert Resident.objects.get(name="刘一").household.community.code == "620103001002"
    path.write_text(rows.replace("社区,小区", "小区号,小区").replace("上西园社区,", "x,"), encoding="utf-8")
    batch = run_import(path, code="620103001")
    assert issues(batch) == [
        (
            "csv",
            1,
            "Community/village",
            "",
            "required column Community/village is missing (the import covers more than one community)",
        )
    ]


def test_wrong_community_in_file(run_import, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text(f"社区,小区,房号,姓名,身份证号\n上西园社区,园林小区,1,刘一,{A1}\n", encoding="utf-8")
    batch = run_import(path)
    assert issues(batch) == [
        ("csv", 2, "社区 (A)", "上西园社区", "the file is being imported into 下西园社区, not 上西园社区")
    ]


def test_decode_text_detects_encodings():
    from lianfang.registry.importing.reading import decode_text

    text = "小区,姓名\n阳光小区,刘一\n" * 20
    assert decode_text(text.encode("utf-8")) == (text, "utf-8")
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_text(text.encode("gbk")) == (text, "gb18030")
    assert decode_text(text.encode("gb18030")) == (text, "gb18030")


def test_header_synonyms_and_flattening():
    from lianfang.registry.importing.columns import _match_header
    from lianfang.registry.importing.reading import find_header

    assert _match_header("公民身份号码") == "id_number"
    assert _match_header("证件号码（必填）") == "id_number"
    assert _match_header("ID Number") == "id_number"
    assert _match_header("手机号") == "phone"
    assert _match_header("住址-楼栋") == "building"
    assert _match_header("住址-备注") is None
    rows = [["说明：请勿修改表头"], ["姓名", "身份证号", "住址", "", ""], ["", "", "小区", "房号", "单元"]]
    header = find_header(rows)
    assert header.rows == 2
    assert header.first_data_row == 3
    assert header.keys == {0: "name", 1: "id_number", 2: "compound", 3: "room", 4: "unit"}
    assert header.texts[2] == "住址-小区"


def test_phone_fast_path_agrees_with_phonenumbers():
    """The 7-digit-prefix shortcut gives phonenumbers' answer for random 11-digit mobile-like numbers."""
    import random

    from lianfang.core import pii
    from lianfang.registry.importing.columns import normalize_phone

    rng = random.Random(7)
    for _ in range(3000):
        number = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        try:
            expected = pii.normalize_phone(number)
        except pii.PhoneError:
            expected = None
        try:
            got = normalize_phone(number)
        except pii.PhoneError:
            got = None
        assert got == expected, number
    assert normalize_phone("020-8765 4321") == pii.normalize_phone("02087654321") == "02087654321"
    assert normalize_phone(13800000001.0) == "13800000001"


def test_parse_date_forms():
    import datetime as dt

    from lianfang.registry.importing.columns import parse_date

    assert parse_date("1949-12-31") == dt.date(1949, 12, 31)
    assert parse_date("1949/12/31") == dt.date(1949, 12, 31)
    assert parse_date("1949年12月31日") == dt.date(1949, 12, 31)
    assert parse_date("19491231") == dt.date(1949, 12, 31)
    assert parse_date(dt.datetime(1949, 12, 31, 0, 0)) == dt.date(1949, 12, 31)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("yesterday")


def test_document_hash_matches_the_model():
    from lianfang.registry.importing.columns import document_hash
    from lianfang.registry.models import Resident

    r = Resident()
    r.set_id_number(A1, "resident_id")
    assert document_hash(A1, "resident_id") == r.id_hash
    r.set_id_number("E12345678", "passport")
    assert document_hash("E12345678", "passport") == r.id_hash


def test_blank_template_round_trip_is_empty(run_import, tmp_path):
    from lianfang.registry.exporters import write_template

    buffer = io.BytesIO()
    write_template(buffer)
    path = tmp_path / "template.xlsx"
    path.write_bytes(buffer.getvalue())
    batch = run_import(path)
    assert issues(batch) == [("", 0, "", "", "the file has no data rows under its header: nothing to import")]
    assert batch.counts["rows"] == 0
    assert batch.status == "invalid"


@pytest.mark.parametrize("data", [b"\x00\x01\x02\x03" * 100, b"\xff\xfe\x00garbage\x00\x00"])
def test_a_file_of_control_characters_is_refused_with_its_report(run_import, tmp_path, data):
    """Trial 11: a .csv of control characters ended the import with "unexpected error (StopIteration)":
    the report's write-only worksheet refused a cell, and the retry appended to a broken writer. Now
    every cell is made writable first: the import is refused for its real reason, with a report, and
    nothing is written."""
    from openpyxl import load_workbook

    from lianfang.registry.models import ImportStatus, Resident

    path = tmp_path / "x.csv"
    path.write_bytes(data)
    before = Resident.objects.count()
    batch = run_import(path, dry_run=True)
    assert batch.status != ImportStatus.COMMITTED
    assert "StopIteration" not in batch.message and "unexpected" not in batch.message.lower(), batch.message
    assert batch.report, batch.message
    assert load_workbook(batch.report.path, read_only=True).sheetnames[-1] == "Import problems"
    assert Resident.objects.count() == before


def test_report_keeps_a_typed_formula_as_text(run_import, tmp_path):
    """New-user trial 12: the import report wrote the contact cell ``=cmd|' /C calc'!A0`` as a live
    formula (the report repeats the file's rows)."""
    from openpyxl import load_workbook

    typed = "=cmd|' /C calc'!A0"
    path = tmp_path / "formula.csv"
    rows = f"小区,楼栋,单元,房号,姓名,身份证号,联系人\n阳光小区,9号楼,1单元,701,刘一,{A1},{typed}\n"
    path.write_text(rows, encoding="utf-8")
    batch = run_import(path)
    assert batch.status == "invalid" and batch.report
    with batch.report.open("rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value == typed]
    assert cells and {c.data_type for c in cells} == {"s"}
