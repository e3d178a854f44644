"""Forms of the field-operations pages (validation of shapes only; rules live in services)."""

from __future__ import annotations

import unicodedata

from django import forms
from django.apps import apps
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import (
    CODE_VALIDATOR,
    MAX_ID,
    CodeField,
    DayField,
    NamesTheValue,
    SafeModelChoiceField,
    normalize_code,
)
from lianfang.divisions.models import Division
from lianfang.fieldops.models import (
    NOTICE_BODY_MAX,
    ChannelKind,
    Direction,
    GateKind,
    PersonCategory,
    PersonStatus,
    Purpose,
    StatusReason,
    Symptom,
    TestResult,
)


def division_in_scope(user, code: str) -> Division:
    """The division ``code`` if ``user`` sees it. Raises ValidationError (code ``invalid_code``) with
    CODE_VALIDATOR's message for a value that is not 1-20 digits, and (code ``out_of_scope``)
    “unknown or out-of-scope division code: <value>” for one the user does not see. ``code`` is
    normalised first (core.filters.normalize_code: full-width digits read as digits)."""
    code = normalize_code(code)
    CODE_VALIDATOR(code)
    found = Division.objects.visible_to(user).filter(code=code).first()
    if found is None:
        raise forms.ValidationError(
            gettext("unknown or out-of-scope division code: %(value)s") % {"value": code}, code="out_of_scope"
        )
    return found


class DivisionCodeField(CodeField):
    """A division code (1-20 digits; full-width digits read as digits, core.filters.CodeField) of a
    division ``user`` sees; cleans to the Division (None when empty). A malformed value fails with
    CODE_VALIDATOR's message (“abc” is not a division code …), an unknown or out-of-scope one with
    “unknown or out-of-scope division code: <value>” — a field error, never a 404 that loses what
    was typed. ``user`` is set by :class:`ScopedForm`."""

    user = None

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.validators.append(CODE_VALIDATOR)

    def clean(self, value):
        code = super().clean(value)
        return division_in_scope(self.user, code) if code else None


class ScopedRowField(NamesTheValue, forms.IntegerField):
    """The number (id) of a row of ``model`` (``"app_label.Model"``) that ``user`` sees; cleans to the
    row (None when empty). Not a number, or a number of no row the user sees, is a field error
    naming the value (“unknown or out-of-scope household number: 99999”)."""

    default_error_messages = {"invalid": _("“%(value)s” is not a number")}
    user = None

    def __init__(self, model: str, **kwargs):
        self.model_label = model
        super().__init__(**kwargs)

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        model = apps.get_model(self.model_label)
        found = model.objects.visible_to(self.user).filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
        if found is None:
            raise forms.ValidationError(
                gettext("unknown or out-of-scope %(model)s number: %(value)s")
                % {"model": model._meta.verbose_name, "value": pk},
                code="out_of_scope",
            )
        return found


