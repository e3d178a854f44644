"""Pages: query budgets of the list pages, admin through visible_to, the daily page's close form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.reports import services
from lianfang.reports.tests.conftest import XIA, XIYUAN

pytestmark = pytest.mark.django_db


def test_list_pages_query_budgets(scene, client_for, district_commander, street_officer, django_assert_max_num_queries):
    services.daily_report_close(actor=district_commander, division=scene["street"], day=scene["day"])
    services.daily_report_close(actor=street_officer, division=scene["xia"], day=scene["day"])
    client = client_for(district_commander)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("reports:daily_list"))
    assert page.status_code == 200 and page.content.decode().count('data-label="日期"') == 2
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reports:layouts")).status_code == 200
    url = f"{reverse('reports:records', args=['control_areas'])}?code={XIYUAN}"
    with django_assert_max_num_queries(25):
        records = client.get(url)
    assert records.status_code == 200 and "阳光小区" in records.content.decode()


def test_daily_page_shows_the_frozen_day_and_the_forms(scene, client_for, district_commander, community_staff):
    client = client_for(district_commander)
    url = f"{reverse('reports:daily')}?code={XIYUAN}&date={scene['day']}"
    page = client.get(url).content.decode()
    assert 'data-testid="close-form"' in page and 'data-testid="closable"' in page
    response = client.post(reverse("reports:daily_close"), {"code": XIYUAN, "date": scene["day"], "note": "ok"})
    assert response.status_code == 302
    closed = client.get(url).content.decode()
    assert 'data-testid="reopen-form"' in closed and "已由commander于" in closed
    staff_page = client_for(community_staff).get(f"{reverse('reports:daily')}?code={XIA}").content.decode()
    assert 'data-testid="close-form"' not in staff_page  # no command capability: no button
    assert (
        client_for(community_staff)
        .post(reverse("reports:daily_close"), {"code": XIA, "date": scene["day"]})
        .status_code
        == 403
    )
    client = client_for(district_commander)  # the same test client, signed in again as the commander
    reopened = client.post(
        reverse("reports:daily_reopen"), {"code": XIYUAN, "date": scene["day"], "reason": "late_data", "note": "补报"}
    )
    assert reopened.status_code == 302
    assert 'data-testid="close-form"' in client.get(url).content.decode()


def test_admin_lists_go_through_scope(scene, client, district_commander, street_officer, other_community_staff):
    from lianfang.accounts.models import User

    services.daily_report_close(actor=district_commander, division=scene["street"], day=scene["day"])
    staff = User.objects.get(pk=other_community_staff.pk)
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_dailyreport"))
    client.force_login(staff)
    page = client.get("/admin/reports/dailyreport/")
    assert page.status_code == 200 and XIYUAN not in page.content.decode()
    officer = User.objects.get(pk=street_officer.pk)
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(Permission.objects.get(codename="view_dailyreport"))
    client.force_login(officer)
    assert XIYUAN in client.get("/admin/reports/dailyreport/").content.decode()


def test_daily_page_speaks_the_reader_language(scene, client_for, district_commander, community_staff):
    client = client_for(district_commander)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    bad = client.get(f"{reverse('reports:daily')}?code={XIYUAN}&date=2026-13-45", **zh)
    assert bad.status_code == 400
    assert "“2026-13-45”不是日期（格式为 YYYY-MM-DD）" in bad.content.decode()
    english = client.get(f"{reverse('reports:daily')}?code={XIYUAN}&date=2026-13-45", HTTP_ACCEPT_LANGUAGE="en")
    assert "“2026-13-45” is not a date (YYYY-MM-DD)" in english.content.decode()
    page = client.get(f"{reverse('reports:daily')}?code={XIYUAN}&date={scene['day']}", **zh).content.decode()
    assert "PDF（英文）</a>" in page and "PDF (English)" not in page
    refused = client_for(community_staff).post(
        reverse("reports:daily_close"), {"code": XIA, "date": scene["day"]}, **zh
    )
    assert refused.status_code == 403 and "<h1>无权访问</h1>" in refused.content.decode()
