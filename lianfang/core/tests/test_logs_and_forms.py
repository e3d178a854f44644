"""The runserver request log leaves query strings out (they carry ID and phone numbers), and form
errors are shown under the fields' translated labels."""

from __future__ import annotations

import logging

import pytest
from django import forms
from django.utils import translation

from lianfang.core.filters import DayField
from lianfang.core.forms import error_lines
from lianfang.core.logfilters import StripQueryString, strip_query

fieldops_label = translation.gettext_lazy  # a label translated in the fieldops catalog (not extracted here)


def _runserver_record(request_line: str, status: str = "200", size: str = "512") -> logging.LogRecord:
    """A record as django.core.servers.basehttp.WSGIRequestHandler.log_message emits it."""
    return logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, status, size), None
    )


def test_request_line_loses_its_query_string():
    record = _runserver_record("GET /registry/search/?q=620103201109028316&page=2 HTTP/1.1")
    assert StripQueryString().filter(record) is True
    assert record.getMessage() == '"GET /registry/search/ HTTP/1.1" 200 512'


def test_error_lines_and_plain_lines():
    record = logging.LogRecord(
        "django.server",
        logging.ERROR,
        __file__,
        1,
        "code %d, message %s",
        (400, "Bad request syntax ('GET /x/?phone=13900000005')"),
        None,
    )
    StripQueryString().filter(record)
    assert record.getMessage() == "code 400, message Bad request syntax ('GET /x/')"
    assert strip_query('"GET /zones/ HTTP/1.1" 200 10') == '"GET /zones/ HTTP/1.1" 200 10'
    assert strip_query("POST /a/?x=1 HTTP/1.1") == "POST /a/ HTTP/1.1"


def test_settings_wire_the_filter_on_django_server(caplog):
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, StripQueryString) for f in logger.filters)
    logger.propagate = True  # let caplog see it for this test
    try:
        with caplog.at_level(logging.INFO, logger="django.server"):
            logger.info('"%s" %s %s', "GET /registry/search/?q=13900000005 HTTP/1.1", "200", "5")
    finally:
        logger.propagate = False
    assert set(caplog.messages) == {'"GET /registry/search/ HTTP/1.1" 200 5'}


class _Passage(forms.Form):
    direction = forms.ChoiceField(label=fieldops_label("Direction"), choices=[("in", "in")])
    on = DayField(label="Date")

    def clean(self):
        raise forms.ValidationError("whole form")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_error_lines_use_labels_and_name_the_value(language):
    with translation.override(language):
        form = _Passage({"on": "2026-02-30"})
        lines = error_lines(form)
    colon = {"en": ": ", "zh-hans": "："}[language]  # core's catalogue: "%(field)s: %(message)s"
    assert lines[0].startswith({"en": "Direction: ", "zh-hans": "方向："}[language])
    assert lines[1].startswith(f"Date{colon}“2026-02-30”")
    assert lines[2] == "whole form" and len(lines) == 3


def test_gunicorn_access_log_atoms_carry_no_query_and_no_link_token():
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from lianfang.core.gunicorn_logging import ScrubbedLogger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/assistance/r/dhHyFaqzxqU-LLtuNB9fAg/new/?phone=13812345678",
        "PATH_INFO": "/assistance/r/dhHyFaqzxqU-LLtuNB9fAg/new/",
        "QUERY_STRING": "phone=13812345678",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "http://x/registry/search/?q=620103198501150012",
        "REMOTE_ADDR": "127.0.0.1",
    }
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[])
    req = SimpleNamespace(headers=[("REFERER", "http://x/fieldops/h/secret-token/")])
    atoms = ScrubbedLogger(Config()).atoms(resp, req, environ, dt.timedelta(milliseconds=5))
    assert atoms["r"] == "GET /assistance/r/***/new/ HTTP/1.1"
    assert atoms["U"] == "/assistance/r/***/new/"
    assert atoms["q"] == ""
    assert atoms["f"] == "http://x/registry/search/"
    assert atoms["{referer}i"] == "http://x/fieldops/h/***/"
    assert "13812345678" not in str(atoms) and "dhHyF" not in str(atoms) and "secret-token" not in str(atoms)


@pytest.mark.django_db
def test_django_request_warnings_carry_no_link_token(client, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/assistance/r/secret-token-123/", {"q": "620103198501150012"}).status_code == 404
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "django.request")
    assert "/assistance/r/***/" in logged
    assert "secret-token-123" not in logged and "620103198501150012" not in logged


@pytest.mark.django_db
def test_a_refused_request_is_one_warning_line_without_a_traceback(community_staff, client_for, caplog):
    """Trial 6: every 403 printed a full stack trace in make demo's console (Django attaches the
    PermissionDenied to its warning); core.logfilters.NoClientErrorTraceback keeps the line only."""
    with caplog.at_level("WARNING", logger="django.request"):
        assert client_for(community_staff).get("/audit/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in records] == [
        ("WARNING", "Forbidden (Permission denied): /audit/", None)
    ]
    assert "Traceback" not in caplog.text


def test_listing_joins_with_the_languages_separator():
    """Trial 6: "仍在生效：西站家园, 下西园社区" (an ASCII comma between Chinese names)."""
    from django.template import Context, Template

    from lianfang.core.forms import listing

    template = Template("{% load core_text %}{{ names|listing }}")
    with translation.override("zh-hans"):
        assert listing(["西站家园", "下西园社区"]) == "西站家园、下西园社区"
        assert template.render(Context({"names": [1, 4, 7]})) == "1、4、7"
    with translation.override("en"):
        assert listing(["A", "B"]) == "A, B"
        assert template.render(Context({"names": ["<b>", "c"]})) == "&lt;b&gt;, c"


def test_a_note_in_brackets_follows_the_languages_punctuation():
    """Trial 7: "家庭成员 (1)" (ASCII brackets and a space after Chinese); zh-Hans writes "家庭成员（1）"."""
    from django.template import Context, Template

    from lianfang.core.forms import bracketed

    template = Template(
        "{% load core_text %}{{ label }}{{ n|in_brackets }} · "
        "<b>x</b>{% inbrackets %}<a>L{{ n }}</a>{% endinbrackets %}"
    )
    context = {"label": "<i>", "n": 2}
    with translation.override("zh-hans"):
        assert bracketed("朝阳社区", "620103") == "朝阳社区（620103）"
        assert template.render(Context(context)) == "&lt;i&gt;（2） · <b>x</b>（<a>L2</a>）"
    with translation.override("en"):
        assert bracketed("Members", 3) == "Members (3)"
        assert template.render(Context(context)) == "&lt;i&gt; (2) · <b>x</b> (<a>L2</a>)"