class ScopedForm(forms.Form):
    """A form whose :class:`DivisionCodeField` and :class:`ScopedRowField` fields look values up in
    the scope of ``user`` (keyword argument; no user → nothing is found)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, DivisionCodeField | ScopedRowField):
                field.user = user


class CountField(NamesTheValue, forms.IntegerField):
    """A whole number ``low`` … ``high``; a value that is not one, or outside, is a field error naming
    it (“-5” is not between 1 and 168)."""

    default_error_messages = {"invalid": _("“%(value)s” is not a whole number")}

    def __init__(self, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault("widget", forms.NumberInput(attrs={"min": low, "max": high}))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.low <= value <= self.high:
            raise forms.ValidationError(
                gettext("“%(value)s” is not between %(low)d and %(high)d")
                % {"value": value, "low": self.low, "high": self.high},
                code="out_of_range",
            )


class AmountField(NamesTheValue, forms.DecimalField):
    """A decimal number (the range is the service's rule); “abc” is not a number names the value."""

    default_error_messages = {"invalid": _("“%(value)s” is not a number")}


class GateForm(ScopedForm):
    """Add a gate to a compound or village."""

    division = DivisionCodeField(label=_("Compound or village (code)"))
    name = forms.CharField(label=pgettext_lazy("place", "Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=GateKind.choices, initial=GateKind.MIXED)
    guards_per_shift = CountField(1, 20, label=_("Guards per shift"), initial=1)
    shift_pattern = forms.ChoiceField(label=_("Shift pattern"), required=False)

    def __init__(self, *args, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift_pattern"].choices = shift_pattern_choices(rules)


def shift_pattern_choices(rules=None) -> list[tuple[str, str]]:
    """The choices of a gate's shift pattern (班次模式): blank, “Default (<name>)”, then each pattern
    of ``rules`` (a FieldRuleSet; default: the one in force today) by its name in the active language
    (``name_en`` in English, ``name`` otherwise). A value outside them is refused by the form, naming it."""
    from django.utils.translation import get_language  # noqa: PLC0415

    from lianfang.fieldops import rules as field_rules  # noqa: PLC0415

    rules = rules or field_rules.in_force()
    english = (get_language() or "").startswith("en")
    patterns = rules.shift_patterns or {}

    def name(key):
        pattern = patterns.get(key) or {}
        return (pattern.get("name_en") if english else pattern.get("name")) or pattern.get("name") or key

    default = gettext("Default (%(name)s)") % {"name": name(rules.default_shift_pattern)}
    return [("", default), *((key, name(key)) for key in patterns)]


class RosterGenerateForm(forms.Form):
    """Generate the duty roster of a period: from ``day``, ``days`` days (1-31; the service bounds
    how far ahead: services.gates.duty_roster_period_check)."""

    day = DayField(label=_("From"))
    days = CountField(1, 31, label=_("Number of days"), initial=1, required=False)  # blank: 1


class PassageForm(forms.Form):
    """The guard's registration form: a resident (chosen after a search) or a visitor."""

    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, widget=forms.RadioSelect)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    resident = forms.IntegerField(required=False, widget=forms.HiddenInput)
    visitor_name = forms.CharField(label=_("Visitor name"), max_length=60, required=False)
    visitor_phone = forms.CharField(label=_("Visitor phone (optional)"), max_length=20, required=False)
    visitor_id = forms.CharField(label=_("Visitor ID number (optional)"), max_length=20, required=False)
    pass_ref = forms.CharField(label=_("Exit pass number (if shown)"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)


class CheckpointForm(ScopedForm):
    """Add a patrol checkpoint."""

    division = DivisionCodeField(label=_("Compound or village (code)"))
    name = forms.CharField(label=pgettext_lazy("place", "Name"), max_length=80)


class PersonForm(ScopedForm):
    """Add one screened person by hand."""

    category = forms.ChoiceField(label=_("Category"), choices=PersonCategory.choices)
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    division = DivisionCodeField(label=_("Community or compound (code), if known"), required=False)
    household = ScopedRowField("registry.Household", label=_("Household number, if known"), required=False)
    address = forms.CharField(label=_("Address given"), max_length=200, required=False)
    origin = forms.CharField(label=_("Coming from"), max_length=120, required=False)
    arrived_on = DayField(label=_("Arrived on"), required=False, past_only=True)
    risk_area = forms.CharField(label=_("Risk area travelled through"), max_length=200, required=False)
    infection = ScopedRowField("zones.Infection", label=_("Index case number (close contact)"), required=False)
    source_contact = ScopedRowField(
        "fieldops.ScreenedPerson", label=_("Linked close contact number (secondary contact)"), required=False
    )
    last_exposure_on = DayField(label=_("Last exposure"), required=False, past_only=True)


class StatusForm(forms.Form):
    """Change a person's status (reason code and evidence required)."""

    to_status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=StatusReason.choices)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(ScopedForm):
    """Pin the place of a person known to city level only."""

    household = ScopedRowField("registry.Household", label=_("Household number"), required=False)
    division = DivisionCodeField(label=_("Community or compound (code)"), required=False)
    evidence = forms.CharField(label=_("How it was verified"), max_length=500)


class TestResultForm(forms.Form):
    """Record a quarantine test result."""

    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(TestResult.NEGATIVE, TestResult.NEGATIVE.label), (TestResult.POSITIVE, TestResult.POSITIVE.label)],
    )
    result_on = DayField(label=_("Result on"), required=False)
    sample_ref = forms.CharField(label=_("Sample or tube"), max_length=60, required=False)


class ExposureForm(forms.Form):
    """Record another exposure of a contact."""

    exposure_on = DayField(label=_("Exposure day"), past_only=True)
    evidence = forms.CharField(label=_("Evidence"), max_length=500)


class ImportForm(forms.Form):
    """Upload a screening list."""

    file = forms.FileField(label=_("Screening list (XLSX, XLS, ODS or CSV)"))
    category = forms.ChoiceField(label=_("Category of rows without a 类别 column"), choices=PersonCategory.choices)


class BulkForm(forms.Form):
    """Request a status change for the people ticked."""

    to_status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=StatusReason.choices)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}))


