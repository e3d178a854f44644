"""``/api/v1/service-requests/`` (list, retrieve, create with idempotency keys, actions, timeline),
``/api/v1/exit-passes/`` and ``/api/v1/supply-plans/`` (read-only). Every row comes from
``visible_to(request.user)``: an out-of-scope id is a 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lianfang.assistance import selectors
from lianfang.assistance.api.serializers import (
    CloseSerializer,
    CreatedServiceRequestSerializer,
    ExitPassSerializer,
    HandOffSerializer,
    NoteSerializer,
    ServiceRequestCreateSerializer,
    ServiceRequestSerializer,
    SupplyPlanSerializer,
    TicketEventSerializer,
    TriageSerializer,
)
from lianfang.assistance.filtersets import ServiceRequestFilterSet
from lianfang.assistance.models import ExitPass, Intake, ServiceRequest, SupplyPlan
from lianfang.assistance.services.base import StatusConflict, can_handle
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    service_request_accept,
    service_request_close,
    service_request_close_precheck,
    service_request_confirm,
    service_request_fulfil,
    service_request_hand_off,
    service_request_on_site,
    service_request_start,
    service_request_triage,
)
from lianfang.core.api import ScopedReadOnlyViewSet, ScopedViewSetMixin
from lianfang.registry.models import Household, Resident


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Up to 80 characters; a retry with the same key returns the first answer and writes nothing.",
)


class ServiceRequestViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Service requests in the caller's scope, most urgent first (``selectors.by_urgency``: overdue ones
    first, emergencies before others, then by next deadline). Filters: within, status, open, overdue,
    category, priority, channel, mine, household, number."""

    queryset = (
        ServiceRequest.objects.select_related("community", "assignee")
        .prefetch_related(Prefetch("intakes", queryset=Intake.objects.only("id", "ticket_id", "channel")))
        .order_by("-received_at", "-id")
    )
    serializer_class = ServiceRequestSerializer
    filterset_class = ServiceRequestFilterSet

    def get_queryset(self):
        return selectors.by_urgency(super().get_queryset(), timezone.now())

    def _act(self, fn, ticket=None, **kwargs):
        ticket = ticket or self.get_object()
        try:
            fn(actor=self.request.user, ticket=ticket, **kwargs)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        except StatusConflict as exc:
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        return Response(ServiceRequestSerializer(self.get_queryset().get(pk=ticket.pk)).data)

    @extend_schema(
        request=ServiceRequestCreateSerializer,
        responses={201: CreatedServiceRequestSerializer, 200: CreatedServiceRequestSerializer},
        parameters=[IDEMPOTENCY],
    )
    def create(self, request, *args, **kwargs):
        """File a need for a household in scope (201 new; 200 linked to an open ticket or replayed). A
        household id that is unknown or outside the caller's scope is a 400 ``{"household": ["<id>
        不存在或不在您的范围内"]}`` (the same words for both, so ids cannot be probed)."""
        data = ServiceRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        household_id = values.pop("household")
        household = Household.objects.visible_to(request.user).filter(pk=household_id).first()
        if household is None:  # unknown and out of scope answer alike: ids cannot be probed
            message = _("%(id)s does not exist or is outside your scope") % {"id": household_id}
            raise ValidationError({"household": [message]})
        resident_id = values.pop("resident")
        resident = None
        if resident_id is not None:
            resident = Resident.objects.filter(pk=resident_id, household=household).first()
            if resident is None:
                message = _("%(name)s is not a member of household %(household)s")
                raise ValidationError({"resident": [message % {"name": resident_id, "household": household.pk}]})
        try:
            ticket = service_request_create(
                actor=request.user,
                household=household,
                resident=resident,
                idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
                **values,
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        body = CreatedServiceRequestSerializer(self.get_queryset().get(pk=ticket.pk)).data
        body["linked"], body["replayed"] = ticket.linked, ticket.replayed
        created = not ticket.linked and not ticket.replayed
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept the ticket (or a hand-off offered to you); 409 when someone else accepted it first."""
        return self._act(service_request_accept)

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start work (assignee only; the ticket must be accepted: 409 otherwise)."""
        return self._act(service_request_start, note=self._note(request))

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], url_path="on-site")
    def on_site(self, request, pk=None):
        """Someone is on site (assignee only)."""
        return self._act(service_request_on_site, note=self._note(request))

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def fulfil(self, request, pk=None):
        """The need is met (assignee only)."""
        return self._act(service_request_fulfil, note=self._note(request))

    @extend_schema(request=NoteSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm on the household's behalf (``note``: how it confirmed)."""
        return self._act(service_request_confirm, note=self._note(request))

    @extend_schema(request=CloseSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close with an outcome and a reason; 409 for a ticket already confirmed or closed, whatever the body."""
        ticket = self.get_object()
        try:
            service_request_close_precheck(actor=request.user, ticket=ticket)
        except StatusConflict as exc:
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(service_request_close, ticket=ticket, **body.validated_data)

    @extend_schema(request=TriageSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Set the priority the clocks use (deadlines recomputed from the first intake)."""
        body = TriageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(service_request_triage, **body.validated_data)

    @extend_schema(request=HandOffSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"], url_path="hand-off")
    def hand_off(self, request, pk=None):
        """Offer the ticket to another user; it changes hands only when they accept. ``to`` must be one of
        the people the ticket page offers (``selectors.handoff_candidates``, checked by the service):
        anyone else is a 400 naming the value; 403 for a caller who may not handle the ticket."""
        ticket = self.get_object()
        if not can_handle(request.user, ticket):
            raise PermissionDenied(_("You may not handle service request %s.") % ticket)
        body = HandOffSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        to, note = body.validated_data["to"], body.validated_data["note"]
        return self._act(service_request_hand_off, ticket=ticket, to=to, note=note)

    @extend_schema(responses=TicketEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """The ticket's full timeline, oldest first."""
        return Response(TicketEventSerializer(selectors.timeline(self.get_object()), many=True).data)

    @staticmethod
    def _note(request) -> str:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["note"]


class ExitPassViewSet(ScopedReadOnlyViewSet):
    """Medical exit passes in the caller's scope, newest first."""

    queryset = ExitPass.objects.prefetch_related("windows").order_by("-approved_at", "-id")
    serializer_class = ExitPassSerializer


class SupplyPlanViewSet(ScopedReadOnlyViewSet):
    """Supply plans in the caller's scope, newest day first."""

    queryset = SupplyPlan.objects.select_related("division").order_by("-day", "-id")
    serializer_class = SupplyPlanSerializer
