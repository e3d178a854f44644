"""Shared test fixtures: the real Qilihe divisions, a small population, persona users, a browser.

Personas (design.md "Users and what they see"): ``district_commander`` (Qilihe 620103),
``street_officer`` (西园街道 620103001), ``community_staff`` (下西园社区 620103001001),
``other_community_staff`` (上西园社区 620103001002), ``household_representative`` (no division;
households come from the workforce app), ``outsider`` (signed in, no role).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

SHARED_DIVISIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "divisions"
QILIHE = "620103"
XIYUAN_STREET = "620103001"
XIAXIYUAN = "620103001001"
SHANGXIYUAN = "620103001002"
PASSWORD = "correct-horse-battery"  # noqa: S105 (test-only)

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in the
# same thread are safe here because nothing else runs concurrently in it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def restore_shipped_data() -> None:
    """Re-create what migrations ship (the rule sets of every app, the report layouts) where missing.

    A transactional test (``live_server``, ``transaction=True``) ends by emptying every table, shipped rows
    included. Run alone, pytest-django orders those tests last; under pytest-xdist (``make test``) a process
    runs a whole file at a time, so an ordinary test may follow one. Idempotent: each app's ``ensure``
    function creates only what is missing.
    """
    from lianfang.assistance.shipped import ensure_shipped_rule_sets as assistance_rules
    from lianfang.fieldops.rules import ensure_field_rule_set
    from lianfang.reports.shipped import ensure_shipped as report_layouts
    from lianfang.screening.services.base import ensure_shipped_rules as screening_rules
    from lianfang.workforce.rulesets import install_shipped_rule_sets as grid_rules
    from lianfang.zones.shipped import ensure_shipped_rule_sets as zone_rules

    zone_rules()
    screening_rules()
    assistance_rules()
    ensure_field_rule_set()
    grid_rules()
    report_layouts()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    names = getattr(item, "fixturenames", ())
    return "live_server" in names or "transactional_db" in names


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has emptied the tables, put the shipped rows back (restore_shipped_data)."""
    try:
        return (yield)
    finally:
        if nextitem is not None and _is_transactional(item):  # after the last test the database is gone
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                restore_shipped_data()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Tests hash passwords with MD5 instead of PBKDF2's 1,000,000 rounds (0.57 s a hash on a CI core).

    Django's own advice for test speed ("Speeding up the tests", Django 5.2 docs, topics/testing/overview).
    Thousands of test users are created and signed in; what a hash costs is no part of what the tests check.
    Production keeps settings.PASSWORD_HASHERS (PBKDF2 first).
    """
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture
def qilihe(db):
    """The real divisions of Qilihe (620103) with their ancestors, from ../shared/data/divisions."""
    from lianfang.divisions.models import Division
    from lianfang.divisions.services import load_divisions

    if not Division.objects.filter(code=QILIHE).exists():
        load_divisions(actor=None, source=SHARED_DIVISIONS, code=QILIHE)
    return Division.objects.get(code=QILIHE)


def make_compound(community, number: int, name: str, buildings: int = 1, units: int = 1):
    """Create a compound with ``buildings`` × ``units`` under ``community``; returns (compound, [units])."""
    from lianfang.divisions.services import local_node_create

    compound = local_node_create(actor=None, parent=community, number=number, name=name)
    leaves = []
    for b in range(1, buildings + 1):
        building = local_node_create(actor=None, parent=compound, number=b, name=f"{b}号楼")
        for u in range(1, units + 1):
            leaves.append(local_node_create(actor=None, parent=building, number=u, name=f"{u}单元"))
    return compound, leaves


@pytest.fixture
def population(qilihe):
    """Two communities of 西园街道 with one compound each, 3 households and 7 residents in all.

    Returns a dict with ``compound_a``, ``compound_b``, ``unit_a``, ``unit_b``, households ``h1``,
    ``h2`` (下西园, unit_a) and ``h3`` (上西园, unit_b), and residents by name.
    """
    from lianfang.divisions.models import Division
    from lianfang.registry.models import DocumentType, Relation
    from lianfang.registry.services import household_create, resident_create, validate_resident

    a = Division.objects.get(code=XIAXIYUAN)
    b = Division.objects.get(code=SHANGXIYUAN)
    compound_a, units_a = make_compound(a, 1, "阳光小区", buildings=1, units=2)
    compound_b, units_b = make_compound(b, 1, "园林小区")
    today = dt.date(2026, 11, 29)
    h1 = household_create(actor=None, node=units_a[0], room="101", contact_name="张三", phone="13812345678")
    h2 = household_create(actor=None, node=units_a[1], room="202", contact_name="李四", phone="13912345678")
    h3 = household_create(actor=None, node=units_b[0], room="301", contact_name="王五", phone="13712345678")
    people = {}

    def add(h, name, number, relation=Relation.OTHER, **extra):
        data = validate_resident(name=name, document_number=number, today=today, phone=extra.pop("phone", ""))
        people[name] = resident_create(actor=None, household=h, data=data, relation=relation, **extra)

    add(h1, "张三", "11010519491231002X", Relation.HEAD, phone="13812345678", elderly_alone=True)
    add(h1, "张小明", "440524188001010014", Relation.CHILD)
    add(h2, "李四", "620103198501150012", Relation.HEAD, phone="13912345678")
    add(h2, "赵丽", "620103198703120022", Relation.SPOUSE, pregnant=True)
    add(h3, "王五", "620103195002020017", Relation.HEAD, phone="13712345678", bedridden=True)
    add(h3, "王芳", "620103199001010026", Relation.CHILD)
    guardian = people["王芳"]
    data = validate_resident(name="王宝宝", document_type=DocumentType.NONE, sex="F", birth_date=dt.date(2026, 3, 1))
    people["王宝宝"] = resident_create(actor=None, household=h3, data=data, guardian=guardian, infant=True)
    return {
        "compound_a": compound_a,
        "compound_b": compound_b,
        "unit_a": units_a[0],
        "unit_b": units_b[0],
        "h1": h1,
        "h2": h2,
        "h3": h3,
        **people,
    }


def _user(username: str, role: str | None = None, code: str | None = None):
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    if role:
        RoleAssignment.objects.create(
            user=user, role=role, division=Division.objects.get(code=code), starts_on=dt.date(2020, 1, 1)
        )
    return user


@pytest.fixture
def district_commander(qilihe):
    return _user("commander", "district_commander", QILIHE)


@pytest.fixture
def street_officer(qilihe):
    return _user("street", "street_officer", XIYUAN_STREET)


@pytest.fixture
def community_staff(qilihe):
    return _user("staff", "community_staff", XIAXIYUAN)


@pytest.fixture
def other_community_staff(qilihe):
    return _user("staff2", "community_staff", SHANGXIYUAN)


@pytest.fixture
def outsider(db):
    return _user("outsider")


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client signed in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """``api_for(user)``: a DRF APIClient authenticated with the user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        token, _ = Token.objects.get_or_create(user=user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return make


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("LIANFANG_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"{executable} is missing: run `make browser-deps` (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh page (phone-sized viewport, zh-Hans) with its own cookies."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def login_page(page, live_server):
    """``login_page(user)``: sign in through the real login form and return the page."""

    def go(user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return go


ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (for people to look at) and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
