"""Forms of the field-operations pages (validation of shapes only; rules live in services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


class GateForm(forms.Form):
    """Add a gate to a compound or village."""

    division = forms.CharField(label=_("Compound or village (code)"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=GateKind.choices, initial=GateKind.MIXED)
    guards_per_shift = forms.IntegerField(label=_("Guards per shift"), min_value=1, max_value=20, initial=1)
    shift_pattern = forms.CharField(label=_("Shift pattern"), max_length=40, required=False)


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


class CheckpointForm(forms.Form):
    """Add a patrol checkpoint."""

    division = forms.CharField(label=_("Compound or village (code)"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=80)


class PersonForm(forms.Form):
    """Add one screened person by hand."""

    category = forms.ChoiceField(label=_("Category"), choices=PersonCategory.choices)
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    division = forms.CharField(label=_("Community or compound (code), if known"), max_length=20, required=False)
    household = forms.IntegerField(label=_("Household number, if known"), required=False)
    address = forms.CharField(label=_("Address given"), max_length=200, required=False)
    origin = forms.CharField(label=_("Coming from"), max_length=120, required=False)
    arrived_on = forms.DateField(label=_("Arrived on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    risk_area = forms.CharField(label=_("Risk area travelled through"), max_length=200, required=False)
    infection = forms.IntegerField(label=_("Index case number (close contact)"), required=False)
    source_contact = forms.IntegerField(label=_("Linked close contact number (secondary contact)"), required=False)
    last_exposure_on = forms.DateField(
        label=_("Last exposure"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class StatusForm(forms.Form):
    """Change a person's status (reason code and evidence required)."""

    to_status = forms.ChoiceField(label=_("New status"), choices=PersonStatus.choices)
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=StatusReason.choices)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    """Pin the place of a person known to city level only."""

    household = forms.IntegerField(label=_("Household number"), required=False)
    division = forms.CharField(label=_("Community or compound (code)"), max_length=20, required=False)
    evidence = forms.CharField(label=_("How it was verified"), max_length=500)


class TestResultForm(forms.Form):
    """Record a quarantine test result."""

    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(TestResult.NEGATIVE, TestResult.NEGATIVE.label), (TestResult.POSITIVE, TestResult.POSITIVE.label)],
    )
    result_on = forms.DateField(label=_("Result on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sample_ref = forms.CharField(label=_("Sample or tube"), max_length=60, required=False)


class ExposureForm(forms.Form):
    """Record another exposure of a contact."""

    exposure_on = forms.DateField(label=_("Exposure day"), widget=forms.DateInput(attrs={"type": "date"}))
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

    temperature = forms.CharField(label=_("Temperature (°C)"), max_length=5)
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"), choices=Symptom.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class MonitoringForm(forms.Form):
    """Start home health monitoring."""

    household = forms.IntegerField(label=_("Household number"))
    resident = forms.IntegerField(label=_("Resident number (optional)"), required=False)
    name = forms.CharField(label=_("Name (when not a registered resident)"), max_length=60, required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ScheduleForm(forms.Form):
    """Add a disinfection schedule."""

    division = forms.CharField(label=_("Compound or village (code)"), max_length=20)
    place = forms.CharField(label=_("Public area"), max_length=80)
    interval_hours = forms.IntegerField(label=_("Every (hours)"), min_value=1, max_value=168, initial=24)


class DisinfectionLogForm(forms.Form):
    """Record a disinfection done."""

    performed_by = forms.CharField(label=_("Done by"), max_length=60)
    agent = forms.CharField(label=_("Agent"), max_length=80, initial="含氯消毒剂")
    concentration_mg_l = forms.CharField(label=_("Concentration (mg/L)"), max_length=10, initial="500")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class NoticeForm(forms.Form):
    """Write a notice (draft)."""

    division = forms.CharField(label=_("Community or compound (code)"), max_length=20, required=False)
    control_area = forms.IntegerField(label=_("Control area number"), required=False)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), max_length=NOTICE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 6}))


class ChannelForm(forms.Form):
    """Add a group-robot webhook channel."""

    division = forms.CharField(label=_("Division (code)"), max_length=20)
    name = forms.CharField(label=pgettext_lazy("channel", "Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=_("Signing secret (DingTalk, optional)"), max_length=200, required=False)
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False)
