"""New-user trial 14 (registry): the household list honours ``within`` like every other list (a code
outside the user's scope is the 400 page, never a wider or another area); the import report shows its
fixed parts (severity, headings) in the reader's language, on the page and in the XLSX; a user who may
not import is refused with a translated 403 (a short fragment for htmx) and is not offered the form;
the reveal cell's refusal is a short translated fragment for htmx."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from lianfang.conftest import SHANGXIYUAN, XIAXIYUAN

pytestmark = pytest.mark.django_db


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rooms(response) -> list[str]:
    return sorted(h.room for h in response.context["households"].object_list)


# --- 1. /registry/households/?within= ------------------------------------------------------------------


def test_household_list_narrows_to_a_division_inside_the_scope(client_for, street_officer, population):
    client = client_for(street_officer)
    assert rooms(client.get(reverse("registry:my_households"))) == ["101", "202", "301"]
    narrowed = client.get(reverse("registry:my_households"), {"within": XIAXIYUAN})
    assert narrowed.status_code == 200
    assert rooms(narrowed) == ["101", "202"]
    assert rooms(client.get(reverse("registry:my_households"), {"within": population["unit_b"].code})) == ["301"]
    text = narrowed.content.decode()
    assert "只显示西园街道 › 下西园社区（620103001001）的住户。" in text


def test_household_list_within_in_english_names_the_place(client_for, street_officer, population):
    client = in_english(client_for(street_officer))
    page = client.get(reverse("registry:my_households"), {"within": XIAXIYUAN})
    assert "Only the households in 西园街道 › 下西园社区 (620103001001)." in page.content.decode()


@pytest.mark.parametrize("code", [SHANGXIYUAN, "620103009009", "6201030010019999"])
def test_household_list_within_outside_the_scope_is_a_400(client_for, community_staff, population, code):
    response = client_for(community_staff).get(reverse("registry:my_households"), {"within": code})
    assert response.status_code == 400
    text = response.content.decode()
    assert f"“{code}”不是您可查看的区划的代码" in text
    assert "within" in text
    assert "301" not in text  # 上西园's household is never listed


def test_household_list_within_malformed_is_a_400(client_for, community_staff, population):
    response = client_for(community_staff).get(reverse("registry:my_households"), {"within": "abc"})
    assert response.status_code == 400
    assert "within" in response.content.decode()


def test_household_list_within_above_the_scope_keeps_the_own_part(client_for, community_staff, population):
    response = client_for(community_staff).get(reverse("registry:my_households"), {"within": "620103"})
    assert response.status_code == 200
    assert rooms(response) == ["101", "202"]  # the district named: still only their community


def test_household_list_pages_keep_within(client_for, street_officer, population):
    from lianfang.registry.services import household_create

    for n in range(55):
        household_create(actor=None, node=population["unit_b"], room=f"9{n:02d}", contact_name="", phone="")
    client = client_for(street_officer)
    first = client.get(reverse("registry:my_households"), {"within": SHANGXIYUAN})
    assert first.context["households"].paginator.count == 56
    assert f"within={SHANGXIYUAN}&amp;page=2" in first.content.decode()
    second = client.get(reverse("registry:my_households"), {"within": SHANGXIYUAN, "page": 2})
    assert len(second.context["households"].object_list) == 6


# --- 4. /registry/reveal/ refusals for htmx ------------------------------------------------------------------


def reveal_url(resident) -> str:
    return reverse("registry:reveal", args=["resident", resident.pk, "id"])


def make_cadre(user):
    """The user's community staff assignment becomes a stationed cadre's: sees the rows, may not reveal."""
    user.role_assignments.update(role="stationed_cadre")


def test_reveal_refused_for_htmx_is_a_short_fragment(client_for, community_staff, population):
    make_cadre(community_staff)
    client = client_for(community_staff)
    response = client.post(reveal_url(population["张三"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    text = response.content.decode().strip()
    assert "<html" not in text and "<body" not in text
    assert 'data-testid="reveal-refused"' in text and ">无权查看<" in text
    assert "您无权在此查看未脱敏的证件号码和电话" in text  # the reason, in the title
    english = in_english(client).post(reveal_url(population["张三"]), HTTP_HX_REQUEST="true")
    assert english.status_code == 403 and ">not allowed<" in english.content.decode()


def test_reveal_not_found_for_htmx_is_a_short_fragment(client_for, community_staff, population):
    client = client_for(community_staff)
    response = client.post(reveal_url(population["王五"]), HTTP_HX_REQUEST="true")  # another community
    assert response.status_code == 404
    text = response.content.decode().strip()
    assert "<html" not in text and ">未找到<" in text
    assert 'data-testid="reveal-refused"' in text
    english = in_english(client).post(reveal_url(population["王五"]), HTTP_HX_REQUEST="true")
    assert english.status_code == 404 and ">not found<" in english.content.decode()


def test_reveal_refused_without_htmx_keeps_the_error_pages(client_for, community_staff, population):
    client = client_for(community_staff)
    missing = client.post(reveal_url(population["王五"]))
    assert missing.status_code == 404 and "<html" in missing.content.decode()
    make_cadre(community_staff)
    denied = client.post(reveal_url(population["张三"]))
    assert denied.status_code == 403
    assert "<html" in denied.content.decode() and 'data-testid="reveal-refused"' not in denied.content.decode()


def test_reveal_allowed_for_htmx_still_returns_the_value(client_for, community_staff, population):
    response = client_for(community_staff).post(reveal_url(population["张三"]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode() == '<span class="pii" data-testid="revealed">11010519491231002X</span>'


# --- 3. /registry/io/upload/ by a user who may not import ------------------------------------------------


def roster():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lianfang.registry.tests.fixtures.importing import FIXTURES

    return SimpleUploadedFile("roster.ods", (FIXTURES / "roster.ods").read_bytes())


@pytest.fixture
def volunteer(population):
    from lianfang.conftest import _user

    return _user("vol", "volunteer", population["compound_a"].code)


@pytest.fixture
def household_rep(population):
    from lianfang.conftest import _user

    return _user("rep", "household_representative", population["compound_a"].code)


REFUSAL = {
    "zh-hans": "您无权在西园街道 › 下西园社区 › 阳光小区编辑住户和居民。"
    "名册由社区、街道或区级工作人员导入，请联系本社区工作人员。",
    "en": "You may not edit households and residents in 西园街道 › 下西园社区 › 阳光小区. Rosters are imported by "
    "community, street or district staff: ask your community's staff.",
}


@pytest.mark.parametrize("who", ["volunteer", "household_rep"])
def test_upload_by_a_user_who_may_not_import_is_a_translated_403(client_for, request, who):
    from lianfang.registry.models import ImportBatch

    client = client_for(request.getfixturevalue(who))
    data = {"division": XIAXIYUAN, "file": roster()}
    response = client.post(reverse("registry:io_upload"), data)
    assert response.status_code == 403
    text = response.content.decode()
    assert "<html" in text and REFUSAL["zh-hans"] in text
    data = {"division": XIAXIYUAN, "file": roster()}
    fragment = client.post(reverse("registry:io_upload"), data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 403
    assert fragment.content.decode().strip() == (
        f'<p class="flash error" role="alert" data-testid="upload-refused">{REFUSAL["zh-hans"]}</p>'
    )
    data = {"division": XIAXIYUAN, "file": roster()}
    english = in_english(client).post(reverse("registry:io_upload"), data, HTTP_HX_REQUEST="true")
    assert english.status_code == 403 and REFUSAL["en"].replace("'", "&#x27;") in english.content.decode()
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize("who", ["volunteer", "household_rep"])
def test_the_import_page_offers_no_upload_to_a_user_who_may_not_import(client_for, request, who):
    page = client_for(request.getfixturevalue(who)).get(reverse("registry:io_index"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="upload-form"' not in text and 'data-testid="template-link"' not in text
    assert reverse("registry:io_upload") not in text
    assert REFUSAL["zh-hans"] in text  # says why, instead of an empty page
    assert f'href="{reverse("registry:io_index")}"' not in text  # no Import/export entry in the top bar


def test_staff_still_upload(client_for, community_staff, population):
    response = client_for(community_staff).post(
        reverse("registry:io_upload"), {"division": XIAXIYUAN, "file": roster()}
    )
    assert response.status_code == 302


# --- 2. the import report in the reader's language -------------------------------------------------------


@pytest.fixture
def chinese_batch(population, community_staff):
    """problems.xlsx imported by community staff in Chinese: 9 errors, the reasons in Chinese."""
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import
    from lianfang.registry.tests.fixtures.importing import FIXTURES

    with translation.override("zh-hans"):
        batch = registry_import(
            actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=FIXTURES / "problems.xlsx"
        )
    assert batch.language == "zh-hans" and batch.status == "invalid"
    return batch


def severities(response) -> set[str]:
    return {i["severity_label"] for i in response.context["issues"]}


def test_import_report_page_in_english_shows_labels_and_says_which_language_the_reasons_are_in(
    client_for, community_staff, chinese_batch
):
    page = in_english(client_for(community_staff)).get(reverse("registry:io_batch", args=[chinese_batch.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert severities(page) == {"Error", "Warning"}
    assert '<td data-label="Severity">Error</td>' in text and '<td data-label="Severity">Warning</td>' in text
    assert '<td data-label="Severity">error</td>' not in text and '<td data-label="Severity">warning</td>' not in text
    assert "<th>Severity</th><th>Sheet</th><th>Row</th><th>Column</th><th>Value</th><th>Reason</th>" in text
    assert "The reasons are written in the language the file was imported in (简体中文)." in text


def test_import_report_page_in_the_import_language_has_no_language_note(client_for, community_staff, chinese_batch):
    page = client_for(community_staff).get(reverse("registry:io_batch", args=[chinese_batch.pk]))
    text = page.content.decode()
    assert severities(page) == {"错误", "提示"}
    assert '<td data-label="级别">错误</td>' in text and '<td data-label="级别">提示</td>' in text
    assert 'data-testid="reasons-language"' not in text


def test_import_report_page_labels_warnings(client_for, community_staff, chinese_batch):
    chinese_batch.issues = [i for i in chinese_batch.issues if i["severity"] == "warning"]
    chinese_batch.save(update_fields=["issues"])
    page = in_english(client_for(community_staff)).get(reverse("registry:io_batch", args=[chinese_batch.pk]))
    assert severities(page) == {"Warning"}


def report_book(response):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_xlsx_report_fixed_parts_in_the_downloaders_language(client_for, community_staff, chinese_batch):
    client = client_for(community_staff)
    chinese = report_book(client.get(reverse("registry:io_batch_report", args=[chinese_batch.pk])))
    assert chinese.sheetnames == ["problems", "导入问题"]
    english = report_book(in_english(client).get(reverse("registry:io_batch_report", args=[chinese_batch.pk])))
    assert english.sheetnames == ["problems", "Import problems"]
    problems = [list(r) for r in english["Import problems"].iter_rows(values_only=True)]
    assert problems[0] == ["Severity", "Sheet", "Row", "Column", "Value", "Reason"]
    assert {r[0] for r in problems[1:]} == {"Error", "Warning"}
    assert len(problems) == len([list(r) for r in chinese["导入问题"].iter_rows(values_only=True)])
    # everything but the fixed words is as written: the same reasons (in Chinese) in the same rows
    chinese_rows = [list(r) for r in chinese["导入问题"].iter_rows(values_only=True)]
    assert [r[1:] for r in problems[1:]] == [r[1:] for r in chinese_rows[1:]]
    data_en = [list(r) for r in english["problems"].iter_rows(values_only=True)]
    data_zh = [list(r) for r in chinese["problems"].iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(data_zh) if "错误" in r)
    width = data_zh[header].index("错误")
    assert data_en[header][width : width + 2] == ["Errors", "Warnings"]
    assert data_zh[header][width : width + 2] == ["错误", "提示"]
    trimmed = [[v for v in r if v not in (None, "")] for r in data_en]
    assert [[v for v in r if v not in (None, "")] for r in data_zh[header + 1 :]] == trimmed[header + 1 :]
    flagged = [r for r in english["problems"].iter_rows(min_row=header + 2) if r[width].value]
    assert flagged and all(c[width].fill.fgColor.rgb.endswith("F8CBAD") for c in [flagged[0]])


def test_xlsx_report_for_the_api_follows_the_request_language(api_for, community_staff, chinese_batch):
    api = api_for(community_staff)
    response = api.get(f"/api/v1/registry-imports/{chinese_batch.pk}/report/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert report_book(response).sheetnames == ["problems", "Import problems"]
