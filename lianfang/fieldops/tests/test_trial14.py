"""Findings of new-user trial 14 in field operations."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LONG = "张" * 60_000


def test_gate_long_search_is_400_naming_q_and_the_limit(areas, gates, guard, client_for):
    client = client_for(guard.user)
    client.raise_request_exception = False
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    response = client.get(url, {"q": LONG}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Search text (<code>q</code>)" in text
    assert "has 60000 characters; a search text may have at most 100 characters." in text
    assert client.get(url, {"q": "张三"}).status_code == 200
