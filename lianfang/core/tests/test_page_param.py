"""A bad ``?page=`` on a list page (core.pagination.page_of) is a 400 naming the parameter and value,
a page past the end a 404 naming the last page — never silently page 1 or the last page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

PAGES = ["/audit/", "/registry/residents/", "compound"]


def _url(url, population):
    return f"/divisions/{population['compound_a'].code}/" if url == "compound" else url


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_malformed_page_is_400_naming_it(client_for, district_commander, population, url, value):
    url = _url(url, population)
    response = client_for(district_commander).get(url, {"page": value}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, (url, response.status_code)
    text = response.content.decode()
    assert "page" in text and f"“{value}” is not a page number" in text


@pytest.mark.parametrize("url", PAGES)
def test_page_past_the_end_is_404_naming_the_last(client_for, district_commander, population, url):
    url = _url(url, population)
    client = client_for(district_commander)
    assert client.get(url, {"page": "1"}).status_code == 200
    response = client.get(url, {"page": "999"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "There is no page 999 (the “page” parameter): the last page is 1." in response.content.decode()
