"""A link crawler for the demo logins: from a user's home page, follow every visible link (breadth
first, a few URLs per route so a division tree of thousands of households stays a few hundred pages)
and report links that answer 403/404/500, and English words left on zh-Hans pages.

Used by test_crawl.py; also runnable against a demo database to look at a real one::

    DATABASE_URL=sqlite:///var/lianfang.sqlite3 .venv/bin/python -m lianfang.demo.tests.crawler commander
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve
from django.utils import translation

# Links not followed: they change state on GET (none should) or leave the pages under test.
SKIP_PREFIXES = ("/static/", "/media/", "/i18n/", "/accounts/logout", "/api/", "/admin/")
# Words allowed on a zh-Hans page: the product's name, codes and acronyms, units, file formats.
ASCII_WHITELIST = frozenset(
    {
        "Lianfang",
        "QR",
        "API",
        "ID",
        "IDs",
        "English",
        "XLSX",
        "xlsx",
        "Excel",
        "CSV",
        "csv",
        "JSON",
        "json",
        "PDF",
        "GeoJSON",
        "WeCom",
        "DingTalk",
        "mg",
        "L",
        "km",
        "h",
        "min",
        "NBS",
        "GB",
        "PII",
        "SMS",
        "Ct",
        "PCR",
        "HTML",
        "ODS",
        "ods",
        "XLS",
        "xls",
        "GBK",
        "tsv",
        "txt",
        "Webhook",
        "LIANFANG_WEBHOOKS",
        "Dorfman",
        "zs",
    }
)
JSON_RE = re.compile(r"\{[^{}]*\}")
WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_'.-]*")
# zh-Hans punctuation (docs: the full-width "：" after a label, Chinese quotes “…”): an ASCII colon
# next to a Chinese character ("现行封控区: 3", "L1: 张三"), a doubled colon ("截至：："), corner
# brackets or straight quotes against a Chinese character, ASCII round brackets against a Chinese
# character ("家庭成员 (1)"; zh-Hans writes "家庭成员（1）", core.forms.bracketed).
CJK = "\u3400-\u9fff\uff01-\uff5e\u3001-\u303f"
ASCII_COLON_RE = re.compile(f"[{CJK}][ \u00a0]*:(?!//)|:[ \u00a0]*[{CJK}]")
DOUBLE_COLON_RE = re.compile("[:：][ \u00a0]*[:：]")
WRONG_QUOTES_RE = re.compile(f'[「」]|"[{CJK}]|[{CJK}]"')
ASCII_BRACKET_RE = re.compile(f"[{CJK}][ \u00a0]*[()]|[()][ \u00a0]*[{CJK}]")
# Form controls: a <label>'s own text is the one before its first control.
CONTROLS = ("input", "select", "textarea")


class _Page(HTMLParser):
    """Links (``<a href>``) and visible text of an HTML page: no script, style or template, no
    ``<code>`` (field keys, codes) or ``<textarea>`` (input being edited), and no element marked
    ``lang="en"`` (English shown on purpose, e.g. the sheet's English sentence). ``labels``: the
    text of every ``<label>`` before its first form control; a label whose control comes first (a
    checkbox or radio button followed by its text) is left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self.labels: list[str] = []
        self._label: list[str] | None = None
        self._hidden = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template", "code", "textarea") or (attrs.get("lang") or "").startswith("en"):
            self._hidden += 1
            self._stack.append(tag)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.text.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])
        if tag == "label":
            self._label = []
        elif tag in CONTROLS and self._label is not None:
            self._end_label()

    def handle_endtag(self, tag):
        if self._stack and tag == self._stack[-1]:
            self._stack.pop()
            self._hidden -= 1
        if tag == "label" and self._label is not None:
            self._end_label()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data)
        if self._label is not None:
            self._label.append(data)

    def _end_label(self):
        text = " ".join("".join(self._label).split())
        if text:
            self.labels.append(text)
        self._label = None


def page_labels(html: str) -> list[str]:
    """The text of every ``<label>`` of ``html`` before its form control, whitespace collapsed:
    ``["截至：", "天数："]``. Labels whose control comes first (checkboxes, radio buttons) are left out."""
    page = _Page()
    page.feed(html)
    return page.labels


@pytest.fixture
def thread_language_kept():
    """Put back the thread's language after a test that sent requests in other languages: a request
    activates its language in the test's thread (LocaleMiddleware) and leaves it there, so a later
    test (the divisions loader's zh-Hans summary) would run in English. A test module uses it with
    ``pytestmark = pytest.mark.usefixtures("thread_language_kept")`` after importing it."""
    with translation.override(translation.get_language()):
        yield


