# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""An import's problems and report never show ID or phone numbers to a viewer who may not see them
(new-user trial: a stationed cadre read full ID numbers from /registry/io/<id>/ and its API, and
downloaded the report, without an audit entry)."""

from __future__ import annotations

import datetime as dt

import pytest

from lianfang.registry.tests.fixtures.importing import FIXTURES, english  # noqa: F401

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
DUPLICATE_ID = "620103198001010013"  # 刘一, twice in problems.xlsx


@pytest.fixture
def cadre(qilihe):
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    user = User.objects.create_user(username="cadre", password="x", display_name="cadre")
    RoleAssignment.objects.create(
        user=user,
        role="stationed_cadre",
        division=Division.objects.get(code=XIAXIYUAN),
        starts_on=dt.date(2020, 1, 1),
    )
    return user


@pytest.fixture
def invalid_batch(population, community_staff, english):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    return registry_import(
        actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=FIXTURES / "problems.xlsx"
    )


def _exports(batch):
    from lianfang.core.models import AuditEntry

    return list(
        AuditEntry.objects.filter(action="export", object_type="registry.importbatch", object_id=str(batch.pk))
        .order_by("id")
        .values_list("actor__username", "reason")
    )


def test_the_stored_problems_hold_the_number_but_no_viewer_sees_it(invalid_batch, community_staff, cadre, client_for):
    values = [issue["value"] for issue in invalid_batch.issues]
    assert DUPLICATE_ID in values  # kept as written, for the report
    for user in (community_staff, cadre):
        page = client_for(user).get(f"/registry/io/{invalid_batch.pk}/").content.decode()
        assert DUPLICATE_ID not in page and "13800000001" not in page
        assert "6201**********0013" in page


def test_the_api_masks_problems_and_offers_the_report_only_to_who_may_download_it(
    invalid_batch, community_staff, cadre, api_for
):
    staff = api_for(community_staff).get(f"/api/v1/registry-imports/{invalid_batch.pk}/").json()
    seen = api_for(cadre).get(f"/api/v1/registry-imports/{invalid_batch.pk}/").json()
    for body in (staff, seen):
        values = [issue["value"] for issue in body["issues"]]
        assert DUPLICATE_ID not in values and "6201**********0013" in values
    assert staff["report_url"] == f"/api/v1/registry-imports/{invalid_batch.pk}/report/"
    assert seen["report_url"] is None


def test_the_report_needs_reveal_and_export_and_every_download_is_audited(
    invalid_batch, community_staff, cadre, client_for, api_for
):
    assert _exports(invalid_batch) == []
    refused_page = client_for(cadre).get(f"/registry/io/{invalid_batch.pk}/report/")
    refused_api = api_for(cadre).get(f"/api/v1/registry-imports/{invalid_batch.pk}/report/")
    assert (refused_page.status_code, refused_api.status_code) == (403, 403)
    page = client_for(cadre).get(f"/registry/io/{invalid_batch.pk}/").content.decode()
    assert 'data-testid="report-withheld"' in page and 'data-testid="report-link"' not in page
    assert _exports(invalid_batch) == []

    page = client_for(community_staff).get(f"/registry/io/{invalid_batch.pk}/")
    assert 'data-testid="report-link"' in page.content.decode()
    download = client_for(community_staff).get(f"/registry/io/{invalid_batch.pk}/report/")
    api_download = api_for(community_staff).get(f"/api/v1/registry-imports/{invalid_batch.pk}/report/")
    assert (download.status_code, api_download.status_code) == (200, 200)
    assert b"".join(download.streaming_content)[:2] == b"PK"  # an XLSX
    assert _exports(invalid_batch) == [("staff", "import_report"), ("staff", "import_report")]


def test_a_grid_worker_gets_no_empty_upload_form(population, community_staff, client_for):
    """A grid worker may edit the households of a compound, but rosters go into a community or
    above: the page says so instead of offering a form with an empty "Import into" list."""
    from lianfang.accounts.models import RoleAssignment, User

    grid = User.objects.create_user(username="grid", password="x", display_name="grid")
    RoleAssignment.objects.create(
        user=grid, role="grid_worker", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    page = client_for(grid).get("/registry/io/").content.decode()
    assert 'data-testid="no-import-target"' in page and 'data-testid="upload-form"' not in page
    staff = client_for(community_staff).get("/registry/io/").content.decode()
    assert 'data-testid="upload-form"' in staff and 'data-testid="no-import-target"' not in staff
    assert f'<option value="{XIAXIYUAN}"' in staff
