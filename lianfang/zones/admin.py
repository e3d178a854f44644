"""Admin: read-only views of zones data (every change goes through services.py and the pages)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianfang.core.admin import ScopedAdmin
from lianfang.zones.models import ControlArea, ControlAreaEvent, Infection, ManualEvidence, Operation, RuleSet


class ReadOnlyScopedAdmin(ScopedAdmin):
    """Rows through ``visible_to``; no add, change or delete (writes are audited services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyScopedAdmin):
    """Rule sets, their citations shown as on the pages (``display_source``: the shipped text in the
    reader's language while unchanged, an edited text as its author wrote it), never the developer
    notes migration 0002 stores in ``source`` and ``quarantine_source``."""

    list_display = ["key", "name", "edition", "effective_from", "is_builtin", "is_default", "district"]
    list_filter = ["is_builtin", "edition"]
    exclude = ["source", "quarantine_source"]
    readonly_fields = ["shown_source", "shown_quarantine_source"]

    @admin.display(description=_("source"))
    def shown_source(self, obj: RuleSet) -> str:
        return obj.display_source

    @admin.display(description=_("source of the contact rules"))
    def shown_quarantine_source(self, obj: RuleSet) -> str:
        return obj.display_quarantine_source


@admin.register(Operation)
class OperationAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "district", "rule_set", "started_on", "ended_on", "status"]
    list_filter = ["status"]
    list_select_related = ["district", "rule_set"]


@admin.register(Infection)
class InfectionAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", "detected_on", "path", "operation"]
    search_fields = ["path"]
    list_select_related = ["operation"]


@admin.register(ControlArea)
class ControlAreaAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "tier", "status", "effective_from", "ended_at", "path"]
    list_filter = ["status", "tier__key"]
    search_fields = ["name", "path"]
    list_select_related = ["tier"]


@admin.register(ControlAreaEvent)
class ControlAreaEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "area", "kind", "reason_code", "overridden", "actor"]
    list_filter = ["kind", "overridden"]
    list_select_related = ["area", "actor"]


@admin.register(ManualEvidence)
class ManualEvidenceAdmin(ReadOnlyScopedAdmin):
    list_display = ["area", "kind", "day", "all_negative", "people", "entered_by"]
    list_filter = ["kind"]
    list_select_related = ["area", "entered_by"]
