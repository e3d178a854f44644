"""Forms of the zones pages. They parse and look up; every rule is checked by services.py."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.filters import DayField, MomentField, normalize_code
from lianfang.core.forms import bracketed, listing
from lianfang.divisions.models import Division
from lianfang.zones.models import EvidenceKind, LiftRule, PlaceKind, RuleSet
from lianfang.zones.services import EVIDENCE_PEOPLE_MAX, INFECTION_NOTE_MAX

_SPLIT = re.compile(r"[\s,，、;；]+")


def parse_codes(text: str, *, user, field: str) -> list[Division]:
    """Division nodes for the codes in ``text`` (spaces, commas or 、 between them), looked up in
    ``user``'s scope; full-width digits read as digits (core.filters.normalize_code). Raises
    ValidationError naming each unknown code."""
    codes = [c for c in _SPLIT.split(normalize_code(text)) if c]
    bad = [c for c in codes if not (c.isascii() and c.isdigit())]
    if bad:
        raise forms.ValidationError(_("not division codes: %(codes)s") % {"codes": listing(bad)}, code=field)
    found = Division.objects.visible_to(user).in_bulk(codes, field_name="code")
    missing = [c for c in codes if c not in found]
    if missing:
        raise forms.ValidationError(
            _("unknown or out-of-scope division codes: %(codes)s") % {"codes": listing(missing)}, code=field
        )
    return [found[c] for c in dict.fromkeys(codes)]


class OperationForm(forms.Form):
    """Open an operation in the district."""

    name = forms.CharField(label=_("Operation name"), max_length=120)
    rule_set = forms.ModelChoiceField(label=_("Rule set"), queryset=RuleSet.objects.none(), empty_label=None)
    started_on = DayField(label=_("Started on"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].queryset = RuleSet.objects.visible_to(user).order_by("-is_default", "effective_from")


class RuleSetChangeForm(forms.Form):
    rule_set = forms.ModelChoiceField(label=_("Rule set"), queryset=RuleSet.objects.none(), empty_label=None)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].queryset = RuleSet.objects.visible_to(user).order_by("effective_from")


class InfectionForm(forms.Form):
    """Enter an infection: the resident (chosen by search) or a name with a place of residence."""

    resident = forms.IntegerField(required=False, widget=forms.HiddenInput)
    person_name = forms.CharField(label=_("Name (non-resident)"), max_length=60, required=False)
    residence_code = forms.CharField(
        label=_("Place of residence (division code)"),
        max_length=20,
        required=False,
        help_text=_("unit, building, compound or community code; not needed when a resident is chosen"),
    )
    onset_on = DayField(label=_("Symptom onset"), required=False, past_only=True)
    positive_sample_on = DayField(label=_("Positive sample taken"), required=False, past_only=True)
    workplace_codes = forms.CharField(label=_("Workplaces (division codes)"), required=False)
    visited_codes = forms.CharField(label=_("Places visited in the window (division codes)"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=INFECTION_NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    propose = forms.BooleanField(label=_("Propose the areas the rule set implies"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from lianfang.registry.models import Resident  # noqa: PLC0415

        data = super().clean()
        data["resident_obj"] = None
        if data.get("resident"):
            data["resident_obj"] = (
                Resident.objects.visible_to(self.user).select_related("household").filter(pk=data["resident"]).first()
            )
            if data["resident_obj"] is None:
                self.add_error("resident", _("resident %(id)s not found") % {"id": data["resident"]})
        data["residence"] = None
        if data.get("residence_code"):
            try:
                data["residence"] = parse_codes(data["residence_code"], user=self.user, field="residence_code")[0]
            except forms.ValidationError as exc:
                self.add_error("residence_code", exc)
        places = []
        for name, kind in (("workplace_codes", PlaceKind.WORKPLACE), ("visited_codes", PlaceKind.VISITED)):
            try:
                places += [(d, kind) for d in parse_codes(data.get(name, ""), user=self.user, field=name)]
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        data["places"] = places
        return data


class ApproveForm(forms.Form):
    effective_from = MomentField(
        label=_("In force from (empty: now)"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    override_reason = forms.CharField(
        label=_("Override reason (commander)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangeForm(forms.Form):
    """Lift or downgrade an active area."""

    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    override_reason = forms.CharField(
        label=_("Override reason (commander)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("only when a condition fails: a written reason, recorded in the history and the audit log"),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class NodesForm(forms.Form):
    """Adjust the places of a proposal: tick candidates and/or type codes."""

    nodes = forms.MultipleChoiceField(label=_("Places"), required=False, widget=forms.CheckboxSelectMultiple)
    extra_codes = forms.CharField(label=_("Other places (division codes)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, user, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["nodes"].choices = [
            (d.code, bracketed(f"{d.short_name} · {d.get_level_display()}", d.code)) for d in candidates
        ]

    def clean(self):
        data = super().clean()
        codes = " ".join([*data.get("nodes", []), data.get("extra_codes", "")])
        try:
            data["divisions"] = parse_codes(codes, user=self.user, field="extra_codes")
        except forms.ValidationError as exc:
            self.add_error("extra_codes", exc)
        return data


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Evidence"), choices=EvidenceKind.choices)
    day = DayField(label=_("Day (round day, or the last exposure)"), required=False, past_only=True)
    all_negative = forms.BooleanField(label=_("All negative"), required=False)
    people = forms.IntegerField(label=_("People"), required=False, min_value=0, max_value=EVIDENCE_PEOPLE_MAX)
    reason = forms.CharField(label=_("Source and reason"), max_length=500)


class RuleSetCopyForm(forms.Form):
    key = forms.SlugField(label=pgettext_lazy("code name", "Key"), max_length=60)
    name = forms.CharField(label=_("Name (zh-Hans)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120)


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in _SPLIT.split(text or "") if x]
    except ValueError as exc:
        raise forms.ValidationError(_("“%(value)s” is not a list of whole numbers") % {"value": text}) from exc


class RuleSetEditForm(forms.Form):
    """The numbers of a local variant: quarantine, tiers (pooling, screening) and lifting rules.

    Field names: ``rs__<field>``, ``tier__<key>__<field>``, ``rule__<id>__<field>``.
    """

    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    RS_INT = (
        "contact_window_days",
        "close_centralized_days",
        "close_home_days",
        "secondary_days",
        "round_deadline_hours",
    )
    RS_LIST = ("close_centralized_test_days", "close_home_test_days", "secondary_test_days")
    RULE_INT = ("quiet_days", "round_from_day", "round_within_days", "contact_clear_days")

    def __init__(self, *args, rule_set, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_set = rule_set
        for name in self.RS_INT:
            field = rule_set._meta.get_field(name)
            self.fields[f"rs__{name}"] = forms.IntegerField(
                label=field.verbose_name, min_value=0, initial=getattr(rule_set, name)
            )
        for name in self.RS_LIST:
            field = rule_set._meta.get_field(name)
            self.fields[f"rs__{name}"] = forms.CharField(
                label=field.verbose_name, required=False, initial=", ".join(map(str, getattr(rule_set, name)))
            )
        self.tiers = list(rule_set.tiers.order_by("rank"))
        for tier in self.tiers:
            self.fields[f"tier__{tier.key}__pooling_modes"] = forms.CharField(
                label=_tier_label(tier.display_name, tier._meta.get_field("pooling_modes").verbose_name),
                initial=", ".join(tier.pooling_modes),
                required=False,
            )
            self.fields[f"tier__{tier.key}__first_screening_hours"] = forms.IntegerField(
                label=_tier_label(tier.display_name, tier._meta.get_field("first_screening_hours").verbose_name),
                required=False,
                min_value=1,
                initial=tier.first_screening_hours,
            )
        self.rules = list(
            LiftRule.objects.filter(tier__rule_set=rule_set).select_related("tier").order_by("tier__rank", "entered_by")
        )
        for rule in self.rules:
            for name in self.RULE_INT:
                self.fields[f"rule__{rule.pk}__{name}"] = forms.IntegerField(
                    label=_rule_label(rule, rule._meta.get_field(name).verbose_name),
                    required=False,
                    min_value=0,
                    initial=getattr(rule, name),
                )

    def changes(self) -> tuple[dict, dict, dict]:
        """``(values, tier_values, rule_values)`` for services.rule_set_update (after is_valid)."""
        data = self.cleaned_data
        values = {name: data[f"rs__{name}"] for name in self.RS_INT}
        for name in self.RS_LIST:
            try:
                values[name] = _int_list(data.get(f"rs__{name}", ""))
            except forms.ValidationError as exc:
                self.add_error(f"rs__{name}", exc)
        tier_values = {
            tier.key: {
                "pooling_modes": [m for m in _SPLIT.split(data.get(f"tier__{tier.key}__pooling_modes", "")) if m],
                "first_screening_hours": data.get(f"tier__{tier.key}__first_screening_hours"),
            }
            for tier in self.tiers
        }
        rule_values = {
            rule.pk: {name: data.get(f"rule__{rule.pk}__{name}") for name in self.RULE_INT} for rule in self.rules
        }
        return values, tier_values, rule_values


def _tier_label(tier: str, field: str) -> str:
    """A tier's field label on the rule set form in the active language: ``"<tier>：<field>"`` in
    zh-Hans (full-width colon), ``"High-risk area: pooling modes"`` in English."""
    # Translators: a rule set form label, a tier's name and one of its fields; zh-Hans uses the full-width colon.
    return gettext("%(tier)s: %(field)s") % {"tier": tier, "field": field}


def _rule_label(rule: LiftRule, field: str) -> str:
    """A lifting rule's field label on the rule set form in the active language: ``"<tier>（<entered
    by>）：<field>"`` in zh-Hans, ``"High-risk area (Any): days without a new infection"`` in English."""
    # Translators: a rule set form label, a tier, who enters the rule and one of its fields.
    return gettext("%(tier)s (%(by)s): %(field)s") % {
        "tier": rule.tier.display_name,
        "by": rule.get_entered_by_display(),
        "field": field,
    }
