"""API: /api/v1/rule-sets/, /api/v1/infections/, /api/v1/control-areas/ (all scoped to the caller)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lianfang.core.api import ScopedReadOnlyViewSet, ScopedViewSetMixin
from lianfang.divisions.models import Division
from lianfang.registry.models import Household, Resident
from lianfang.zones import selectors, services
from lianfang.zones.api.serializers import (
    ClockSerializer,
    ControlAreaSerializer,
    InfectionCreatedSerializer,
    InfectionCreateSerializer,
    InfectionSerializer,
    RuleSetSerializer,
)
from lianfang.zones.filtersets import ControlAreaFilterSet, InfectionFilterSet, RuleSetFilterSet
from lianfang.zones.models import ControlArea, Infection, LiftRule, Operation, RuleSet, RuleTier


def _drf_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class RuleSetViewSet(ScopedReadOnlyViewSet):
    """Rule sets the caller may see (the shipped ones, and local variants of their district), by key."""

    queryset = RuleSet.objects.select_related("based_on", "district").prefetch_related(
        Prefetch(
            "tiers",
            queryset=RuleTier.objects.select_related("upgrade_to").prefetch_related(
                Prefetch("lift_rules", queryset=LiftRule.objects.select_related("to_tier"))
            ),
        )
    )
    serializer_class = RuleSetSerializer
    filterset_class = RuleSetFilterSet
    lookup_field = "key"


class InfectionViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Infections in the caller's scope. Filters: within, detected_after, detected_before, operation.

    POST enters one (needs MANAGE_ZONES at the residence) and returns the proposals it raised.
    """

    queryset = (
        Infection.objects.select_related("residence")
        .prefetch_related("places", "areas")
        .order_by("-detected_on", "-id")
    )
    serializer_class = InfectionSerializer
    filterset_class = InfectionFilterSet

    @extend_schema(request=InfectionCreateSerializer, responses={201: InfectionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        data = InfectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        operation = Operation.objects.visible_to(user).filter(pk=v["operation"]).first()
        if operation is None:
            raise ValidationError({"operation": [_("operation %(id)s not found") % {"id": v["operation"]}]})
        resident = household = residence = None
        if v.get("resident"):
            resident = Resident.objects.visible_to(user).filter(pk=v["resident"]).select_related("household").first()
            if resident is None:
                raise ValidationError({"resident": [_("resident %(id)s not found") % {"id": v["resident"]}]})
        if v.get("household"):
            household = Household.objects.visible_to(user).filter(pk=v["household"]).first()
            if household is None:
                raise ValidationError({"household": [_("household %(id)s not found") % {"id": v["household"]}]})
        if v.get("residence"):
            residence = Division.objects.visible_to(user).filter(code=v["residence"]).first()
            if residence is None:
                raise ValidationError({"residence": [_("division %(code)s not found") % {"code": v["residence"]}]})
        places = []
        codes = [p["code"] for p in v.get("places", [])]
        by_code = Division.objects.in_bulk(codes, field_name="code")
        for i, place in enumerate(v.get("places", []), start=1):
            if place["code"] not in by_code:
                raise ValidationError(
                    {f"places.{i}.code": [_("division %(code)s not found") % {"code": place["code"]}]}
                )
            places.append(
                services.PlaceInput(
                    division=by_code[place["code"]], kind=place["kind"], visited_on=place.get("visited_on")
                )
            )
        try:
            result = services.infection_record(
                actor=user,
                operation=operation,
                onset_on=v.get("onset_on"),
                positive_sample_on=v.get("positive_sample_on"),
                resident=resident,
                household=household,
                residence=residence,
                person_name=v.get("person_name", ""),
                places=places,
                note=v.get("note", ""),
                propose=v["propose"],
            )
        except DjangoValidationError as exc:
            raise _drf_error(exc) from exc
        body = {
            "infection": InfectionSerializer(result.infection).data,
            "proposals": [a.pk for a in result.proposals],
            "restarted": [a.pk for a in result.restarted],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class ControlAreaViewSet(ScopedReadOnlyViewSet):
    """Control areas in the caller's scope. Filters: tier, status, within, covers, active_on, operation."""

    queryset = (
        ControlArea.objects.select_related("tier", "tier__rule_set")
        .prefetch_related("nodes")
        .order_by("tier__rank", "path", "id")
    )
    serializer_class = ControlAreaSerializer
    filterset_class = ControlAreaFilterSet

    @extend_schema(responses=ClockSerializer)
    @action(detail=True, methods=["get"])
    def clock(self, request, pk=None):
        """The area's live clock and lifting conditions with their evidence (now)."""
        area = self.get_object()
        clock = selectors.area_clock(area)
        return Response(
            ClockSerializer(
                {
                    "today": clock.today,
                    "base_on": clock.base_on,
                    "last_infection_on": clock.last_infection_on,
                    "days_since_last_infection": clock.days_since_last_infection,
                    "earliest_on": clock.earliest_on,
                    "days_to_go": clock.days_to_go,
                    "target_tier": clock.target_tier.key if clock.target_tier else None,
                    "ready": clock.ready,
                    "conditions": [c.as_dict() for c in clock.conditions],
                }
            ).data
        )
