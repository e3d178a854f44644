"""An admin search of people (residents, households) is audited as registry.search, query masked."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from lianfang.core.models import AuditEntry


def test_admin_resident_search_is_audited(client, population):
    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    response = client.get("/admin/registry/resident/", {"q": "邹娟红"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="registry.search")
    assert entry.actor == admin and entry.detail["where"] == "admin:registry.resident"
    assert entry.detail["query"]["q"] != "" and "results" in entry.detail
    client.get("/admin/registry/household/", {"q": "1号楼"})
    assert AuditEntry.objects.filter(action="registry.search", detail__where="admin:registry.household").count() == 1
    client.get("/admin/registry/resident/")
    assert AuditEntry.objects.filter(action="registry.search").count() == 2
