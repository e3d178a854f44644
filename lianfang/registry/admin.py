from django import forms
from django.contrib import admin

from lianfang.core.admin import ScopedAdmin
from lianfang.registry.models import Household, Resident
from lianfang.registry.services import name_problem, record_search, text_problem


class CheckedTextForm(forms.ModelForm):
    """An admin form refusing what the registry's own writes refuse: a name in ``NAME_FIELDS`` that is
    not a plausible name (services.name_problem: markup, control or invisible characters such as
    U+202E), a text in ``TEXT_FIELDS`` holding a control or invisible character
    (services.text_problem); each error is on its field and names the character's code."""

    NAME_FIELDS: tuple[str, ...] = ()
    TEXT_FIELDS: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        for names, check in ((self.NAME_FIELDS, name_problem), (self.TEXT_FIELDS, text_problem)):
            for name in names:
                value = cleaned.get(name)
                if value and (problem := check(value)):
                    self.add_error(name, problem)
        return cleaned


class HouseholdForm(CheckedTextForm):
    NAME_FIELDS = ("contact_name",)
    TEXT_FIELDS = ("room", "address")


class ResidentForm(CheckedTextForm):
    NAME_FIELDS = ("name",)
    TEXT_FIELDS = ("registration_address",)


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
    form = HouseholdForm
    list_display = ["address", "contact_name", "phone_masked", "path"]
    search_fields = ["address", "path"]
    raw_id_fields = ["district", "community", "compound", "building", "unit"]
    readonly_fields = ["phone_masked"]
    list_select_related = True


@admin.register(Resident)
class ResidentAdmin(AuditedSearchAdmin):
    form = ResidentForm
    list_display = ["name", "id_masked", "phone_masked", "sex", "birth_date", "residence_status"]
    list_filter = ["residence_status", "elderly_alone", "bedridden"]
    search_fields = ["name", "name_initials", "id_last4"]
    raw_id_fields = ["household", "guardian"]
    readonly_fields = ["id_masked", "phone_masked"]
