# ruff: noqa: F811 (pytest fixtures imported from workforce/tests/conftest.py)
"""New-user trial: a GET of a POST-only page URL (/fieldops/gates/new/) answered an empty 405, a blank
page. Now the site's translated page (core.middleware.MethodNotAllowedPageMiddleware), status 405 and
the Allow header kept; under /api/ DRF's JSON is untouched."""

from __future__ import annotations

import pytest
from django.urls import path
from django.utils import translation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from lianfang.urls import urlpatterns as project_patterns
from lianfang.workforce.tests.conftest import grid, representative  # noqa: F401 (the workforce fixtures)

pytestmark = pytest.mark.django_db


class PostOnlyApi(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        return Response({})


urlpatterns = [path("api/v1/post-only/", PostOnlyApi.as_view()), *project_patterns]


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("zh-hans", "无法这样打开此页面", "此地址只接收从其页面提交的表单，不能单独打开。"),
        (
            "en",
            "Page cannot be opened this way",
            "This address only takes a form sent from its page; it cannot be opened on its own.",
        ),
    ],
)
@pytest.mark.parametrize("url", ["/fieldops/monitoring/new/", "/fieldops/gates/new/"])
def test_a_get_of_a_post_only_page_reads_the_translated_page(
    district_commander, client_for, url, language, title, message
):
    response = client_for(district_commander).get(url, HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("zh-hans")  # LocaleMiddleware leaves the request's language active
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert [t.name for t in response.templates][0] == "405.html"
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body
    assert f'<p data-testid="not-allowed">{message}</p>' in body
    assert '<a href="/divisions/620103/" data-testid="back-home">' in body  # the commander's district


def test_a_representative_is_sent_to_their_households_not_the_sign_in_page(client_for, representative):
    """New-user trial 14: the 405 page a household representative saw linked to the sign-in page though
    they were signed in; it links to their own home page, their households."""
    response = client_for(representative).get("/fieldops/gates/new/", HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("zh-hans")
    assert response.status_code == 405
    body = response.content.decode()
    assert '<a href="/registry/households/" data-testid="back-home">Back to my home page</a>' in body
    assert "/accounts/login/" not in body
    assert client_for(representative).get("/").url == "/registry/households/"  # the same page as "/"


def test_a_reader_not_signed_in_is_offered_the_sign_in_page(client):
    response = client.post("/accounts/logout/")  # signed out, then a GET of the POST-only sign-out URL
    response = client.get("/accounts/logout/", HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("zh-hans")
    assert response.status_code == 405
    assert '<a href="/accounts/login/" data-testid="back-home">' in response.content.decode()


def test_a_signed_in_user_without_a_role_is_sent_to_the_explanation(client_for, outsider):
    response = client_for(outsider).get("/accounts/logout/")
    translation.activate("zh-hans")
    assert response.status_code == 405
    assert '<a href="/" data-testid="back-home">' in response.content.decode()


@pytest.mark.urls(__name__)
def test_the_api_keeps_drf_json(client):
    response = client.get("/api/v1/post-only/", HTTP_ACCEPT_LANGUAGE="en")
    translation.activate("zh-hans")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json() == {"detail": 'Method "GET" not allowed.'}
