"""Third new-user trial, core: a server error under /api/ answers JSON, a stale CSRF token a
translated page (or JSON), field errors name the value refused in plain words (core.fielderrors),
core's catalogue wins over Django's for the stock messages."""

from __future__ import annotations

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from django.urls import path
from django.utils import translation
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from lianfang.core.forms import error_lines
from lianfang.urls import urlpatterns as project_patterns

pytestmark = pytest.mark.django_db


def boom_page(request):
    raise RuntimeError("boom")


class BoomApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


class SampleSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=1, max_value=10)
    day = serializers.DateField(required=False)
    colour = serializers.ChoiceField(choices=["red", "blue"], required=False)
    phone = serializers.CharField(max_length=5, required=False)


class SampleApi(APIView):
    permission_classes = [AllowAny]
    serializer_class = SampleSerializer

    def get_serializer(self, *args, **kwargs):
        return SampleSerializer(*args, **kwargs)

    def post(self, request):
        SampleSerializer(data=request.data).is_valid(raise_exception=True)
        return Response({})


# this module is the URLconf of the tests marked urls(__name__): the project's, its handlers, and these
urlpatterns = [
    path("api/v1/boom/", BoomApi.as_view()),
    path("api/v1/sample/", SampleApi.as_view()),
    path("boom/", boom_page),
    *project_patterns,
]
handler400 = "lianfang.core.views.bad_request"
handler404 = "lianfang.core.views.not_found"
handler500 = "lianfang.core.views.server_error"


def test_the_project_urlconf_names_the_core_handlers():
    import lianfang.urls

    assert lianfang.urls.handler500 == handler500
    assert settings.CSRF_FAILURE_VIEW == "lianfang.core.views.csrf_failure"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "系统出现错误，已记录在案。请稍后重试。"),
        ("en", "Something went wrong on our side and the error has been logged. Try again in a moment."),
    ],
)
def test_a_server_error_under_api_answers_json_and_a_page_the_html_page(language, message):
    client = Client(raise_request_exception=False)
    api = client.get("/api/v1/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert api.json() == {"detail": message}
    page = client.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    body = page.content.decode()
    assert "<h1>服务器错误</h1>" in body if language == "zh-hans" else "<h1>Server error</h1>" in body


def test_server_error_message_is_translated():
    from lianfang.core.views import server_error_message

    with translation.override("zh-hans"):
        zh = server_error_message()
    with translation.override("en"):
        en = server_error_message()
    assert en == "Something went wrong on our side and the error has been logged. Try again in a moment."
    assert zh != en and "错误" in zh


CSRF_ZH = "页面打开太久或您已在别处重新登录，此表单已失效：请刷新页面后重新提交。"
CSRF_EN = (
    "The page was open too long or you signed in again elsewhere, so this form is no longer valid: "
    "reload the page and send it again."
)


@pytest.mark.parametrize(
    ("language", "message", "title"), [("zh-hans", CSRF_ZH, "表单已失效"), ("en", CSRF_EN, "Form expired")]
)
def test_a_stale_csrf_token_shows_the_translated_page(community_staff, language, message, title):
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_staff)
    response = client.post("/i18n/setlang/", {"language": "en"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body and message in body
    assert "CSRF verification failed" not in body


API_CSRF_ZH = (
    "CSRF 校验失败：此请求使用了您已登录的浏览器会话，但没有有效的 CSRF 令牌。请刷新页面后重试；"
    "程序调用接口应改为发送访问令牌（Authorization: Token …）。"
)
API_CSRF_EN = (
    "CSRF check failed: this request uses your signed-in browser session but carries no valid CSRF token. "
    "Reload the page and try again; a program calling the API should send an access token "
    "(Authorization: Token …) instead."
)


@pytest.mark.parametrize(("language", "message"), [("zh-hans", API_CSRF_ZH), ("en", API_CSRF_EN)])
def test_the_api_refuses_a_session_call_without_csrf_in_the_readers_language(community_staff, language, message):
    """New-user trial: the API answered the form-expired words ("this form is no longer valid") to a
    POST without CSRF; now it says the CSRF check failed and what to do, in the API's format."""
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(community_staff)
    response = api.post("/api/v1/registry-imports/", {}, HTTP_ACCEPT_LANGUAGE=language)
    assert (response.status_code, response.json()) == (403, {"detail": message})


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            {
                "name": ["“abcdefg” 有 7 个字符，最多 5 个。"],
                "count": ["“abc” 不是整数。"],
                "day": ["“2026-02-30” 不是有效日期（请写成 年-月-日，如 2026-03-01）。"],
                "colour": ["“green” 不是可选的值。"],
                "phone": ["“138****5678” 有 11 个字符，最多 5 个。"],
            },
        ),
        (
            "en",
            {
                "name": ["“abcdefg” has 7 characters; at most 5 are allowed."],
                "count": ["“abc” is not a whole number."],
                "day": ["“2026-02-30” is not a date (write it as YYYY-MM-DD, e.g. 2026-03-01)."],
                "colour": ["“green” is not one of the choices."],
                "phone": ["“138****5678” has 11 characters; at most 5 are allowed."],
            },
        ),
    ],
)
def test_api_field_errors_name_the_value(language, expected):
    body = {"name": "abcdefg", "count": "abc", "day": "2026-02-30", "colour": "green", "phone": "13812345678"}
    response = APIClient().post("/api/v1/sample/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert (response.status_code, response.json()) == (400, expected)
    over = APIClient().post("/api/v1/sample/", {"name": "a", "count": 11}, format="json", HTTP_ACCEPT_LANGUAGE=language)
    assert over.json() == {
        "count": [
            "“11” 大于允许的最大值 10。"
            if language == "zh-hans"
            else "“11” is more than 10, the largest value allowed."
        ]
    }


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=5)
    count = forms.IntegerField(label="Count", min_value=1)
    day = forms.DateField(label="Day", required=False)
    colour = forms.ChoiceField(label="Colour", choices=[("red", "red")], required=False)
    note = forms.CharField(label="Note")


