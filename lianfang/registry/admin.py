from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.registry.models import Household, Resident
from lianfang.registry.services import record_search


class AuditedSearchAdmin(ScopedAdmin):
    """An admin changelist that looks people up: a search (``?q=``) is audited once per request as
    ``registry.search`` through registry.services.record_search (query masked, rows found, ``where``
    ``admin:<app>.<model>``), like the registry pages and API."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            record_search(
                actor=request.user,
                params=request.GET,
                results=changelist.result_count,
                where=f"admin:{self.model._meta.label_lower}",
            )
        return response


@admin.register(Household)
class HouseholdAdmin(AuditedSearchAdmin):
    list_display = ["address", "contact_name", "phone_masked", "path"]
    search_fields = ["address", "path"]
    raw_id_fields = ["district", "community", "compound", "building", "unit"]
    readonly_fields = ["phone_masked"]
    list_select_related = True


@admin.register(Resident)
class ResidentAdmin(AuditedSearchAdmin):
    list_display = ["name", "id_masked", "phone_masked", "sex", "birth_date", "residence_status"]
    list_filter = ["residence_status", "elderly_alone", "bedridden"]
    search_fields = ["name", "name_initials", "id_last4"]
    raw_id_fields = ["household", "guardian"]
    readonly_fields = ["id_masked", "phone_masked"]