class CheckInForm(forms.Form):
    """A daily health check-in (temperature in °C, symptoms)."""

    # Parsed and range-checked by services.monitoring.health_check_in_record (its message names the value
    # and the range; "36.5℃", "３６．５", "36,5" are read); the form only bounds the text's length.
    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5, "placeholder": "36.5"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"), choices=Symptom.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class HouseholdChoiceField(SafeModelChoiceField):
    """A household picked by its address from a list (the households the form's user sees), never
    typed as an internal number; a posted value that is not one of them is “<value>” is not one of
    the choices you may pick."""

    def label_from_instance(self, obj) -> str:
        return obj.address


class MonitoringForm(ScopedForm):
    """Start home health monitoring: the household picked by its address from those ``user`` sees
    (narrowed to the division ``code`` the page shows, when given), the person by name — a resident of
    that household of that name is linked (the period then counts for that resident), anyone else
    staying there is recorded by name. New-user trial 14: the form asked for internal household and
    resident numbers, which a worker cannot know."""

    household = HouseholdChoiceField(queryset=None, label=_("Household"))
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("A resident of the household of this name is linked; anyone else is recorded by name."),
    )
    starts_on = DayField(label=_("Starts on"))
    ends_on = DayField(label=_("Ends on"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, user=None, code: str = "", **kwargs):
        super().__init__(*args, user=user, **kwargs)
        household_model = apps.get_model("registry.Household")
        households = household_model.objects.visible_to(user) if user is not None else household_model.objects.none()
        if code:
            households = households.within(code)
        self.fields["household"].queryset = households.order_by("path", "address", "id")
        self.fields["household"].empty_label = gettext("Pick the household")

    def clean(self):
        """Adds ``resident``: the one resident (not deceased) of the household named ``name``
        (spaces and full-width forms ignored), None when there is none. Two residents of that name
        are a field error on ``name`` naming it (rare; the API takes the resident's number)."""
        data = super().clean()
        household, name = data.get("household"), " ".join(unicodedata.normalize("NFKC", data.get("name") or "").split())
        data["resident"] = None
        if household is not None and name:
            resident_model = apps.get_model("registry.Resident")
            found = list(resident_model.objects.filter(household=household, name=name, is_deceased=False)[:2])
            if len(found) > 1:
                self.add_error(
                    "name",
                    gettext("more than one resident of %(household)s is named “%(name)s”")
                    % {"household": household.address, "name": name},
                )
            elif found:
                data["resident"] = found[0]
        data["name"] = name
        return data


class ScheduleForm(ScopedForm):
    """Add a disinfection schedule."""

    division = DivisionCodeField(label=_("Compound or village (code)"))
    place = forms.CharField(label=_("Public area"), max_length=80)
    interval_hours = CountField(1, 168, label=_("Every (hours)"), initial=24)


class DisinfectionLogForm(forms.Form):
    """Record a disinfection done."""

    performed_by = forms.CharField(label=_("Done by"), max_length=60)
    agent = forms.CharField(label=_("Agent"), max_length=80, initial=_("chlorine-based disinfectant"))
    concentration_mg_l = AmountField(label=_("Concentration (mg/L)"), initial="500")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class NoticeForm(ScopedForm):
    """Write a notice (draft)."""

    division = DivisionCodeField(label=_("Community or compound (code)"), required=False)
    control_area = ScopedRowField("zones.ControlArea", label=_("Control area number"), required=False)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=NOTICE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 6}))


class ChannelForm(ScopedForm):
    """Add a group-robot webhook channel."""

    division = DivisionCodeField(label=_("Division code"))
    name = forms.CharField(label=pgettext_lazy("channel", "Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("Signing secret (DingTalk, optional)"), max_length=200, required=False)
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False)
