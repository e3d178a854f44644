# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Import/export pages, the background task, the API, scope (outsider → 404 / empty) and the browser."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianfang.registry.tests.fixtures.importing import FIXTURES, english, registry_snapshot  # noqa: F401

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


@pytest.fixture
def committed_batch(population, community_staff, english):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    return registry_import(
        actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=FIXTURES / "roster.ods"
    )


@pytest.fixture
def invalid_batch(population, community_staff, english):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    return registry_import(
        actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=FIXTURES / "problems.xlsx"
    )


def test_index_lists_batches_in_scope(client_for, committed_batch, community_staff, django_assert_max_num_queries):
    client = client_for(community_staff)
    with django_assert_max_num_queries(12):
        response = client.get("/registry/io/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "roster.ods" in body
    assert 'data-testid="upload-form"' in body
    assert f'<option value="{XIAXIYUAN}"' in body


def test_outsider_sees_no_batches_and_gets_404(client_for, committed_batch, outsider, other_community_staff):
    for user in (outsider, other_community_staff):
        client = client_for(user)
        body = client.get("/registry/io/").content.decode()
        assert "roster.ods" not in body
        for url in ("", "progress/", "report/"):
            assert client.get(f"/registry/io/{committed_batch.pk}/{url}").status_code == 404
        assert client.post(f"/registry/io/{committed_batch.pk}/rollback/").status_code == 404
        assert client.post(f"/registry/io/{committed_batch.pk}/commit/").status_code == 404


def test_upload_runs_in_the_background_and_shows_the_result(
    client_for, population, community_staff, immediate_tasks, django_capture_on_commit_callbacks, english
):
    from lianfang.registry.models import ImportBatch, Resident

    client = client_for(community_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registry/io/upload/", {"division": XIAXIYUAN, "file": upload("roster.xls"), "dry_run": ""}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/registry/io/{batch.pk}/"
    assert batch.status == "committed"
    assert batch.actor == community_staff
    assert Resident.objects.filter(name="刘一").exists()
    page = client.get(response["Location"]).content.decode()
    assert "已导入：新增 2 户、4 人" in page  # the task ran after a zh-Hans request
    assert 'data-testid="rollback-form"' in page
    progress = client.get(f"/registry/io/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"


def test_dry_run_then_import_now(
    client_for, population, community_staff, immediate_tasks, django_capture_on_commit_callbacks
):
    from lianfang.registry.models import ImportBatch, Resident

    client = client_for(community_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/registry/io/upload/", {"division": XIAXIYUAN, "file": upload("roster.ods"), "dry_run": "on"})
    batch = ImportBatch.objects.get()
    assert batch.status == "validated"
    assert not Resident.objects.filter(name="刘一").exists()
    assert 'data-testid="commit"' in client.get(f"/registry/io/{batch.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/registry/io/{batch.pk}/commit/")
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert Resident.objects.filter(name="刘一").count() == 1


def test_queued_batch_polls_its_progress(client_for, population, community_staff, english):
    from lianfang.registry.importing.batches import import_batch_create
    from lianfang.registry.models import ImportBatch

    batch = import_batch_create(
        actor=community_staff,
        target=population["unit_a"].parent.parent.parent,
        file_name="roster.ods",
        data=(FIXTURES / "roster.ods").read_bytes(),
    )
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="running", phase="validate", progress_done=5, progress_total=20
    )
    client = client_for(community_staff)
    body = client.get(f"/registry/io/{batch.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert "checking: 5 of 20 rows" in body
    assert 'value="5" max="20"' in body


def test_invalid_upload_shows_problems_and_report(client_for, invalid_batch, community_staff, english):
    from openpyxl import load_workbook

    client = client_for(community_staff)
    page = client.get(f"/registry/io/{invalid_batch.pk}/").content.decode()
    assert "发现 9 处错误：未写入任何数据" in page  # the result sentence is in the viewer's language
    assert "Unknown building; nearest: 1号楼" in page
    report = client.get(f"/registry/io/{invalid_batch.pk}/report/")
    assert report.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    assert wb.sheetnames == ["problems", "导入问题"]  # its fixed parts in the downloader's language


def test_rollback_from_the_page(client_for, committed_batch, community_staff, street_officer):
    from lianfang.registry.models import Resident

    assert Resident.objects.filter(name="刘一").exists()
    client = client_for(community_staff)
    response = client.post(f"/registry/io/{committed_batch.pk}/rollback/", {"reason": "wrong file"})
    assert response.status_code == 302
    committed_batch.refresh_from_db()
    assert committed_batch.status == "rolled_back"
    assert committed_batch.rolled_back_by == community_staff
    assert not Resident.objects.filter(name="刘一").exists()


def test_upload_refuses_a_division_outside_scope(client_for, population, other_community_staff):
    client = client_for(other_community_staff)
    response = client.post("/registry/io/upload/", {"division": XIAXIYUAN, "file": upload("roster.ods")})
    assert response.status_code == 400  # not among the choices
    from lianfang.registry.models import ImportBatch

    assert ImportBatch.objects.count() == 0


def test_template_is_not_for_outsiders(client_for, outsider):
    assert client_for(outsider).get("/registry/io/template.xlsx").status_code == 404


def test_template_download(client_for, population, community_staff):
    from openpyxl import load_workbook

    response = client_for(community_staff).get("/registry/io/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="registry-template.xlsx"'
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert ws.cell(row=2, column=9).value == "姓名"


def test_export_from_the_page(client_for, population, community_staff, outsider, english):
    from openpyxl import load_workbook

    from lianfang.core.models import AuditEntry

    client = client_for(community_staff)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 + 4
    assert "1101**********002X" in str(rows)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "unmasked": "on"})
    assert response.status_code == 400
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "unmasked": "on", "reason": "visit"})
    assert response.status_code == 200
    assert "11010519491231002X" in str(
        list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    )
    assert AuditEntry.objects.filter(action="export", actor=community_staff).count() == 2
    assert client_for(outsider).post("/registry/io/export/", {"division": XIAXIYUAN}).status_code == 403


# --- API ---------------------------------------------------------------------------------------------


def test_api_upload_list_retrieve_rollback(
    api_for, population, community_staff, immediate_tasks, django_capture_on_commit_callbacks, english
):
    from lianfang.registry.models import Resident

    api = api_for(community_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/registry-imports/",
            {"division": XIAXIYUAN, "file": upload("gbk.csv"), "dry_run": "false"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    batch_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    detail = api.get(f"/api/v1/registry-imports/{batch_id}/").json()
    assert detail["status"] == "committed"
    assert detail["encoding"] == "gb18030"
    assert detail["counts"]["residents_created"] == 4
    listing = api.get("/api/v1/registry-imports/").json()
    assert [b["id"] for b in listing["results"]] == [batch_id]
    response = api.post(f"/api/v1/registry-imports/{batch_id}/rollback/", {"reason": "test"}, format="multipart")
    assert response.status_code == 200
    assert response.json()["status"] == "rolled_back"
    assert not Resident.objects.filter(name="刘一").exists()
    response = api.post(f"/api/v1/registry-imports/{batch_id}/rollback/", {}, format="multipart")
    assert response.status_code == 409


def test_api_outsider_gets_empty_list_and_404(api_for, committed_batch, outsider, other_community_staff):
    for user in (outsider, other_community_staff):
        api = api_for(user)
        assert api.get("/api/v1/registry-imports/").json()["results"] == []
        assert api.get(f"/api/v1/registry-imports/{committed_batch.pk}/").status_code == 404
        assert api.post(f"/api/v1/registry-imports/{committed_batch.pk}/rollback/").status_code == 404
        assert api.get(f"/api/v1/registry-imports/{committed_batch.pk}/report/").status_code == 404
    response = api_for(other_community_staff).post(
        "/api/v1/registry-imports/", {"division": XIAXIYUAN, "file": upload("roster.ods")}, format="multipart"
    )
    assert response.status_code == 400
    assert "division" in response.json()


def test_api_report_download(api_for, invalid_batch, community_staff):
    api = api_for(community_staff)
    detail = api.get(f"/api/v1/registry-imports/{invalid_batch.pk}/").json()
    assert detail["status"] == "invalid"
    assert detail["report_url"] == f"/api/v1/registry-imports/{invalid_batch.pk}/report/"
    response = api.get(detail["report_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


# --- Browser -------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_upload_problems_then_good_file_and_rollback(login_page, population, community_staff, settings):
    from lianfang.conftest import screenshot

    settings.TASKS = IMMEDIATE
    page = login_page(community_staff)
    base = page.url.split("/", 3)[:3]
    page.goto("/".join(base) + "/registry/io/")
    screenshot(page, "registry-import-index")
    page.select_option("select[name=division]", XIAXIYUAN)
    page.set_input_files("input[name=file]", str(FIXTURES / "problems.xlsx"))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=issues]")
    assert page.locator("[data-testid=progress]").get_attribute("data-status") == "invalid"
    assert "未知" not in page.inner_text("[data-testid=message]")  # the message is the count sentence
    assert "楼栋不存在；最接近的是：1号楼" in page.inner_text("[data-testid=issues]")
    assert page.locator("[data-testid=report-link]").count() == 1
    screenshot(page, "registry-import-errors")
    page.goto("/".join(base) + "/registry/io/")
    page.select_option("select[name=division]", XIAXIYUAN)
    page.set_input_files("input[name=file]", str(FIXTURES / "two_row_header.xlsx"))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=counts]")
    assert "已导入" in page.inner_text("[data-testid=message]")
    screenshot(page, "registry-import-done")
    page.fill("[data-testid=rollback-form] input[name=reason]", "导错了")
    page.click("[data-testid=rollback-form] button")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=progress]").get_attribute("data-status") == "rolled_back"
    assert "本次导入已撤销" in page.content()
