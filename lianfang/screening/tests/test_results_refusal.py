"""Lab results, new-user trial: a user without the right to import results (a grid worker, a
volunteer at a desk, a household representative) who POSTs a file to /screening/results/ gets a
translated 403 naming why and who imports instead — not a 200 page with nothing stored and no
message — and the page offers them no upload form."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianfang.conftest import _user
from lianfang.screening.models import LabResult, ResultImport

pytestmark = pytest.mark.django_db

ROLES = ["grid_worker", "volunteer", "household_representative"]

REFUSAL = {
    "zh-hans": "您无权在西园街道 › 下西园社区 › 阳光小区导入检测结果。"
    "检测结果由社区、街道或区级工作人员导入，请联系本社区工作人员。",
    "en": "You may not import lab results in 西园街道 › 下西园社区 › 阳光小区. Lab results are imported by "
    "community, street or district staff: ask your community&#x27;s staff.",
}


def upload():
    text = "管号,结果,检测机构,报告时间\nQL0001,阴性,某检测机构,2026-12-01 10:00:00\n"
    return SimpleUploadedFile("结果.csv", text.encode("utf-8"), content_type="text/csv")


@pytest.fixture(params=ROLES)
def refused_client(request, client, population):
    user = _user(f"u_{request.param}", request.param, population["compound_a"].code)
    client.force_login(user)
    return client


def test_a_file_posted_by_a_user_who_may_not_import_results_is_a_translated_403(refused_client):
    response = refused_client.post(reverse("screening:results"), {"file": upload(), "lab": "某检测机构"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "<html" in text and REFUSAL["zh-hans"] in text
    refused_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = refused_client.post(reverse("screening:results"), {"file": upload(), "lab": "某检测机构"})
    assert english.status_code == 403 and REFUSAL["en"] in english.content.decode()
    assert ResultImport.objects.count() == 0 and LabResult.objects.count() == 0


def test_resolving_a_held_line_is_refused_too(refused_client):
    response = refused_client.post(reverse("screening:results"), {"resolve": "1", "note": "x"})
    assert response.status_code == 403 and REFUSAL["zh-hans"] in response.content.decode()


def test_the_results_page_offers_no_upload_form_and_says_why(refused_client):
    page = refused_client.get(reverse("screening:results"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="upload-form"' not in text and 'type="file"' not in text
    assert f'<p class="small muted" data-testid="no-import">{REFUSAL["zh-hans"]}</p>' in text


def test_community_staff_still_see_the_form(client_for, community_staff):
    page = client_for(community_staff).get(reverse("screening:results"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="upload-form"' in text and 'data-testid="no-import"' not in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_the_results_page_says_why_there_is_no_form(population, login_page, live_server):
    volunteer = _user("vol", "volunteer", population["compound_a"].code)
    page = login_page(volunteer)
    page.goto(f"{live_server.url}/screening/results/")
    assert page.get_by_test_id("no-import").inner_text() == REFUSAL["zh-hans"]
    assert page.get_by_test_id("upload-form").count() == 0
