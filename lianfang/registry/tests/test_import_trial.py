# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Findings of the new-user trial: what an import says when the file is odd, and what it never does."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianfang.registry.tests.fixtures.importing import english, issues, registry_snapshot, run_import  # noqa: F401
from lianfang.workforce.tests.conftest import grid, representative  # noqa: F401 (the workforce fixtures)

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
A1 = "620103198001010013"
HEADER = "小区,楼栋,单元,房号,姓名,身份证号,户籍地址\n"


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_field_over_the_csv_limit_is_a_row_error(run_import, tmp_path):
    before = registry_snapshot()
    huge = "王" * 200_000  # over the csv module's default 128 KiB field limit
    path = write(tmp_path, "huge.csv", f"{HEADER}阳光小区,1,1,701,{huge},{A1},\n阳光小区,1,1,702,刘一,{A1},兰州\n")
    batch = run_import(path)
    assert batch.status == "invalid", batch.message
    assert issues(batch) == [
        ("csv", 2, "姓名 (E)", "王" * 60 + "…", "too long: 200000 characters, at most 60"),
        # the refused row still names its person: the second row of the same ID is a duplicate
        ("csv", 3, "身份证号 (F)", A1, "the same person is already on sheet csv row 2; resolve the duplicate"),
    ]
    assert registry_snapshot() == before


def test_fields_longer_than_the_model_holds_are_row_errors(run_import, tmp_path):
    path = write(tmp_path, "long.csv", f"{HEADER}阳光小区,1,1,{'7' * 21},刘一,{A1},{'兰' * 201}\n")
    batch = run_import(path)
    assert issues(batch) == [
        ("csv", 2, "房号 (D)", "7" * 21, "too long: 21 characters, at most 20"),
        ("csv", 2, "户籍地址 (G)", "兰" * 60 + "…", "too long: 201 characters, at most 200"),
    ]


def test_any_exception_marks_the_batch_failed_and_writes_nothing(run_import, tmp_path, monkeypatch):
    import csv

    from lianfang.registry.importing import batches

    def broken(**kwargs):
        raise csv.Error("field larger than field limit (131072)")

    monkeypatch.setattr(batches, "plan_import", broken)
    before = registry_snapshot()
    batch = run_import(write(tmp_path, "ok.csv", f"{HEADER}阳光小区,1,1,701,刘一,{A1},\n"))
    assert batch.status == "failed"
    assert batch.message == "the import stopped on an unexpected error (Error); nothing was written"
    assert issues(batch) == [("", 0, "", "", batch.message)]
    assert registry_snapshot() == before


def test_failed_task_shows_on_the_batch_page(
    client_for, community_staff, population, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from lianfang.registry.importing import batches
    from lianfang.registry.models import ImportBatch

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batches, "plan_import", broken)
    client = client_for(community_staff)
    data = f"{HEADER}阳光小区,1,1,701,刘一,{A1},\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/registry/io/upload/",
            {"division": XIAXIYUAN, "file": SimpleUploadedFile("ok.csv", data), "kind": "registry"},
        )
    batch = ImportBatch.objects.get()
    assert batch.status == "failed"
    body = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "导入因意外错误（RuntimeError）而中止；未写入任何数据" in body


def test_header_only_file_is_an_error(run_import, tmp_path):
    batch = run_import(write(tmp_path, "empty.csv", HEADER))
    assert batch.status == "invalid"
    assert issues(batch) == [("", 0, "", "", "the file has no data rows under its header: nothing to import")]
    assert batch.counts["rows"] == 0


def test_fake_spreadsheet_names_the_file(run_import, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"just some text, not a workbook")
    batch = run_import(path)
    assert batch.status == "invalid"
    assert batch.message == "cannot open 名单.xlsx as xlsx: the file is damaged or is not really a xlsx file"


def test_markup_and_control_characters_are_not_names(run_import, tmp_path):
    before = registry_snapshot()
    text = (
        "小区,楼栋,单元,房号,姓名,身份证号,户联系人\n"
        f"阳光小区,1,1,701,<img src=x onerror=alert(1)>王,{A1},\n"
        "阳光小区,1,1,702,刘一,620103198001010021,<script>alert(1)</script>\n"
        "阳光小区,1,1,703,张\x07三,62010319800101003X,\n"
    )
    batch = run_import(write(tmp_path, "html.csv", text))
    reason = "not a plausible name: angle brackets and control characters are not allowed"
    assert issues(batch) == [
        ("csv", 2, "姓名 (E)", "<img src=x onerror=alert(1)>王", reason),
        ("csv", 3, "户联系人 (G)", "<script>alert(1)</script>", reason),
        ("csv", 4, "姓名 (E)", "张<U+0007>三", reason),  # the control character shown by its code
    ]
    assert registry_snapshot() == before


def test_services_refuse_implausible_names(population, english):
    from django.core.exceptions import ValidationError

    from lianfang.registry.services import household_create, validate_resident

    with pytest.raises(ValidationError) as caught:
        validate_resident(name="<b>王</b>", document_number=A1)
    assert caught.value.message_dict == {
        "name": ["not a plausible name: angle brackets and control characters are not allowed"]
    }
    with pytest.raises(ValidationError) as caught:
        household_create(actor=None, node=population["compound_a"], room="9", contact_name="x" * 61)
    assert caught.value.message_dict == {"contact_name": ["too long: 61 characters, at most 60"]}


