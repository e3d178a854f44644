"""Serializer fields shared by every app's API bodies: a bad id or an unusable day is a 400 naming the
field (the key) and the value, the same way query parameters are refused (core.filters).

- :class:`RowIdField`: a row id (1 … MAX_ID, core.filters.IdField) whose row the view looks up itself.
- :class:`VisiblePK`: a row id resolved through ``Model.objects.visible_to(request.user)``.
- :class:`UsableDateField` / :class:`UsableDateTimeField`: a date / a date and time whose day lies in
  core.filters' usable range FIRST_DAY … LAST_DAY.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lianfang.core.filters import (
    CODE_VALIDATOR,
    FIRST_DAY,
    LAST_DAY,
    IdField,
    MomentField,
    normalize_code,
    out_of_range,
    validate_usable_day,
)


def row_id(data) -> int:
    """``data`` (a JSON number or a string) as a row id 1 … MAX_ID. Raises DRF's ValidationError with
    core.filters.IdField's message naming the value: “99999999999999999999” is not an id (too large),
    “-5” is not an id (ids start at 1), “abc” / “1.5” / “True” is not an id (a whole number)."""
    if isinstance(data, bool):  # True is an int to Python, not an id to a reader
        data = str(data)
    try:
        return IdField().clean(data)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages, code=exc.error_list[0].code) from None


class CodeField(serializers.CharField):
    """A division code in a request (1-20 digits; CODE_VALIDATOR's message naming the value
    otherwise), read by core.filters.normalize_code first: full-width digits from a Chinese input
    method (``６２０１０３``) are ``620103``. The API's counterpart of core.filters.CodeField."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [CODE_VALIDATOR])
        kwargs.setdefault("help_text", "division code (digits)")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return normalize_code(super().to_internal_value(data))


class RowIdField(serializers.IntegerField):
    """A row id in a request body (1 … 2**63 − 1, core.filters.IdField), the row looked up by the view
    or the service; anything else is a 400 naming the value (:func:`row_id`), not DRF's bare "A valid
    integer is required." nor a database overflow."""

    def to_internal_value(self, data):
        return row_id(data)


@extend_schema_field(OpenApiTypes.INT)
class VisiblePK(serializers.PrimaryKeyRelatedField):
    """A primary key in a request body resolved through ``Model.objects.visible_to(request.user)``
    (``model``: a model class or an ``"app_label.Model"`` label, resolved when used).

    A value that is not an id is refused like :class:`RowIdField`; an id of a row that does not exist
    or lies outside the caller's scope (the two are not told apart) is “<id>” is not the id of a
    <model> you may see — never DRF's "Invalid pk “…” - object does not exist." nor "Incorrect type"."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def _model(self):
        from django.apps import apps  # noqa: PLC0415

        return apps.get_model(self.model) if isinstance(self.model, str) else self.model

    def get_queryset(self):
        request = self.context.get("request")
        return self._model().objects.visible_to(request.user if request else None)

    def to_internal_value(self, data):
        pk = row_id(data)
        try:
            return self.get_queryset().get(pk=pk)
        except ObjectDoesNotExist:
            raise serializers.ValidationError(
                _("“%(value)s” is not the id of a %(model)s you may see")
                % {"value": pk, "model": self._model()._meta.verbose_name},
                code="does_not_exist",
            ) from None


class UsableDateField(serializers.DateField):
    """A date (``YYYY-MM-DD``) in a request body within FIRST_DAY … LAST_DAY
    (core.filters.validate_usable_day): “9999-12-31” is outside the usable date range (0002-01-01 to
    9998-12-31), a 400 naming the field and the value instead of a 500 in later day arithmetic."""

    default_validators = [validate_usable_day]


class UsableDateTimeField(serializers.DateTimeField):
    """An ISO date and time in a request body whose day, as written, lies within FIRST_DAY … LAST_DAY
    (the rule of core.filters.MomentField); one that is not a date and time is refused naming the value
    (“yesterday” is not a date and time (YYYY-MM-DDTHH:MM)), not DRF's list of formats or its nameless
    "Datetime value out of bounds."."""

    def to_internal_value(self, value):
        shown = str(value).strip()
        try:  # the day as written, in its own offset, checked first: DRF's time zone handling overflows
            written = parse_datetime(shown) if isinstance(value, str) else None
        except ValueError:
            written = None
        if written is not None and not FIRST_DAY <= written.date() <= LAST_DAY:
            raise out_of_range(shown)
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            raise out_of_range(shown) from None
        except serializers.ValidationError as exc:
            codes = {getattr(d, "code", None) for d in exc.detail} if isinstance(exc.detail, list) else set()
            if "overflow" in codes:
                raise out_of_range(shown) from None
            raise serializers.ValidationError(
                MomentField.default_error_messages["invalid"] % {"value": shown[:40]}, code="invalid"
            ) from None
        if not FIRST_DAY <= moment.date() <= LAST_DAY:
            raise out_of_range(shown)
        return moment
