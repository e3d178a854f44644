"""Text of the registry pages in zh-Hans and English (new-user trial 7): the members' count in the
language's brackets ("家庭成员（3）", "Members (3)"), the breadcrumb landmark named by the registry's
own word (not Django admin's "条形导航"), and the import page naming exactly the files the importer
reads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianfang.conftest import XIAXIYUAN
from lianfang.divisions.models import Division

pytestmark = pytest.mark.django_db

LANGUAGES = [("zh-hans", "家庭成员（{n}）", "位置导航"), ("en", "Members ({n})", "Breadcrumbs")]


@pytest.mark.parametrize(("language", "members", "landmark"), LANGUAGES)
def test_household_page_counts_members_in_the_languages_brackets(
    client_for, population, community_staff, language, members, landmark
):
    household = population["h1"]
    body = (
        client_for(community_staff)
        .get(f"/registry/households/{household.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f"<h2>{members.format(n=household.residents.count())}</h2>" in body
    assert f'<nav class="crumbs" aria-label="{landmark}">' in body


ACCEPTED = {
    "zh-hans": "编码可为 UTF-8（带或不带字节顺序标记）、GBK/GB18030 或带字节顺序标记的 UTF-16，系统自动识别",
    "en": "in UTF-8 (with or without a byte-order mark), GBK/GB18030 or UTF-16 with a byte-order mark",
}


@pytest.mark.parametrize(("language", "accepted", "landmark"), [
    ("zh-hans", ACCEPTED["zh-hans"], "位置导航"), ("en", ACCEPTED["en"], "Breadcrumbs"),
])  # fmt: skip
def test_import_pages_name_what_the_importer_reads(
    client_for, population, community_staff, settings, django_capture_on_commit_callbacks, language, accepted, landmark
):
    from lianfang.registry.models import ImportBatch

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client = client_for(community_staff)
    page = client.get("/registry/io/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert accepted in page
    assert ".xlsx" in page and ".ods" in page and ".tsv" in page
    header = "社区,小区,楼栋,单元,房号,姓名,身份证号,与户主关系\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/registry/io/upload/",
            {"division": XIAXIYUAN, "file": SimpleUploadedFile("one.csv", header.encode("gb18030"))},
        )
    batch = ImportBatch.objects.get()
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<nav class="crumbs" aria-label="{landmark}">' in page
    assert f"<span>#{batch.pk}</span></nav>" in page


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "下西园社区（{code}）"), ("en", "下西园社区 ({code})")])
def test_a_division_names_its_code_in_the_languages_brackets(population, language, expected):
    from django.utils import translation

    division = Division.objects.get(code=XIAXIYUAN)
    with translation.override(language):
        assert str(division) == expected.format(code=XIAXIYUAN)