def label_suffix_faults(labels: list[str], suffix: str) -> list[str]:
    """The ``labels`` not ending with exactly one ``suffix`` ("：" in zh-Hans, ":" in English), or
    holding the other language's colon: ``["截至", "日期：："]``; empty when all are right."""
    other = "：" if suffix == ":" else ":"
    return [label for label in labels if not label.endswith(suffix) or label.endswith(suffix * 2) or other in label]


def labels_of_pages(client, pages: dict[str, str], language: str) -> dict[str, list[str]]:
    """``{name: page_labels}`` of each page of ``pages`` (``{name: url}``) fetched by the Django test
    ``client`` in ``language``; every page must answer 200 and show at least one label."""
    found = {}
    for name, url in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (name, url, response.status_code)
        found[name] = page_labels(response.content.decode())
        assert found[name], (name, url)
    return found


def punctuation_faults(texts: list[str], labels: list[str]) -> list[str]:
    """What a zh-Hans page shows against its punctuation rules: an ASCII colon next to Chinese, a
    doubled colon, 「」 or straight quotes or ASCII round brackets against Chinese (in ``texts``); a
    label not ending with exactly one "：" (``labels``; a question ending with "？" or "?" keeps its
    own mark)."""
    faults = []
    for text in texts:
        text = JSON_RE.sub(" ", text)
        for regex in (ASCII_COLON_RE, DOUBLE_COLON_RE, WRONG_QUOTES_RE, ASCII_BRACKET_RE):
            faults += [f"text {text.strip()!r}" for _m in regex.finditer(text)][:1]
    for label in labels:
        if label.endswith(("？", "?")):
            continue
        if not label.endswith("：") or DOUBLE_COLON_RE.search(label):
            faults.append(f"label {label!r}")
    return sorted(set(faults))


def english_words(texts: list[str]) -> list[str]:
    """ASCII words in ``texts`` that are not codes (tokens with digits, JSON examples such as
    ``{"category": ["inflow"]}``), whitelisted, or one letter."""
    found = []
    for text in texts:
        text = JSON_RE.sub(" ", text)
        for token in WORD_RE.findall(text):
            token = token.strip("'.-_")
            if not token or any(c.isdigit() for c in token) or token in ASCII_WHITELIST or len(token) == 1:
                continue
            if "@" in text or "://" in text:
                continue
            found.append(token)
    return found


@dataclass
class CrawlResult:
    """``broken``: ``[(status, url, found_on)]``; ``english``: ``{url: [words]}``; ``punctuation``:
    ``{url: [faults]}`` (punctuation_faults); ``pages``: URLs fetched."""

    broken: list[tuple[int, str, str]] = field(default_factory=list)
    english: dict[str, list[str]] = field(default_factory=dict)
    punctuation: dict[str, list[str]] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)


def _route(url: str) -> str:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return url
    return match.view_name


def crawl(client, *, start: str = "/", per_route: int = 3, max_pages: int = 400, depth: int = 4) -> CrawlResult:
    """Crawl from ``start`` with the signed-in Django test ``client``.

    Every link on every fetched page is requested (GET, redirects followed) at most once; a link
    whose route (URL name) was already requested ``per_route`` times is not requested again. Pages
    answering 200 with HTML are parsed for more links up to ``depth`` clicks from ``start``.
    """
    result = CrawlResult()
    seen: set[str] = {start}
    per: dict[str, int] = defaultdict(int)
    queue = deque([(start, "", 0)])
    while queue and len(result.pages) < max_pages:
        url, found_on, level = queue.popleft()
        response = client.get(url, follow=True)
        result.pages.append(url)
        if response.status_code in (403, 404) or response.status_code >= 500:
            result.broken.append((response.status_code, url, found_on))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = _Page()
        page.feed(response.content.decode("utf-8", "replace"))
        words = english_words(page.text)
        if words:
            result.english[url] = sorted(set(words))
        faults = punctuation_faults(page.text, page.labels)
        if faults:
            result.punctuation[url] = faults
        if level >= depth:
            continue
        for href in page.links:
            href = urldefrag(href)[0]
            if not href:
                continue
            if href.startswith("?"):
                href = urlsplit(url).path + href
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith(SKIP_PREFIXES):
                continue
            if href in seen:
                continue
            seen.add(href)
            route = _route(href)
            if per[route] >= per_route:
                continue
            per[route] += 1
            queue.append((href, url, level + 1))
    return result


if __name__ == "__main__":  # pragma: no cover - manual use against a demo database
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    django.setup()
    from django.test import Client

    from lianfang.accounts.models import User

    for username in sys.argv[1:] or ["commander"]:
        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(username=username))
        found = crawl(client)
        print(f"== {username}: {len(found.pages)} pages")
        for status, url, where in found.broken:
            print(f"  {status} {url}  (linked from {where})")
        for url, words in found.english.items():
            print(f"  english on {url}: {' '.join(words[:20])}")
        for url, faults in found.punctuation.items():
            print(f"  punctuation on {url}: {'; '.join(faults[:20])}")
