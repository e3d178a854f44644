from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.divisions.models import Division


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    list_display = ["code", "short_name", "level", "kind", "is_official"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "district"]
    readonly_fields = ["geometry"]
