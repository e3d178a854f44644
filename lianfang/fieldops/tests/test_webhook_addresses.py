"""Webhooks go to public robots only: a channel URL whose host is loopback, private or link-local
(the cloud metadata address) is refused at delivery and nothing is sent (no SSRF through a
channel), unless LIANFANG_WEBHOOK_PRIVATE allows an intranet robot."""

import pytest

from lianfang.fieldops import notify
from lianfang.fieldops.tests.test_notices import FakeRobot

PAYLOAD = {"msgtype": "markdown", "markdown": {"content": "x"}}


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:22/", "127.0.0.1"),
        ("http://localhost:8000/hook", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://10.1.2.3/robot", "10.1.2.3"),
        ("http://192.168.0.10/robot", "192.168.0.10"),
        ("http://[::1]:8080/robot", "::1"),
    ],
)
def test_a_non_public_address_is_refused(settings, url, address):
    settings.LIANFANG_WEBHOOK_PRIVATE = None
    reason = notify.address_refusal(url)
    assert reason is not None and f"({address})" in reason


def test_a_public_robot_address_is_allowed(settings):
    settings.LIANFANG_WEBHOOK_PRIVATE = None
    assert notify.address_refusal("https://93.184.216.34/cgi-bin/webhook/send?key=abc") is None


def test_nothing_reaches_a_local_server_unless_allowed(settings):
    settings.LIANFANG_WEBHOOK_PRIVATE = None
    with FakeRobot() as robot:
        result = notify.WeComBackend().send(robot.url, PAYLOAD)
        assert result.ok is False and result.detail.startswith("refused: 127.0.0.1 is not a public address")
        assert robot.requests == []
        settings.LIANFANG_WEBHOOK_PRIVATE = "1"
        assert notify.WeComBackend().send(robot.url, PAYLOAD).ok is True
        assert len(robot.requests) == 1
