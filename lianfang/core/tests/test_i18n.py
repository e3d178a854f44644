"""Every user-facing string has a zh-Hans translation, in every app's own catalogue.

Extraction runs Django's makemessages (GNU xgettext) over a copy of each app, so a string added to
the code without a translation fails here, not in front of a user.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[3]
APPS = sorted(p for p in (ROOT / "lianfang").iterdir() if (p / "apps.py").exists())


def _catalogue(app: Path) -> Path:
    return app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _has_strings(app: Path) -> bool:
    for path in list(app.rglob("*.py")) + list(app.rglob("*.html")):
        if "migrations" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "gettext" in text or "{% translate" in text or "{% blocktranslate" in text or "_(" in text:
            return True
    return False


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_catalogue_complete(app):
    """The committed catalogue has no untranslated or fuzzy entries, and its .mo is compiled from it."""
    if not _has_strings(app):
        pytest.skip("no translatable strings")
    po_path = _catalogue(app)
    assert po_path.exists(), f"{po_path} missing: run `make messages` and translate"
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [], f"untranslated in {app.name}: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy in {app.name}: {fuzzy[:10]}"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run `make messages`"
    # keyed by (context, msgid): "Name" of a place (名称) and of a person (姓名) are two entries
    mo = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo_path))}
    stale = [
        e.msgid for e in po.translated_entries() if not e.msgid_plural and mo.get((e.msgctxt, e.msgid)) != e.msgstr
    ]
    assert stale == [], f".mo of {app.name} is out of date: run `make messages`"


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_code_strings_are_in_catalogue(app, tmp_path):
    """Re-extracting the app's strings finds nothing that the committed catalogue lacks."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is missing: run `make system-deps`")
    if not _has_strings(app):
        pytest.skip("no translatable strings")
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("tests", "migrations", "__pycache__", "static"))
    (copy / "locale").mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "zh_Hans", "-v0"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    assert _catalogue(app).exists(), f"{_catalogue(app)} missing: run `make messages` and translate"
    extracted = {e.msgid for e in polib.pofile(str(_catalogue(copy))) if not e.obsolete}
    committed = {e.msgid for e in polib.pofile(str(_catalogue(app))) if not e.obsolete and e.msgstr or e.msgstr_plural}
    missing = sorted(extracted - committed)
    assert missing == [], f"{app.name}: strings without translation (run `make messages`): {missing[:10]}"


def test_same_string_same_translation_across_apps():
    """Django merges every app's catalogue into one: a msgid (with its context) must mean one thing.

    Use a context (``{% translate "Name" context "place" %}``, ``pgettext``) where meanings differ.
    """
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for app in APPS:
        if not _catalogue(app).exists():
            continue
        for entry in polib.pofile(str(_catalogue(app))).translated_entries():
            key = (entry.msgctxt, entry.msgid)
            if key in seen and seen[key][1] != entry.msgstr:
                clashes.append(f"{key}: {seen[key][0]}={seen[key][1]!r} vs {app.name}={entry.msgstr!r}")
            seen.setdefault(key, (app.name, entry.msgstr))
    assert clashes == [], "\n".join(clashes)


def test_every_translation_is_the_one_a_reader_gets():
    """Each app's zh-Hans msgstr is what gettext answers: a msgid without context that Django or a
    third-party app (earlier in INSTALLED_APPS) also translates gets theirs (trial 7: "Breadcrumbs"
    read "条形导航", Django admin's; "Key" read "键", "Filter" read "过滤器"). Give such strings a
    context (``{% translate "Filter" context "button" %}``, ``pgettext``)."""
    from django.utils import translation
    from django.utils.translation import gettext, ngettext, npgettext, pgettext

    wrong = []
    with translation.override("zh-hans"):
        for app in APPS:
            if not _catalogue(app).exists():
                continue
            for entry in polib.pofile(str(_catalogue(app))).translated_entries():
                if entry.msgid_plural:
                    want = entry.msgstr_plural[0]
                    args = (entry.msgid, entry.msgid_plural, 1)
                    got = npgettext(entry.msgctxt, *args) if entry.msgctxt else ngettext(*args)
                else:
                    want = entry.msgstr
                    got = pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else gettext(entry.msgid)
                if got != want:
                    wrong.append(f"{app.name}: {entry.msgctxt or ''}|{entry.msgid!r} wants {want!r}, gets {got!r}")
    assert wrong == [], "\n".join(wrong)