def test_form_error_lines_name_the_field_and_the_value():
    data = {"name": "62010319900101002X", "count": "0", "day": "abc", "colour": "green", "note": ""}
    with translation.override("zh-hans"):
        zh = error_lines(SampleForm(data))
    with translation.override("en"):
        en = error_lines(SampleForm(data))
    assert zh == [
        "Name：“6201**********002X” 有 18 个字符，最多 5 个。",
        "Count：“0” 小于允许的最小值 1。",
        "Day：“abc” 不是有效日期（请写成 年-月-日，如 2026-03-01）。",
        "Colour：“green” 不是可选的值。",
        "Note：此项必填。",  # core's catalogue (first of INSTALLED_APPS) wins over rest_framework's
    ]
    assert en == [
        "Name: “6201**********002X” has 18 characters; at most 5 are allowed.",
        "Count: “0” is less than 1, the smallest value allowed.",
        "Day: “abc” is not a date (write it as YYYY-MM-DD, e.g. 2026-03-01).",
        "Colour: “green” is not one of the choices.",
        "Note: This field is required.",
    ]
    with translation.override("zh-hans"):
        assert error_lines(SampleForm({"name": "a", "count": "x", "note": "n"})) == ["Count：“x” 不是整数。"]


def test_core_catalogue_wins_over_djangos_for_the_stock_messages():
    """Core's locale comes before Django's own catalogue (the lowest of all): Django's field messages
    read in plain Chinese, never "变量"."""
    from django.core.validators import MaxLengthValidator

    with translation.override("zh-hans"):
        assert translation.gettext("Enter a whole number.") == "请填写整数。"
        assert translation.gettext("Enter a number.") == "请填写数字。"
        assert translation.gettext("Enter a valid date.") == "请填写有效日期（格式：年-月-日，如 2026-03-01）。"
        assert translation.gettext("This field cannot be blank.") == "此项不能为空。"
        assert translation.gettext("This field cannot be null.") == "此项不能为空。"
        assert (
            translation.gettext("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": 9}
            == "该值不能大于 9。"
        )
        with pytest.raises(forms.ValidationError) as caught:
            MaxLengthValidator(3)("abcd")
        assert caught.value.messages == ["该值最多 3 个字符（现有 4 个）。"]
        bad = forms.IntegerField().error_messages["invalid"]
        assert str(bad) == "请填写整数。" and "变量" not in str(bad)


def test_a_limit_that_does_not_explain_the_error_keeps_the_stock_message():
    """A view validating with another serializer than its own: a field of the same name whose limit
    does not explain the error is not quoted (the stock message stays)."""
    from lianfang.core.fielderrors import value_message

    with translation.override("en"):
        assert value_message("max_length", value="abc", limit=5) is None
        assert value_message("max_value", value="abc", limit=10) is None
        assert value_message("min_value", value="0", limit=1) == "“0” is less than 1, the smallest value allowed."
        assert value_message("required", value="") is None


class OwnMessagesForm(forms.Form):
    amount = forms.DecimalField(label="Amount")
    hours = forms.IntegerField(label="Hours", error_messages={"invalid": "own message"})

    def clean_amount(self):
        raise forms.ValidationError("amount refused by the app", code="invalid")


def test_an_apps_own_messages_are_kept_and_a_decimal_is_a_number():
    with translation.override("en"):
        assert error_lines(OwnMessagesForm({"amount": "1", "hours": "x"})) == [
            "Amount: amount refused by the app",
            "Hours: own message",
        ]
        assert error_lines(OwnMessagesForm({"amount": "abc", "hours": "1"})) == ["Amount: “abc” is not a number."]


def test_cores_catalogue_wins_over_the_third_party_apps():
    """lianfang.core is the first of INSTALLED_APPS, so its catalogue wins for the msgids it shares
    with DRF ("This field is required.") and the admin ("Action"): an API body missing a field reads
    core's 此项必填。, not DRF's 该字段是必填项。."""
    assert settings.INSTALLED_APPS[0] == "lianfang.core"
    with translation.override("zh-hans"):
        assert translation.gettext("This field is required.") == "此项必填。"
        assert translation.gettext("Action") == "操作"


def test_a_missing_body_field_is_cores_required_message(population, community_staff, api_for):
    body = {"household": population["h1"].pk, "starts_on": "2026-11-30"}
    response = api_for(community_staff).post(
        "/api/v1/fieldops/monitoring/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert (response.status_code, response.json()) == (400, {"ends_on": ["此项必填。"]})
