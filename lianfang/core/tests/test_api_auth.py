"""The API's answer to a caller without credentials: 401 with the scheme to use, never data."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/residents/", "/api/v1/households/", "/api/v1/rule-sets/"]


@pytest.mark.parametrize("url", LISTS)
def test_no_credentials_is_401_with_token_scheme(url):
    response = Client().get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_bad_token_is_401():
    response = Client(HTTP_AUTHORIZATION="Token nonsense").get("/api/v1/residents/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_session_and_token_both_still_work(django_user_model):
    user = django_user_model.objects.create_user(username="op", password="pw-123456789", is_superuser=True)
    session = Client()
    session.force_login(user)
    assert session.get("/api/v1/residents/").status_code == 200
    token = Token.objects.create(user=user)
    assert Client(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/residents/").status_code == 200


@pytest.mark.parametrize("value", ["-5", "0", "abc", "501", "１０"])
def test_a_page_size_out_of_range_is_400_naming_it(django_user_model, value):
    user = django_user_model.objects.create_user(username="op2", password="pw-123456789", is_superuser=True)
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/residents/", {"page_size": value}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"page_size": [f"“{value}” is not a page size (a whole number from 1 to 500)"]}
    assert client.get("/api/v1/residents/", {"page_size": "500"}).status_code == 200


def test_core_phone_check_refuses_junk_around_the_number():
    from lianfang.core import pii

    assert pii.normalize_phone("138-0013-8000") == "13800138000"
    assert pii.normalize_phone("+86 138 0013 8000") == "13800138000"
    for raw in ("-13800138000", "tel:13800138000", "13800138000-"):
        with pytest.raises(pii.PhoneError):
            pii.normalize_phone(raw)
