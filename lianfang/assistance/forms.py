"""Forms of the service-request pages (phone first: few fields, big buttons)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.assistance.models import Category, Channel, CheckInResult, FiledBy, Outcome, Priority
from lianfang.assistance.selectors import NOT_A_HANDOFF_CANDIDATE
from lianfang.core.filters import DayField
from lianfang.core.forms import field_line

URGENCY_CHOICES = [("", _("Not stated")), *Priority.choices]


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Copy a service's ValidationError onto ``form`` (field errors where the field exists). An error
    about something that is no field of the form goes above it, introduced by the translated name
    ``form.other_labels`` gives it ("诉求：请先受理…"), else alone — never by the service's raw
    key ("ticket：…", new-user trial 16)."""
    other_labels = getattr(form, "other_labels", {})
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            target = name if name in form.fields else None
            for message in errors:
                if target is None and name in other_labels:
                    message = field_line(other_labels[name], message)
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class IntakeForm(forms.Form):
    """A staff member or hotline operator files a need on behalf of a household."""

    category = forms.ChoiceField(label=_("What is needed"), choices=Category.choices)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    resident = forms.TypedChoiceField(
        label=_("For whom"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("unknown or out-of-scope resident number: %(value)s")},
    )
    resident_urgency = forms.ChoiceField(
        label=_("Urgency as the resident says"), choices=URGENCY_CHOICES, required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(Channel.STAFF, Channel.STAFF.label), (Channel.HOTLINE, Channel.HOTLINE.label)]
    )
    filed_by = forms.ChoiceField(
        label=_("Who is asking"),
        choices=[(v, label) for v, label in FiledBy.choices if v in ("household", "relative", "volunteer", "staff")],
        initial=FiledBy.HOUSEHOLD,
    )
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=60, required=False)
    phone = forms.CharField(label=_("Call-back phone"), max_length=20, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [("", _("The household"))] + [(m.pk, m.name) for m in members]


class ResidentIntakeForm(forms.Form):
    """A resident (or a relative, with the household's printed link) files a need."""

    category = forms.ChoiceField(label=_("What do you need?"), choices=Category.choices)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    resident_urgency = forms.ChoiceField(
        label=_("How urgent?"), choices=Priority.choices, initial=Priority.NORMAL, widget=forms.RadioSelect
    )
    filed_by = forms.ChoiceField(
        label=_("I am"),
        choices=[
            (FiledBy.HOUSEHOLD, _("A member of this household")),
            (FiledBy.RELATIVE, _("A relative filing for them")),
            (FiledBy.VOLUNTEER, _("A volunteer or neighbour filing for them")),
        ],
        initial=FiledBy.HOUSEHOLD,
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone to call back (optional)"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""  # the questions end with their own "?"


class TriageForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    public = forms.BooleanField(label=_("Show to the household"), required=False)


class StepForm(forms.Form):
    """Start / on site / fulfil / confirm on the household's behalf: an optional note."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class HandOffForm(forms.Form):
    """Offer a ticket to someone else. ``candidates`` are the only users offered and accepted
    (``selectors.handoff_candidates``); any other ``to`` — not a number, unknown, or a user outside that
    list — is a field error naming the value. ``cleaned_data["to"]`` is the chosen User (the service
    checks it again: services.service_request_hand_off is where the rule lives)."""

    to = forms.TypedChoiceField(
        label=_("Hand off to"), coerce=int, error_messages={"invalid_choice": NOT_A_HANDOFF_CANDIDATE}
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {u.pk: u for u in candidates}
        self.fields["to"].choices = [(u.pk, str(u)) for u in candidates]

    def clean_to(self):
        return self.candidates[self.cleaned_data["to"]]


class ExitPassForm(forms.Form):
    """One approval, several windows: e.g. a daily injection for six days."""

    other_labels = {"ticket": _("service request")}

    resident = forms.TypedChoiceField(label=_("Person"), coerce=int)
    destination = forms.CharField(label=_("Destination facility"), max_length=120)
    purpose = forms.CharField(label=_("Purpose"), max_length=120)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=60)
    companion = forms.CharField(label=_("Companion"), max_length=60, required=False)
    first_day = DayField(label=_("First day"))
    days = forms.IntegerField(label=_("Number of trips"), min_value=1, max_value=31, initial=1)
    every_days = forms.IntegerField(label=_("Every (days)"), min_value=1, max_value=14, initial=1)
    window_start = forms.TimeField(label=_("Out from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    window_end = forms.TimeField(label=_("Back by"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [(m.pk, m.name) for m in members]
        self.fields["first_day"].initial = timezone.localdate()


class MedicineForm(forms.Form):
    resident = forms.TypedChoiceField(
        label=_("Resident"),
        coerce=int,
        error_messages={"invalid_choice": _("unknown or out-of-scope resident number: %(value)s")},
    )
    name = forms.CharField(label=_("Medicine"), max_length=80)
    unit = forms.CharField(label=_("Dose unit"), max_length=12, initial="片")
    dose_per_day = forms.DecimalField(label=_("Dose per day"), min_value=0, max_digits=8, decimal_places=2)
    stock = forms.DecimalField(label=_("Stock on hand"), min_value=0, max_digits=10, decimal_places=2)
    stock_counted_on = DayField(label=_("Counted on"), past_only=True)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].choices = [(m.pk, m.name) for m in members]
        self.fields["stock_counted_on"].initial = timezone.localdate()


class CheckInForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=CheckInResult.choices, initial=CheckInResult.OK)
    category = forms.ChoiceField(label=_("Help needed"), choices=Category.choices, initial=Category.OTHER)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PlanForm(forms.Form):
    code = forms.CharField(label=_("Area (division code)"), max_length=20)
    day = DayField(label=_("Delivery day"))
    name = forms.CharField(label=_("Plan name"), max_length=120)
    contents = forms.CharField(label=_("Contents"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("a division code is digits, got “%(value)s”"), params={"value": code})
        return code


class TenantForm(forms.Form):
    building = forms.TypedChoiceField(label=_("Building"), coerce=int)
    room = forms.CharField(label=_("Room"), max_length=20)
    headcount = forms.IntegerField(label=_("People"), min_value=1, max_value=30)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.pk, b.short_name) for b in buildings]


class PartnerImportForm(forms.Form):
    partner_name = forms.CharField(label=_("Partner"), max_length=80)
    file = forms.FileField(label=_("List (.xlsx, .xls, .ods or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)
