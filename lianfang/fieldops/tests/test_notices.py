"""Notices: never naming people, printable public page, and the webhook backends against a local
fake WeCom/DingTalk robot started by the test on 127.0.0.1."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError

from lianfang.fieldops import notify
from lianfang.fieldops.models import NoticeDelivery
from lianfang.fieldops.services.notices import channel_create, notice_create, notice_publish, notice_withdraw

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class FakeRobot:
    """A local HTTP server answering like a group robot; records every request (path, query, JSON body)."""

    def __init__(self, answer=None):
        self.requests = []
        self.answer = answer or {"errcode": 0, "errmsg": "ok"}
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                parts = urllib.parse.urlsplit(self.path)
                robot.requests.append(
                    {
                        "path": parts.path,
                        "query": dict(urllib.parse.parse_qsl(parts.query)),
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length).decode("utf-8")),
                    }
                )
                data = json.dumps(robot.answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def local_robot_allowed(settings):
    """The fake robot listens on 127.0.0.1, which webhooks refuse by default (test_webhook_addresses.py)."""
    settings.LIANFANG_WEBHOOK_PRIVATE = True


@pytest.fixture
def robot():
    with FakeRobot() as fake:
        yield fake


def write(actor, population, body="今晚20:00起全员核酸检测，请按楼栋顺序下楼，佩戴口罩，保持间距。"):
    return notice_create(actor=actor, title="核酸检测通知", body=body, division=population["compound_a"])


@pytest.mark.parametrize(
    "body,named",
    [
        ("请张三于今晚下楼采样", "张三"),
        ("联系电话13812345678", "mobile"),
        ("身份证11010519491231002X的居民请注意", "ID"),
    ],
)
def test_notice_never_names_people(population, community_staff, body, named):
    with pytest.raises(ValidationError) as exc:
        write(community_staff, population, body)
    assert named in str(exc.value) or {"mobile": "mobile phone", "ID": "ID number"}[named] in str(exc.value)


def test_webhooks_off_by_default(population, community_staff, robot, settings):
    settings.LIANFANG_WEBHOOKS = None
    channel_create(
        actor=community_staff,
        division=population["compound_a"].parent,
        name="社区群",
        kind="wecom",
        url=robot.url,
        is_enabled=True,
    )
    notice = write(community_staff, population)
    notice_publish(actor=community_staff, notice=notice)
    assert not notify.webhooks_enabled()
    assert NoticeDelivery.objects.count() == 0 and robot.requests == []


def test_payloads_against_a_fake_robot(
    population, community_staff, robot, settings, django_capture_on_commit_callbacks
):
    settings.LIANFANG_WEBHOOKS = True
    settings.LIANFANG_PUBLIC_URL = "https://lianfang.example"
    settings.TASKS = IMMEDIATE
    community = population["compound_a"].parent
    channel_create(
        actor=community_staff,
        division=community,
        name="下西园企业微信群",
        kind="wecom",
        url=f"{robot.url}/cgi-bin/webhook/send?key=K1",
        is_enabled=True,
    )
    channel_create(
        actor=community_staff,
        division=population["compound_a"],
        name="阳光小区钉钉群",
        kind="dingtalk",
        url=f"{robot.url}/robot/send?access_token=T1",
        secret="SEC-secret",
        is_enabled=True,
    )
    channel_create(actor=community_staff, division=community, name="停用的群", kind="wecom", url=f"{robot.url}/off")
    notice = write(community_staff, population)
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=community_staff, notice=notice)
    assert sorted(r["path"] for r in robot.requests) == ["/cgi-bin/webhook/send", "/robot/send"]
    by_path = {r["path"]: r for r in robot.requests}
    link = f"https://lianfang.example/fieldops/n/{notice.token}/"
    wecom = by_path["/cgi-bin/webhook/send"]
    assert wecom["query"] == {"key": "K1"} and wecom["content_type"].startswith("application/json")
    assert wecom["body"] == {
        "msgtype": "markdown",
        "markdown": {
            "content": f"**核酸检测通知**\n> {population['compound_a'].name}\n\n{notice.body}\n\n[{link}]({link})"
        },
    }
    ding = by_path["/robot/send"]
    assert ding["body"]["msgtype"] == "markdown" and ding["body"]["markdown"]["title"] == "核酸检测通知"
    assert ding["body"]["markdown"]["text"].startswith("#### 核酸检测通知\n\n> 阳光小区")
    timestamp = ding["query"]["timestamp"]
    expected = base64.b64encode(
        hmac.new(b"SEC-secret", f"{timestamp}\nSEC-secret".encode(), hashlib.sha256).digest()
    ).decode()
    assert ding["query"]["sign"] == expected and ding["query"]["access_token"] == "T1"
    # never a person's name in what leaves the system
    sent = json.dumps([r["body"] for r in robot.requests], ensure_ascii=False)
    for name in ("张三", "张小明", "李四", "赵丽"):
        assert name not in sent
    assert sorted(NoticeDelivery.objects.values_list("status", flat=True)) == ["sent", "sent"]
    assert all("errcode=0" in r for r in NoticeDelivery.objects.values_list("response", flat=True))


def test_failed_delivery_is_recorded_and_retried(
    population, community_staff, settings, django_capture_on_commit_callbacks
):
    settings.LIANFANG_WEBHOOKS = True
    settings.TASKS = IMMEDIATE
    with FakeRobot(answer={"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        channel_create(
            actor=community_staff,
            division=population["compound_a"],
            name="群",
            kind="wecom",
            url=robot.url,
            is_enabled=True,
        )
        notice = write(community_staff, population)
        with django_capture_on_commit_callbacks(execute=True):
            notice_publish(actor=community_staff, notice=notice)
        delivery = NoticeDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert "93000" in delivery.response
        robot.answer = {"errcode": 0, "errmsg": "ok"}
        assert notify.deliver(notice.pk) == {"sent": 1, "failed": 0}
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert notify.deliver(notice.pk) == {"sent": 0, "failed": 0}
        assert len(robot.requests) == 2


def test_publishing_enqueues_a_database_task(
    population, community_staff, robot, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.LIANFANG_WEBHOOKS = True
    channel_create(
        actor=community_staff,
        division=population["compound_a"],
        name="群",
        kind="wecom",
        url=robot.url,
        is_enabled=True,
    )
    notice = write(community_staff, population)
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(actor=community_staff, notice=notice)
    task = DBTaskResult.objects.get()
    assert task.task_path == "lianfang.fieldops.tasks.deliver_notice" and task.args_kwargs["args"] == [notice.pk]
    assert robot.requests == []  # the worker posts it, not the request


def test_channel_url_is_sealed(population, community_staff):
    channel = channel_create(
        actor=community_staff,
        division=population["compound_a"],
        name="群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY",
    )
    assert b"SECRET-KEY" not in bytes(channel.url_enc)
    assert "SECRET-KEY" not in channel.url_masked and channel.url_masked.startswith("https://qyapi.weixin.qq.com/")
    assert not channel.is_enabled
    with pytest.raises(ValidationError):
        channel_create(actor=community_staff, division=population["compound_a"], name="x", kind="wecom", url="ftp://x")


def test_withdrawn_notice(population, community_staff):
    notice = write(community_staff, population)
    notice_publish(actor=community_staff, notice=notice)
    notice_withdraw(actor=community_staff, notice=notice, reason="时间调整")
    notice.refresh_from_db()
    assert notice.status == "withdrawn"


def test_notice_text_has_a_length_limit(population, community_staff):
    from lianfang.fieldops.models import NOTICE_BODY_MAX, Notice

    with pytest.raises(ValidationError) as exc:
        write(community_staff, population, "请下楼采样。" * 1000)  # 6,000 characters
    assert exc.value.message_dict == {"body": [f"at most {NOTICE_BODY_MAX} characters, got 6000"]}
    assert not Notice.objects.exists()
    assert write(community_staff, population, "请" * NOTICE_BODY_MAX).body == "请" * NOTICE_BODY_MAX
