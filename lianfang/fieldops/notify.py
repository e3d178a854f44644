"""Outbound notification of published notices to group-robot webhooks (WeCom / DingTalk).

Pluggable and off by default:

- Webhooks as a whole are on only when ``settings.LIANFANG_WEBHOOKS`` (or the environment variable
  ``LIANFANG_WEBHOOKS``) is true; each :class:`~lianfang.fieldops.models.NotificationChannel` must
  also be enabled.
- A backend is a class with ``payload(message) -> dict`` and ``send(url, payload, secret) ->
  Result``, registered per channel kind with :func:`register_backend`. Shipped: WeCom group robot
  (企业微信群机器人, markdown message: ``{"msgtype": "markdown", "markdown": {"content": ...}}``) and
  DingTalk group robot (钉钉自定义机器人, ``{"msgtype": "markdown", "markdown": {"title", "text"}}``,
  optionally signed: ``timestamp`` and ``sign`` = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))
  query parameters). Both answer ``{"errcode": 0, "errmsg": "ok"}`` on success.
- Payloads carry the notice's title, text, place and public link — never a person's name (notices
  are checked when written, services.notices.check_no_people_named).
- Only public addresses are posted to: a channel URL whose host resolves to a loopback, private,
  link-local (cloud metadata, 169.254.x.x), reserved or multicast address is refused at delivery
  (:func:`address_refusal`), so a channel cannot turn the server into a probe of its own network
  (SSRF). ``LIANFANG_WEBHOOK_PRIVATE=1`` allows them, for a robot inside an intranet.

Delivery runs in the ``deliver_notice`` task (django-tasks, enqueued after the commit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lianfang.core import pii
from lianfang.fieldops.models import DeliveryStatus, Notice, NoticeDelivery, NotificationChannel

TIMEOUT_SECONDS = 10


def webhooks_enabled() -> bool:
    """True when outbound webhooks are switched on (settings or environment ``LIANFANG_WEBHOOKS``)."""
    value = getattr(settings, "LIANFANG_WEBHOOKS", None)
    if value is None:
        value = os.environ.get("LIANFANG_WEBHOOKS", "0")
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def public_base_url() -> str:
    """The site's public address for links in messages (``LIANFANG_PUBLIC_URL``), ``""`` when unset."""
    value = getattr(settings, "LIANFANG_PUBLIC_URL", None) or os.environ.get("LIANFANG_PUBLIC_URL", "")
    return value.rstrip("/")


@dataclass(frozen=True)
class Message:
    """What is sent: ``title``, ``text``, ``place`` (the target's name) and ``link`` (may be empty)."""

    title: str
    text: str
    place: str
    link: str = ""


@dataclass(frozen=True)
class Result:
    """A backend's answer: ``ok`` and a short ``detail`` (HTTP status and the robot's errcode/errmsg)."""

    ok: bool
    detail: str


def private_addresses_allowed() -> bool:
    """True when webhooks may go to non-public addresses (settings or environment
    ``LIANFANG_WEBHOOK_PRIVATE``: an intranet robot; the tests' local fake robot)."""
    value = getattr(settings, "LIANFANG_WEBHOOK_PRIVATE", None)
    if value is None:
        value = os.environ.get("LIANFANG_WEBHOOK_PRIVATE", "0")
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def address_refusal(url: str) -> str | None:
    """Why ``url`` must not be posted to, or None: its host resolves (``socket.getaddrinfo``) to an
    address that is not globally routable (``ipaddress`` ``is_global`` False: loopback, private,
    link-local, reserved, multicast...) while :func:`private_addresses_allowed` is off. A host that
    does not resolve is left to the request (it fails there). The check is made just before each
    request; a name that changes its address between the check and the connection is not caught."""
    if private_addresses_allowed():
        return None
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return "refused: no host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            return (
                f"refused: {parts.hostname} is not a public address ({address}); LIANFANG_WEBHOOK_PRIVATE=1 allows it"
            )
    return None


def _post_json(url: str, payload: dict) -> Result:
    refusal = address_refusal(url)
    if refusal is not None:
        return Result(False, refusal[:300])
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (URL scheme checked when the channel is created)
        url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(4096).decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        return Result(False, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return Result(False, f"error: {exc}"[:300])
    try:
        answer = json.loads(body)
    except ValueError:
        return Result(False, f"HTTP {status}: not JSON")
    errcode = answer.get("errcode")
    return Result(status == 200 and errcode == 0, f"HTTP {status} errcode={errcode} {answer.get('errmsg', '')}"[:300])


class WeComBackend:
    """WeCom (企业微信) group robot: markdown message, no signing (the key is in the URL)."""

    def payload(self, message: Message) -> dict:
        """The JSON body the robot expects for ``message``."""
        lines = [f"**{message.title}**", f"> {message.place}", "", message.text]
        if message.link:
            lines += ["", f"[{message.link}]({message.link})"]
        return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}

    def send(self, url: str, payload: dict, secret: str = "") -> Result:
        """POST ``payload`` to ``url`` (signed with ``secret`` where the robot supports it); returns a Result."""
        return _post_json(url, payload)


