from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.registry.models import Household, Resident


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ["address", "contact_name", "phone_masked", "path"]
    search_fields = ["address", "path"]
    raw_id_fields = ["district", "community", "compound", "building", "unit"]
    readonly_fields = ["phone_masked"]
    list_select_related = True


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    list_display = ["name", "id_masked", "phone_masked", "sex", "birth_date", "residence_status"]
    list_filter = ["residence_status", "elderly_alone", "bedridden"]
    search_fields = ["name", "name_initials", "id_last4"]
    raw_id_fields = ["household", "guardian"]
    readonly_fields = ["id_masked", "phone_masked"]
