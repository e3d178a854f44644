"""Cached aggregates that writes invalidate.

Every figure of the overview, the daily report and the trends is computed by a selector of the app
that owns the data and cached here under a key made of:

- the *sections* it reads (app labels: ``registry``, ``zones``, ``workforce``, ``screening``,
  ``assistance``, ``fieldops``, ``divisions``) and the current *version* of each;
- the caller's scope (the roots of their division subtrees; a user scoped to single households,
  a household representative, is never cached);
- the arguments (division code, day...).

A write bumps the version of its app's section, so the next read recomputes: this app subscribes (in
``ReportsConfig.ready``) to ``post_save``, ``post_delete`` and ``m2m_changed`` of every model of the
watched apps, and to the audit log (``core.AuditEntry``), which every service function writes — that
also covers conditional ``update()`` status changes, which send no model signal. Writes that bypass
both (raw bulk loads such as the population generator) are caught by the timeout
(``LIANFANG_REPORTS_CACHE_SECONDS``, default 300 s).

The overview page and its API may serve a section up to ``LIANFANG_REPORTS_STALE_SECONDS`` (default
15 s) after a write invalidated it (:func:`tolerate`): while desks, labs and hotlines write several
times a second, the command centre's page is recomputed at most once per window instead of on every
request, and says how old its figures are. Everything else (daily report, exports, closing a day,
the trends) reads fresh figures.

Django's cache framework is used as configured: the default local-memory cache serves one process.
With several gunicorn workers set a shared cache (``CACHES`` with Redis or the database backend) so
that one worker's write invalidates every worker's copy.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache

from lianfang.core.scoping import scope_for

logger = logging.getLogger(__name__)

WATCHED_APPS = frozenset({"divisions", "registry", "workforce", "zones", "screening", "assistance", "fieldops"})
PREFIX = "lianfang:reports"
_counter = itertools.count(1)


def timeout() -> int:
    """Seconds an aggregate may live without any write: ``settings.LIANFANG_REPORTS_CACHE_SECONDS`` (300)."""
    return int(getattr(settings, "LIANFANG_REPORTS_CACHE_SECONDS", 300))


def _version_key(section: str) -> str:
    return f"{PREFIX}:v:{section}"


def versions(sections: Iterable[str]) -> dict[str, int]:
    """The current version of each section (a missing version is created)."""
    names = sorted(set(sections))
    found = cache.get_many([_version_key(s) for s in names])
    result = {}
    for name in names:
        value = found.get(_version_key(name))
        if value is None:
            value = 1
            cache.add(_version_key(name), value, None)
            value = cache.get(_version_key(name), value)
        result[name] = value
    return result


def bump(section: str) -> None:
    """Invalidate every aggregate that reads ``section`` (its version goes up)."""
    key = _version_key(section)
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or evicted): any new value differs from what keys were built with
        cache.set(key, 1_000_000 + next(_counter), None)


def scope_key(user) -> str | None:
    """A stable text for the rows ``user`` may see, or None when the result must not be cached
    (household-scoped users, anonymous users). Superusers and the system reader share ``all``."""
    scope = scope_for(user)
    if scope.everything:
        return "all"
    if scope.household_querysets or not scope.codes:
        return None
    return ",".join(scope.codes)


_window: ContextVar[float] = ContextVar("lianfang_reports_stale_window", default=0.0)
_seen: ContextVar[list | None] = ContextVar("lianfang_reports_seen", default=None)


def stale_seconds() -> float:
    """How long the overview may serve a section after a write: ``LIANFANG_REPORTS_STALE_SECONDS`` (15)."""
    return float(getattr(settings, "LIANFANG_REPORTS_STALE_SECONDS", 15))


@contextmanager
def tolerate(seconds: float) -> Iterator[list[float]]:
    """Within the block, :func:`cached` may return a value computed less than ``seconds`` ago although a
    write has invalidated it since. Yields a list that collects the computation time (epoch seconds) of
    every value served, so a page can say how old its oldest figure is."""
    seen: list[float] = []
    window, noted = _window.set(max(0.0, seconds)), _seen.set(seen)
    try:
        yield seen
    finally:
        _window.reset(window)
        _seen.reset(noted)


def _note(computed_at: float) -> None:
    seen = _seen.get()
    if seen is not None:
        seen.append(computed_at)


def cached(sections: Iterable[str], parts: Iterable[object], compute: Callable[[], object], *, user):
    """``compute()`` through the cache, keyed by ``parts`` and the scope of ``user``. A stored value is
    served when no write to ``sections`` happened since it was computed (their versions are unchanged),
    or, inside :func:`tolerate`, when it is younger than the window. Uncacheable users (see
    :func:`scope_key`) always compute."""
    scope = scope_key(user)
    if scope is None:
        return compute()
    current = versions(sections)
    raw = "|".join([*(str(p) for p in parts), scope])
    key = f"{PREFIX}:{hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()}"
    entry = cache.get(key)
    if entry is not None:
        stored_versions, computed_at, value = entry
        if stored_versions == current or time.time() - computed_at < _window.get():
            _note(computed_at)
            return value
    started = time.time()
    value = compute()
    cache.set(key, (current, started, value), timeout())
    _note(started)
    return value


def clear() -> None:
    """Invalidate every section (tests; after a bulk load)."""
    for section in [*WATCHED_APPS, "reports"]:
        bump(section)


# ----------------------------------------------------------------------------------------- signals


READ_ACTIONS = frozenset({"view_pii", "view_token", "export", "reports.export", "registry.search"})
"""Audit actions that record a read (a reveal, an export, a search): they change no figure."""


def _section_of_audit(instance) -> str | None:
    if instance.action in READ_ACTIONS:
        return None
    label = instance.object_type or instance.action or ""
    app = label.split(".", 1)[0] if "." in label else ""
    return app if app in WATCHED_APPS else None


def on_write(sender, instance=None, **kwargs) -> None:
    """Signal receiver (post_save, post_delete, m2m_changed): bump the section of the written model,
    or for an audit entry the section of the object it records."""
    meta = getattr(sender, "_meta", None)
    if meta is None:
        return
    app = meta.app_label
    if app in WATCHED_APPS:
        bump(app)
    elif app == "core" and meta.model_name == "auditentry" and instance is not None:
        section = _section_of_audit(instance)
        if section:
            bump(section)


def connect() -> None:
    """Subscribe :func:`on_write` to every model save and delete (called once from AppConfig.ready)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save  # noqa: PLC0415

    post_save.connect(on_write, dispatch_uid="lianfang.reports.cache.post_save")
    post_delete.connect(on_write, dispatch_uid="lianfang.reports.cache.post_delete")
    m2m_changed.connect(on_write, dispatch_uid="lianfang.reports.cache.m2m_changed")
