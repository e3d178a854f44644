"""New-user trial: a PNG uploaded as lab results read “no header with a tube barcode column …”, a bad
XLSX “… is not a readable CSV, XLSX, XLS or ODS file”. Any file that is not a readable table (another
type by name, a picture renamed .csv, a broken workbook) is now the one message naming the file and the
accepted formats; and the tube barcode is 管码 throughout screening's Chinese (docs/screening.md)."""

import io
from pathlib import Path

import polib
import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianfang.screening.models import ResultImport

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def png() -> bytes:
    buffer = io.BytesIO()
    segno.make("QL0001").save(buffer, kind="png")
    return buffer.getvalue()


def post(client, name, data, **language):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("screening:results"), {"file": upload, "lab": "L"}, **language)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("结果.png", png()),
        ("结果.csv", png()),  # a picture renamed
        ("结果", png()),  # no suffix: read by content
        ("结果.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n"),
        ("结果.docx", "管码,结果\nQL0001,阴性\n".encode()),  # text, but not a type the page takes
        ("结果.xlsx", b"PK\x03\x04 not a workbook"),
        ("结果.xlsx", "管码,结果\n".encode()),  # a CSV renamed .xlsx
        ("结果.xls", b"\xd0\xcf\x11\xe0 broken"),
    ],
)
def test_a_file_that_is_not_a_readable_table_is_one_message_naming_it_and_the_formats(
    client_for, district_commander, name, data
):
    client = client_for(district_commander)
    response = post(client, name, data, **ZH)
    assert response.status_code == 200
    assert [str(m) for m in response.wsgi_request._messages] == [f"{name} 不是可读取的 CSV、XLSX、XLS 或 ODS 文件"]
    english = post(client, name, data, **EN)
    assert [str(m) for m in english.wsgi_request._messages] == [f"{name} is not a readable CSV, XLSX, XLS or ODS file"]
    assert not ResultImport.objects.exists()


def test_a_readable_table_without_the_columns_still_says_which_are_missing(client_for, district_commander):
    response = post(client_for(district_commander), "结果.csv", "姓名,电话\n张三,1\n".encode(), **ZH)
    assert [str(m) for m in response.wsgi_request._messages] == ["结果.csv 中没有包含管码列和结果列的表头"]


@pytest.mark.parametrize("header", ["管码", "管号", "采样管管码"])
def test_a_csv_headed_by_the_tube_barcode_term_is_read(client_for, district_commander, header):
    data = f"{header},结果\nQL9999,阴性\n".encode()
    response = post(client_for(district_commander), "结果.csv", data, **ZH)
    assert [str(m) for m in response.wsgi_request._messages] == ["共 1 行：录入 0，已有 0，暂扣 1"]
    assert ResultImport.objects.get().file_name == "结果.csv"


def test_the_upload_field_names_the_accepted_formats(client_for, district_commander):
    page = client_for(district_commander).get(reverse("screening:results"), **ZH).content.decode()
    assert "结果文件（CSV、XLSX、XLS 或 ODS）" in page
    assert 'accept=".csv,.txt,.xlsx,.xlsm,.xls,.ods"' in page


@pytest.mark.parametrize("app", ["screening", "assistance"])
def test_the_tube_barcode_is_called_guanma_in_every_message(app):
    catalogue = Path(__file__).resolve().parents[2] / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    entries = polib.pofile(str(catalogue))
    assert [e.msgid for e in entries if "管号" in e.msgstr + "".join(e.msgstr_plural.values())] == []
    assert [e.msgid for e in entries if not e.obsolete and not e.translated()] == []
