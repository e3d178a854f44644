"""Query parameters of the field-operations pages and API: a value that cannot be used is a 400 naming
the parameter and the value in the reader's language, never silently ignored. And the channels page:
installation settings (environment variable names) only for the system operator and the district
commander; column headings that fit channels."""

from __future__ import annotations

import pytest

from lianfang.accounts.models import RoleAssignment, User
from lianfang.conftest import _user
from lianfang.fieldops.services.notices import channel_create

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bad_query_items(response) -> list[str]:
    """The ``<li>`` texts of the 400 page's list of bad parameters."""
    body = response.content.decode()
    assert response.status_code == 400, body
    block = body.split('data-testid="bad-query">', 1)[1].split("</ul>", 1)[0]
    return [item.split("</li>", 1)[0] for item in block.split("<li>")[1:]]


@pytest.fixture
def grid_worker(population):
    """A grid worker of 阳光小区 (compound_a)."""
    return _user("grid", "grid_worker", population["compound_a"].code)


@pytest.fixture
def channel(population, community_staff):
    return channel_create(
        actor=community_staff,
        division=population["compound_a"],
        name="阳光小区楼长群",
        kind="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
        is_enabled=True,
    )


def test_channels_configuration_only_for_operator_and_commander(
    channel, grid_worker, community_staff, district_commander, client_for, settings
):
    settings.LIANFANG_WEBHOOKS = None
    operator = User.objects.create_superuser(username="operator", password="x" * 12, display_name="运维")
    plain_zh = "群机器人推送未开启：不会推送任何消息。如需开启，请联系系统管理员。"
    plain_en = "Sending to group robots is switched off: nothing is sent. The system administrator can switch it on."
    for user in (grid_worker, community_staff):
        client = client_for(user)
        body = client.get("/fieldops/channels/", **ZH).content.decode()
        assert plain_zh in body and "LIANFANG_WEBHOOKS" not in body, user
        body = client.get("/fieldops/channels/", **EN).content.decode()
        assert plain_en in body and "LIANFANG_WEBHOOKS" not in body, user
    for user in (district_commander, operator):
        body = client_for(user).get("/fieldops/channels/", **ZH).content.decode()
        assert "本系统未开启 Webhook（LIANFANG_WEBHOOKS）：不会推送任何消息。" in body, user
        assert plain_zh not in body
    # a commander whose role has ended is no longer shown the settings
    RoleAssignment.objects.filter(user=district_commander).update(ends_on="2021-01-01")
    district_commander.refresh_from_db()
    body = client_for(district_commander).get("/fieldops/channels/", **EN).content.decode()
    assert "LIANFANG_WEBHOOKS" not in body


def test_channels_table_headings(channel, grid_worker, community_staff, client_for):
    body = client_for(grid_worker).get("/fieldops/channels/", **ZH).content.decode()
    table = body.split('data-testid="channels">', 1)[1].split("</table>", 1)[0]
    headings = [h.split("</th>", 1)[0] for h in table.split("</thead>", 1)[0].split("<th>")[1:]]
    assert headings == ["名称", "类型", "区划", "Webhook 地址", "启用"]
    assert "姓名" not in table
    row = table.split("<tbody>", 1)[1]
    assert "阳光小区楼长群" in row and "阳光小区" in row and "已开启" in row and "abcdef123456" not in row
    assert "Switch" not in row and "关闭" not in row.replace("已开启", "")  # no switch for a grid worker
    english = client_for(community_staff).get("/fieldops/channels/", **EN).content.decode()
    assert "<th>Name</th><th>Kind</th><th>Division</th><th>Webhook URL</th><th>Enabled</th>" in english
    assert "Switch off</button>" in english  # community staff may switch it
    form = client_for(community_staff).get("/fieldops/channels/", **ZH).content.decode()
    assert '<label for="id_name">名称：</label>' in form


@pytest.mark.parametrize(
    ("url", "zh", "en"),
    [
        (
            "/fieldops/alerts/?mine=maybe",
            "我负责的（<code>mine</code>）：“maybe”不是可选的值，可选：1（发给我的）、0（全部）",
            "For me (<code>mine</code>): “maybe” is not one of the choices: 1 (addressed to me), 0 (all)",
        ),
        (
            "/fieldops/notices/?within=62x",
            "所属区划代码（<code>within</code>）：“62x”不是区划代码（应为1至20位数字）",
            "Division code (<code>within</code>): “62x” is not a division code (1 to 20 digits)",
        ),
        (
            "/fieldops/passages/?since=yesterday",
            "始于（<code>since</code>）：“yesterday”不是日期时间（格式为 YYYY-MM-DDTHH:MM）",
            "Since (<code>since</code>): “yesterday” is not a date and time (YYYY-MM-DDTHH:MM)",
        ),
        (
            "/fieldops/monitoring/?day=2026-02-30",
            "日期（<code>day</code>）：“2026-02-30”不是日期（格式为 YYYY-MM-DD）",
            "Date (<code>day</code>): “2026-02-30” is not a date (YYYY-MM-DD)",
        ),
    ],
)
def test_pages_answer_400_naming_the_parameter(population, community_staff, client_for, url, zh, en):
    client = client_for(community_staff)
    assert bad_query_items(client.get(url, **ZH)) == [zh]
    assert bad_query_items(client.get(url, **EN)) == [en]


def test_alerts_mine_flag_values(population, community_staff, client_for):
    client = client_for(community_staff)
    for value, mine in (("1", True), ("true", True), ("0", False), ("", False)):
        response = client.get("/fieldops/alerts/", {"mine": value})
        assert response.status_code == 200 and response.context["mine"] is mine, value
    assert 'name="mine" value="1">' in client.get("/fieldops/alerts/?mine=0").content.decode()  # not ticked


@pytest.mark.parametrize(
    ("url", "name", "value", "message"),
    [
        ("/api/v1/fieldops/shifts/", "day", "abc", "“abc” is not a date (YYYY-MM-DD)"),
        ("/api/v1/fieldops/tests/", "due_on", "2026-13-01", "“2026-13-01” is not a date (YYYY-MM-DD)"),
        ("/api/v1/fieldops/check-ins/", "day", "today", "“today” is not a date (YYYY-MM-DD)"),
        ("/api/v1/fieldops/passages/", "since", "x", "“x” is not a date and time (YYYY-MM-DDTHH:MM)"),
    ],
)
def test_api_dates_answer_400_naming_the_value(population, community_staff, api_for, url, name, value, message):
    response = api_for(community_staff).get(url, {name: value}, **EN)
    assert response.status_code == 400
    assert response.json() == {name: [message]}
    assert (
        api_for(community_staff).get(url, {name: "2026-11-29" if name != "since" else "2026-11-29T08:00"}).status_code
        == 200
    )
