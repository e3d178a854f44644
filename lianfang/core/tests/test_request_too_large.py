"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) answers 413 naming the limit, translated:
JSON ``{"detail": ...}`` under /api/, the 413 page elsewhere (which points files to the import upload
and its own 200 MB limit). Other bad requests keep Django's 400 page (core.views.bad_request)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db

THREE_MB = "x" * (3 * 1024 * 1024)
DETAIL = {
    "en": "The request is larger than the 2.5 MB limit: send less at once.",
    "zh-hans": "请求超过 2.5 MB 的上限：请分批少量提交。",
}
FILES = {
    "en": "Files go through the import upload (Import/export), which takes a file of up to 200 MB",
    "zh-hans": "文件请通过导入上传（导入导出）提交，单个文件最大 200 MB",
}


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_the_limit_is_the_one_the_message_names():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2621440  # Django's default, 2.5 MB


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_api_post_of_3_mb_is_413_json(population, community_staff, api_for, language):
    api = api_for(community_staff)
    body = json.dumps({"household": population["h1"].pk, "need": THREE_MB})
    response = api.post(
        "/api/v1/service-requests/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": DETAIL[language]}
    # a form-encoded body is read by another parser: the same answer
    response = api.post(
        "/api/v1/service-requests/",
        f"need={THREE_MB}",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert (response.status_code, response.json()) == (413, {"detail": DETAIL[language]})


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_page_post_of_3_mb_is_the_413_page(population, community_staff, client_for, language):
    client = client_for(community_staff)
    response = client.post("/registry/io/export/", {"reason": THREE_MB}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert DETAIL[language] in page and FILES[language] in page
    assert ("Request too large" if language == "en" else "请求过大") in page


def test_other_bad_requests_keep_the_400_page(population, community_staff, client_for):
    client = client_for(community_staff)
    too_many_fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post("/registry/io/export/", too_many_fields, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
