"""Sign-in lockout (accounts.lockout, django-axes). New-user trial: unlimited password guesses on
/accounts/login/; now 5 wrong passwords for one user name from one address lock that pair out for 15
minutes, the login page says until when (status 429, Retry-After), and the lockout is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from lianfang.accounts.lockout import lockout_message
from lianfang.conftest import PASSWORD, QILIHE, XIAXIYUAN
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _post(client, username, password, language="zh-hans", address="10.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": password}, HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address
    )


def _fail(client, username, times, **kwargs):
    return [_post(client, username, "wrong-password", **kwargs).status_code for _ in range(times)]


def _unlock_time(username) -> str:
    attempt = AccessAttempt.objects.get(username=username)
    return date_format(timezone.localtime(attempt.attempt_time + settings.AXES_COOLOFF_TIME), "H:i")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["同一用户名从您的网络地址登录失败次数过多", "后再试（"]),
        ("en", ["Too many failed sign-ins with this user name from your network address", "Try again after"]),
    ],
)
def test_five_wrong_passwords_lock_the_user_name_from_that_address(community_staff, language, words):
    client = Client()
    assert _fail(client, "staff", 4, language=language) == [200, 200, 200, 200]
    locked = _post(client, "staff", "wrong-password", language=language)
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 15 * 60
    body = locked.content.decode()
    for word in words:
        assert word in body
    assert _unlock_time("staff") in body
    assert locked.context["lockout"] in body
    assert 'name="username"' in body and 'value="staff"' in body  # the form is shown again, name kept
    # the right password is refused too while locked, and the lockout is not extended by it
    before = AccessAttempt.objects.get(username="staff").attempt_time
    again = _post(client, "staff", PASSWORD, language=language)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="staff").attempt_time == before


def test_the_lockout_is_per_user_name_and_address(community_staff, other_community_staff):
    client = Client()
    assert _fail(client, "staff", 5)[-1] == 429
    # the same user name from another address, and another user name from the same address, sign in
    assert _post(Client(), "staff", PASSWORD, address="10.0.0.2").status_code == 302
    assert _post(Client(), "staff2", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(community_staff):
    client = Client()
    _fail(client, "staff", 5)
    assert _post(client, "staff", PASSWORD).status_code == 429
    # the last failure 16 minutes ago: the 15-minute cool-off has passed
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert _post(client, "staff", PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_the_count(community_staff):
    client = Client()
    _fail(client, "staff", 4)
    assert _post(client, "staff", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="staff").exists()
    assert _fail(Client(), "staff", 4) == [200, 200, 200, 200]


def test_the_lockout_is_audited_once_under_the_users_division(community_staff):
    client = Client()
    _fail(client, "staff", 7)
    entries = AuditEntry.objects.filter(action="login_locked")
    assert entries.count() == 1  # the two refused tries during the lockout add none
    entry = entries.get()
    assert entry.division_code == XIAXIYUAN and entry.object_id == str(community_staff.pk)
    assert entry.detail["user"] == "staff" and entry.detail["ip_address"] == "10.0.0.1"
    assert entry.detail["failures"] == 5 and entry.detail["until"]


def test_an_unknown_user_names_lockout_is_audited_under_the_district(qilihe):
    _fail(Client(), "nobody", 5)
    entry = AuditEntry.objects.get(action="login_locked")
    assert entry.division_code == QILIHE and entry.detail["user"] == "nobody" and entry.object_id == ""


def test_the_admin_login_is_locked_too(community_staff):
    client = Client()
    codes = [
        client.post("/admin/login/", {"username": "staff", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en").status_code
        for _ in range(5)
    ]
    assert codes[:4] == [200] * 4 and codes[4] == 429
    locked = client.post("/admin/login/", {"username": "staff", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert locked.status_code == 429 and "Try again after" in locked.content.decode()


def test_test_client_login_and_force_login_keep_working(community_staff):
    """Client.login() authenticates without a request (the lockout backend lets it through) and
    force_login() does not authenticate at all; both sign in."""
    client = Client()
    assert client.login(username="staff", password=PASSWORD)
    assert client.session["_auth_user_id"] == str(community_staff.pk)
    assert not client.login(username="staff", password="wrong-password")
    other = Client()
    other.force_login(community_staff)
    assert other.session["_auth_user_id"] == str(community_staff.pk)


def test_the_message_names_the_date_when_the_lockout_ends_on_another_day():
    now = timezone.make_aware(dt.datetime(2030, 5, 1, 23, 55))
    with timezone.override("Asia/Shanghai"):
        text = lockout_message(now + dt.timedelta(minutes=15), now)
    assert "2030-05-02 00:10" in text and "15" in text


@pytest.mark.browser
def test_the_login_page_shows_the_lockout(community_staff, page, live_server):
    from lianfang.conftest import screenshot

    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.fill("input[name=username]", "staff")
        page.fill("input[name=password]", "wrong-password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    alert = page.locator("[role=alert]").inner_text()
    assert "登录失败次数过多" in alert and _unlock_time("staff") in alert
    assert page.input_value("input[name=username]") == "staff"
    screenshot(page, "accounts-login-locked")