def test_export_form_errors_redisplay_the_page(client_for, population, community_staff):
    client = client_for(community_staff)
    response = client.post("/registry/io/export/", {"division": XIAXIYUAN, "unmasked": "on"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert 'data-testid="upload-form"' in body
    assert '<ul class="errorlist" id="id_export_reason_error"><li>导出未脱敏数据必须填写事由</li></ul>' in body
    assert "&lt;ul" not in body
    response = client.post("/registry/io/export/", {"division": "620103002001"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "620103002001 不是可选的值，请从选项中选择。" in body  # core's wording of Django's message
    assert "&lt;ul" not in body


def test_rollback_names_the_records_that_use_created_rows(run_import, tmp_path, population):
    from lianfang.registry.importing.batches import RollbackError, import_batch_rollback
    from lianfang.registry.models import Household
    from lianfang.registry.services import resident_create, validate_resident

    batch = run_import(write(tmp_path, "one.csv", f"{HEADER}阳光小区,1,1,909,刘一,{A1},\n"))
    assert batch.status == "committed", batch.message
    household = Household.objects.get(room="909")
    data = validate_resident(name="刘二", document_number="620103198001010021")
    resident_create(actor=None, household=household, data=data)
    before = registry_snapshot()
    with pytest.raises(RollbackError) as caught:
        import_batch_rollback(actor=None, batch=batch)
    assert str(caught.value) == (
        "rows created by this import are now used by other records: "
        "household 下西园社区 阳光小区 1号楼 1单元 909 has 1 resident"
    )
    assert registry_snapshot() == before
    batch.refresh_from_db()
    assert batch.status == "committed"


def test_rollback_deletes_the_qr_tokens_of_the_households_it_removes(run_import, tmp_path, population, community_staff):
    """Trial 6: printing the QR sheet (/assistance/qr/) issues a token for every household on it, and the
    rollback of the import that created them was then refused ("仍被 1 条住户二维码令牌记录引用"). A
    token is only the household's printed link: it goes with the household (GOES_WITH_HOUSEHOLD)."""
    from lianfang.assistance.models import HouseholdToken
    from lianfang.assistance.services.tokens import household_token_issue, household_tokens_ensure
    from lianfang.registry.importing.batches import import_batch_rollback
    from lianfang.registry.models import Household

    before = registry_snapshot()
    kept = household_token_issue(actor=community_staff, household=population["h1"])[0]
    batch = run_import(write(tmp_path, "one.csv", f"{HEADER}阳光小区,1,1,909,刘一,{A1},\n"))
    assert batch.status == "committed", batch.message
    household = Household.objects.get(room="909")
    household_tokens_ensure(actor=community_staff, households=[household])  # the QR sheet
    household_token_issue(actor=community_staff, household=household)  # reissued: one revoked
    assert HouseholdToken.objects.filter(household=household).count() == 2

    import_batch_rollback(actor=community_staff, batch=batch, reason="录错了社区")

    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    assert registry_snapshot() == before
    assert list(HouseholdToken.objects.values_list("pk", flat=True)) == [kept.pk]  # another household's stays


def test_household_breadcrumbs_link_only_pages_in_scope(client_for, population, community_staff):
    household = population["h1"]
    body = client_for(community_staff).get(f"/registry/households/{household.pk}/").content.decode()
    assert f'href="/divisions/{household.community.code}/"' in body
    assert f'href="/divisions/{household.compound.code}/"' in body


def test_household_representative_gets_no_dead_breadcrumbs(client_for, representative, grid):
    household = grid["h1"]
    client = client_for(representative)
    response = client.get(f"/registry/households/{household.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/divisions/" not in body.split('<nav class="crumbs"')[1].split("</nav>")[0]
    assert f'<span class="muted">{household.compound.short_name}</span>' in body


def test_import_result_is_shown_in_the_viewer_language(
    client_for, population, community_staff, settings, django_capture_on_commit_callbacks
):
    from lianfang.registry.models import ImportBatch

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(community_staff)
    data = f"{HEADER}阳光小区,1,1,909,刘一,{A1},\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/registry/io/upload/", {"division": XIAXIYUAN, "file": SimpleUploadedFile("one.csv", data)})
    batch = ImportBatch.objects.get()
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "imported: 1 households and 1 residents created, 0 households and 0 residents updated" in page
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已导入：新增 1 户、1 人，更新 0 户、0 人" in page
    api = client.get(f"/api/v1/registry-imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api["message"] == "imported: 1 households and 1 residents created, 0 households and 0 residents updated"


def test_api_resident_filters_search_id_number_and_phone(client_for, population, community_staff):
    client = client_for(community_staff)

    def names(query):
        response = client.get(f"/api/v1/residents/?{query}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, response.content
        return sorted(r["name"] for r in response.json()["results"])

    everyone = names("")
    assert len(everyone) > 1
    assert names("search=zs") == ["张三"]
    assert names("search=李四") == ["李四"]
    assert names("id_number=11010519491231002x") == ["张三"]
    assert names("phone=139 1234 5678") == ["李四"]
    assert names("phone=13700000000") == []
    response = client.get("/api/v1/residents/?id_number=123", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]
    response = client.get("/api/v1/residents/?phone=12", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
