from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from lianfang.accounts.models import RoleAssignment, User
from lianfang.core.admin import ScopedAdmin


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["division"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Lianfang", {"fields": ["display_name"]}))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ["user", "role", "division", "starts_on", "ends_on"]
    list_filter = ["role"]
    raw_id_fields = ["division", "user"]
