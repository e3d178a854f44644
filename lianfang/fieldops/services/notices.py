"""Public notices (never naming people: :func:`check_no_people_named`) from draft to published
or withdrawn, and the group-robot channels (webhooks) that carry them."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core import audit, pii
from lianfang.core.forms import items_line
from lianfang.divisions.models import Division
from lianfang.fieldops.models import (
    NOTICE_BODY_MAX,
    ChannelKind,
    Notice,
    NoticeStatus,
    NotificationChannel,
    ScreenedPerson,
)
from lianfang.fieldops.services.base import SETUP, _create_audited, _place, _require, _set_status, _text, _user

_ID_LIKE = re.compile(r"(?<!\d)\d{15}(?:\d{2}[\dXx])?(?!\d)")
_PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def names_in_text(text: str, path: str) -> list[str]:
    """Names of people living under ``path`` (residents, screened people, infections) that appear
    in ``text`` (two characters or more). Three queries."""
    from lianfang.registry.models import Resident  # noqa: PLC0415
    from lianfang.zones.models import Infection  # noqa: PLC0415

    names = set(Resident.objects.within(path).values_list("name", flat=True).distinct())
    names |= set(ScreenedPerson.objects.within(path).values_list("name", flat=True).distinct())
    names |= set(Infection.objects.within(path[:6] if len(path) >= 6 else path).values_list("person_name", flat=True))
    return sorted(n for n in names if n and len(n) >= 2 and n in text)


def check_no_people_named(text: str, path: str) -> None:
    """Raise ValidationError when ``text`` holds an ID number, a mobile number or the name of a
    person living under ``path`` (public notices never name people, design.md "Personal data")."""
    normalized = unicodedata.normalize("NFKC", text)
    problems = []
    if _ID_LIKE.search(normalized):
        problems.append(_("an ID number"))
    if _PHONE_LIKE.search(normalized.replace(" ", "").replace("-", "")):
        problems.append(_("a mobile phone number"))
    named = names_in_text(normalized, path)
    if named:
        problems.append(_("the name of %(names)s") % {"names": "、".join(named[:5])})
    if problems:
        raise ValidationError(
            {"body": _("a notice never names people; remove %(what)s") % {"what": items_line(problems)}}
        )


def notice_create(*, actor, title: str, body: str, division: Division | None = None, control_area=None) -> Notice:
    """Write a notice (draft) to a control area, a community or a compound. The title has at most
    120 characters, the body at most ``NOTICE_BODY_MAX`` (models, 5,000). The title and body are
    checked for people's names, ID and phone numbers (:func:`check_no_people_named`). Raises
    ValidationError; PermissionDenied without MANAGE_WORKFORCE at the target."""
    title = _text(title, "title", max_length=120)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("this field is required")})
    if len(body) > NOTICE_BODY_MAX:  # a notice is read on phones and sent to group robots
        raise ValidationError(
            {"body": _("at most %(n)d characters, got %(len)d") % {"n": NOTICE_BODY_MAX, "len": len(body)}}
        )
    if control_area is not None:
        division = Division.objects.get(code=control_area.path)
    if division is None:
        raise ValidationError({"division": _("choose a control area, a community or a compound")})
    if control_area is None:
        _place(division)
    check_no_people_named(f"{title}\n{body}", division.code)
    _require(actor, SETUP, division.code, what="notice")
    return _create_audited(
        Notice,
        actor=actor,
        action="fieldops.notice_create",
        district_id=division.district_id or division.pk,
        path=division.code,
        division=division,
        control_area=control_area,
        title=title,
        body=body,
        created_by=_user(actor),
    )


def notice_publish(*, actor, notice: Notice) -> Notice:
    """Publish a draft (draft → published). When webhooks are on (fieldops.notify.webhooks_enabled),
    one delivery per enabled channel at or above the notice's place is queued and posted by the
    ``deliver_notice`` task after the commit."""
    from lianfang.fieldops import notify  # noqa: PLC0415

    _require(actor, SETUP, notice.path, what="notice")
    now = timezone.now()
    with transaction.atomic():
        _set_status(
            Notice,
            notice.pk,
            NoticeStatus.DRAFT,
            status=NoticeStatus.PUBLISHED,
            published_at=now,
            published_by=_user(actor),
        )
        notice.status, notice.published_at = NoticeStatus.PUBLISHED, now
        queued = notify.queue_deliveries(notice)
        audit.record(actor=actor, action="fieldops.notice_publish", obj=notice, detail={"deliveries": queued})
    return notice


def notice_withdraw(*, actor, notice: Notice, reason: str) -> Notice:
    """Withdraw a published notice (its public page then says so)."""
    reason = _text(reason, "reason")
    _require(actor, SETUP, notice.path, what="notice")
    with transaction.atomic():
        _set_status(Notice, notice.pk, NoticeStatus.PUBLISHED, status=NoticeStatus.WITHDRAWN)
        audit.record(actor=actor, action="fieldops.notice_withdraw", obj=notice, reason=reason)
    notice.status = NoticeStatus.WITHDRAWN
    return notice


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path[:40]}…"[:120]


def channel_create(
    *, actor, division: Division, name: str, kind: str, url: str, secret: str = "", is_enabled: bool = False
) -> NotificationChannel:
    """Add a group-robot webhook for ``division`` (its notices and those below). The URL (http or
    https) and the DingTalk signing secret are encrypted at rest. Off unless ``is_enabled``."""
    name = _text(name, "name", max_length=80)
    errors = {}
    if kind not in ChannelKind.values:
        errors["kind"] = _("unknown channel kind “%(v)s”") % {"v": kind}
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = _("a webhook URL (http or https) is required, got “%(v)s”") % {"v": _mask_url(url or "")}
    if errors:
        raise ValidationError(errors)
    _require(actor, SETUP, division.code, what="channel")
    with transaction.atomic():
        channel = NotificationChannel.objects.create(
            district_id=division.district_id or division.pk,
            path=division.code,
            division=division,
            name=name,
            kind=kind,
            url_enc=pii.encrypt(url.strip()),
            url_masked=_mask_url(url.strip()),
            secret_enc=pii.encrypt(secret) if secret else b"",
            is_enabled=bool(is_enabled),
        )
        audit.record(
            actor=actor,
            action="fieldops.channel_create",
            obj=channel,
            detail={"kind": kind, "enabled": bool(is_enabled)},
        )
    return channel


def channel_set_enabled(*, actor, channel: NotificationChannel, enabled: bool) -> NotificationChannel:
    """Switch a channel on or off."""
    _require(actor, SETUP, channel.path, what="channel")
    with transaction.atomic():
        NotificationChannel.objects.filter(pk=channel.pk).update(is_enabled=bool(enabled))
        audit.record(
            actor=actor, action="fieldops.channel_enable" if enabled else "fieldops.channel_disable", obj=channel
        )
    channel.is_enabled = bool(enabled)
    return channel
