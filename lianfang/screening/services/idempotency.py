"""Submissions applied exactly once: the outcome of a submission is stored under the client's
idempotency key (:data:`KEY_RE`) with a hash of its body, so a retry gets the stored outcome
(:func:`replay`) and a key reused for another body a 409 (:func:`key_reused`). Used by the desk
(:mod:`~lianfang.screening.services.desk`) and the API's create endpoints.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lianfang.core import db
from lianfang.screening.models import SubmissionKey
from lianfang.screening.services.base import _actor


def replayed(key: str) -> SubmissionKey | None:
    """The stored outcome of submission ``key``, if it was already processed."""
    return SubmissionKey.objects.filter(key=key).first()


def remember(*, key: str, scope: str, user, status_code: int, response: dict, digest: str = "") -> SubmissionKey:
    """Store the outcome of submission ``key`` (unique) with the request's ``digest``
    (:func:`body_hash`); a concurrent twin gets the first outcome."""
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(
                key=key, scope=scope, user=_actor(user), status_code=status_code, response=response, body_hash=digest
            )
    except IntegrityError:
        return SubmissionKey.objects.get(key=key)


def body_hash(body) -> str:
    """SHA-256 (64 hex) of the canonical JSON of a request ``body`` (keys sorted, no spaces,
    non-JSON values as text): two requests with the same fields and values hash alike."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_reused(key: str) -> dict:
    """The 409 answer for idempotency ``key`` sent again with a different request body."""
    return {
        "status": "refused",
        "code": "key_reused",
        "message": _(
            "idempotency key %(key)s was already used for a different submission: a new submission needs a new key"
        )
        % {"key": key},
    }


def replay(previous: SubmissionKey, digest: str) -> tuple[int, dict]:
    """``(status, response)`` answering a retry under a stored key: the stored outcome marked
    ``"replayed": true`` when the request hashes alike (or the key predates hashing), else 409
    :func:`key_reused`."""
    if previous.body_hash and digest and previous.body_hash != digest:
        return 409, key_reused(previous.key)
    return previous.status_code, {**previous.response, "replayed": True}


KEY_RE = re.compile(r"^[A-Za-z0-9\-_:]{8,64}$")


def _remember_in_transaction(*, key: str, scope: str, user, status_code: int, response: dict, digest: str) -> None:
    """Store the outcome of ``key`` and the request's ``digest`` inside the caller's transaction
    (INSERT … ON CONFLICT DO NOTHING: no savepoint; the sample's own unique key already made this
    submission the only one)."""
    db.insert_one(
        SubmissionKey(
            key=key, scope=scope, user=_actor(user), status_code=status_code, response=response, body_hash=digest
        ),
        ignore_conflicts=True,
    )