class DingTalkBackend:
    """DingTalk (钉钉) custom robot: markdown message; signed when the channel has a secret."""

    def payload(self, message: Message) -> dict:
        """The JSON body the robot expects for ``message``."""
        text = f"#### {message.title}\n\n> {message.place}\n\n{message.text}"
        if message.link:
            text += f"\n\n[{message.link}]({message.link})"
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}

    @staticmethod
    def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
        """``url`` with DingTalk's ``timestamp`` and ``sign`` parameters (HMAC-SHA256 of
        ``"{timestamp}\\n{secret}"`` keyed by the secret, base64, URL-encoded)."""
        timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        joiner = "&" if "?" in url else "?"
        return f"{url}{joiner}timestamp={timestamp}&sign={sign}"

    def send(self, url: str, payload: dict, secret: str = "") -> Result:
        """POST ``payload`` to ``url`` (signed with ``secret`` where the robot supports it); returns a Result."""
        return _post_json(self.signed_url(url, secret) if secret else url, payload)


_backends: dict[str, object] = {"wecom": WeComBackend(), "dingtalk": DingTalkBackend()}


def register_backend(kind: str, backend) -> None:
    """Use ``backend`` (``payload``/``send`` as above) for channels of ``kind`` (replaces a shipped one)."""
    _backends[kind] = backend


def backend_for(kind: str):
    """The backend for a channel kind; KeyError for an unknown kind."""
    return _backends[kind]


def message_for(notice: Notice) -> Message:
    """The message of a notice: title, text, the target's name, the public link (when the base URL is known)."""
    place = notice.control_area.name if notice.control_area_id else notice.division.name
    base = public_base_url()
    link = f"{base}{reverse('fieldops:notice_public', args=[notice.token])}" if base else ""
    return Message(title=notice.title, text=notice.body, place=place, link=link)


def channels_for(notice: Notice):
    """Enabled channels whose division is the notice's place or one above it."""
    prefixes = [notice.path[:n] for n in (6, 9, 12, 15, 18, 20) if n <= len(notice.path)]
    return NotificationChannel.objects.filter(is_enabled=True, path__in=prefixes).order_by("id")


def queue_deliveries(notice: Notice) -> int:
    """Create the pending deliveries of a just-published notice and enqueue ``deliver_notice``
    after the commit; nothing when webhooks are off. Returns the number queued."""
    if not webhooks_enabled():
        return 0
    channels = list(channels_for(notice))
    NoticeDelivery.objects.bulk_create(
        [NoticeDelivery(district_id=notice.district_id, path=notice.path, notice=notice, channel=c) for c in channels],
        ignore_conflicts=True,
    )
    if channels:
        from lianfang.fieldops.tasks import deliver_notice  # noqa: PLC0415

        transaction.on_commit(lambda: deliver_notice.enqueue(notice.pk))
    return len(channels)


def deliver(notice_id: int) -> dict[str, int]:
    """Post a notice to each of its pending (or failed, up to 3 attempts) deliveries; returns
    ``{"sent": n, "failed": n}``. Each delivery is claimed by a conditional update, so two workers
    never post the same one twice."""
    counts = {"sent": 0, "failed": 0}
    notice = Notice.objects.select_related("division", "control_area").filter(pk=notice_id).first()
    if notice is None:
        return counts
    message = message_for(notice)
    rows = NoticeDelivery.objects.filter(
        notice=notice, status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED), attempts__lt=3
    ).select_related("channel")
    for delivery in rows:
        if not webhooks_enabled() or not delivery.channel.is_enabled:
            NoticeDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SKIPPED)
            continue
        claimed = NoticeDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, status=delivery.status
        ).update(attempts=delivery.attempts + 1)
        if claimed != 1:
            continue
        backend = backend_for(delivery.channel.kind)
        url = pii.decrypt(delivery.channel.url_enc)
        secret = pii.decrypt(delivery.channel.secret_enc) if delivery.channel.secret_enc else ""
        result = backend.send(url, backend.payload(message), secret)
        NoticeDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT if result.ok else DeliveryStatus.FAILED,
            response=result.detail,
            sent_at=timezone.now() if result.ok else None,
        )
        counts["sent" if result.ok else "failed"] += 1
    return counts
