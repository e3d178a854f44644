"""The audit page reads as words (trial 13): reason codes (``accepted``, ``declared`` …) and the code
values of the details (a status, a category, a channel, a language …) by their translated labels, in
zh-Hans and English, for rows written by the real services; every reason code the apps write has a
label, so a new one cannot slip through as a bare code."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from lianfang.assistance.tests.conftest import grid  # noqa: F401 (a fixture)
from lianfang.core.audit_labels import REASON_CHOICES, detail_items, reason_label, value_label
from lianfang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]

# Calls (and functions) that take a ``reason`` but write no audit entry with it (an emergency alert's
# cause, a held result's problem, a report's blocker).
NOT_AUDIT_CALLS = {
    "_emergency_alert",
    "emit_emergency",
    "emergency_at_gates",
    "on_emergency",
    "ResultException",
    "Blocker",
}


def _written_reasons() -> set[tuple[str, str]]:
    """``{(app_label, code)}``: every reason code in the apps' code (not tests or migrations) given as
    ``reason=``/``reason_code=`` to a call (``audit.record``, or a service that passes it on), as a
    default of a ``reason`` parameter, as ``reason or "<code>"``, ``"<code>" if … else "<code>"``, or
    ``f"{Enum.CODE}: {note}"``; enum members are resolved by importing their module."""
    found = set()
    for path in sorted(ROOT.glob("*/**/*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        app = path.relative_to(ROOT).parts[0]
        module_name = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        values = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if callee not in NOT_AUDIT_CALLS:
                    values += [kw.value for kw in node.keywords if kw.arg in ("reason", "reason_code")]
            elif isinstance(node, ast.FunctionDef) and node.name not in NOT_AUDIT_CALLS:
                args = node.args.kwonlyargs
                values += [v for a, v in zip(args, node.args.kw_defaults, strict=True) if a.arg == "reason" and v]
        for value in values:
            if isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.FormattedValue):
                value = value.values[0].value
            if isinstance(value, ast.BoolOp):
                value = value.values[-1]
            for part in (value.body, value.orelse) if isinstance(value, ast.IfExp) else (value,):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.add((app, part.value))
                elif isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name):
                    member = getattr(
                        getattr(importlib.import_module(module_name), part.value.id, None), part.attr, None
                    )
                    if isinstance(member, str):
                        found.add((app, str(member)))
    return {(app, code) for app, code in found if re.fullmatch(r"[a-z][a-z_]*", code)}  # not a person's words


def test_every_reason_code_the_apps_write_has_a_label():
    written = _written_reasons()
    codes = {code for _app, code in written}
    assert {"declared", "received", "withdrawn", "timed_out", "finished", "positive_pool", "rollback"} <= codes
    assert len(written) > 30
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert sorted((app, code) for app, code in written if reason_label(code, f"{app}.x") == code) == []
    # the codes that flow in through variables: every value of the enums they come from
    with translation.override("zh-hans"):
        for app, paths in REASON_CHOICES.items():
            for path in paths:
                enum = importlib.import_module(path.rpartition(".")[0])
                for code in getattr(enum, path.rpartition(".")[2]).values:
                    assert reason_label(code, f"{app}.x") != code, (app, code)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh-hans",
            {
                ("started", "assistance.servicerequest"): "开始处理",
                ("accepted", "assistance.servicerequest"): "已受理",
                ("received", "assistance.servicerequest"): "已接收",
                ("result", "screening.pooltube"): "检测结果",
                ("declared", "zones.controlarea"): "指挥部划定",
                ("closed", "reports.dailyreport"): "数据已核对并关闭",
                ("withdrawn: 重复申报", "zones.controlarea"): "建议已撤回：重复申报",
                ("handed_over: 调岗", "workforce.deployment"): "已移交他人：调岗",
                ("录入有误", "assistance.servicerequest"): "录入有误",
            },
        ),
        (
            "en",
            {
                ("accepted", "assistance.servicerequest"): "Accepted",
                ("declared", "zones.controlarea"): "Declared by a commander",
                ("closed", "reports.dailyreport"): "Figures checked and closed",
                ("withdrawn: duplicate", "zones.controlarea"): "Proposal withdrawn: duplicate",
                ("timed_out", "fieldops.patrolround"): "Not finished in time: closed automatically",
            },
        ),
    ],
)
def test_reason_codes_read_as_words(language, words):
    with translation.override(language):
        assert {key: reason_label(*key) for key in words} == words


def test_language_and_unknown_values():
    with translation.override("zh-hans"):
        assert value_label("language", "zh-hans") == "简体中文"
        assert detail_items({"language": "en", "rows": 3}, "registry.importbatch") == [("语言", "英语"), ("行数", "3")]
        assert value_label("status", "no-such-status", "assistance.servicerequest") is None
        assert value_label("status", "open", "no.model") is None
    with translation.override("en"):
        assert value_label("language", "zh-hans") == "Simplified Chinese"


def test_a_ticket_and_a_declared_area_read_as_words(grid, district_commander, client_for):  # noqa: F811
    """A service request received through the QR page and accepted, and a control area declared by the
    commander (the real services), read in words on the zh and en page: no ``accepted``, ``qr``,
    ``groceries``, ``declared`` …"""
    from lianfang.assistance.models import Category
    from lianfang.assistance.services.intake import service_request_create
    from lianfang.assistance.services.lifecycle import service_request_accept
    from lianfang.assistance.shipped import ensure_shipped_rule_sets
    from lianfang.divisions.models import Division
    from lianfang.zones.services import control_area_declare, operation_open
    from lianfang.zones.shipped import ensure_shipped_rule_sets as ensure_zone_rule_sets

    ensure_shipped_rule_sets()
    ensure_zone_rule_sets()
    at = dt.datetime(2022, 3, 28, 9, tzinfo=SHANGHAI)
    ticket = service_request_create(
        actor=None, household=grid["h1"], category=Category.GROCERIES, description="米和菜", channel="qr", at=at
    )
    service_request_accept(actor=grid["staff_user"], ticket=ticket, at=at + dt.timedelta(minutes=10))
    operation = operation_open(
        actor=district_commander,
        district=Division.objects.get(code="620103"),
        name="七里河区疫情处置",
        started_on=dt.date(2022, 3, 27),
    )
    control_area_declare(
        actor=district_commander,
        operation=operation,
        tier=operation.rule_set.tiers.get(key="sealed"),
        nodes=[grid["compound_a"]],
        at=at,
    )
    received = AuditEntry.objects.get(object_type="assistance.servicerequest", reason="received")
    accepted = AuditEntry.objects.get(object_type="assistance.servicerequest", reason="accepted")
    declared = AuditEntry.objects.get(action="zones.area_propose")
    assert declared.reason == "declared"

    client = client_for(district_commander)
    number = ticket.number
    expected = {
        "zh-hans": [
            ("已接收", [("类别", "生活物资"), ("渠道", "住户二维码"), ("编号", number), ("优先级", "一般")]),
            ("已受理", [("新值", "已受理")]),
            ("指挥部划定", [("地点", "阳光小区（620103001001001）"), ("原因", "其他"), ("等级", "封控区")]),
        ],
        "en": [
            (
                "Received",
                [
                    ("Category", "Groceries and daily necessities"),
                    ("Channel", "Household QR link"),
                    ("Number", number),
                    ("Priority", "Normal"),
                ],
            ),
            ("Accepted", [("To", "Accepted")]),
            (
                "Declared by a commander",
                [("Places", "阳光小区 (620103001001001)"), ("Reason", "Other"), ("Tier", "Sealed area")],
            ),
        ],
    }
    for language, rows in expected.items():
        page = client.get("/audit/", HTTP_ACCEPT_LANGUAGE=language)
        shown = {row[0].pk: (row[4], row[5]) for row in page.context["rows"]}
        assert [shown[entry.pk] for entry in (received, accepted, declared)] == rows
        body = page.content.decode().split('data-testid="audit-entries"', 1)[1]
        for code in (">accepted<", ">received<", ">declared<", ">qr<", ">groceries<", ">normal<", ">sealed<"):
            assert code not in body, (language, code)
        assert "<code>封控区</code>" in body if language == "zh-hans" else "<code>Sealed area</code>" in body
