"""Field-operations API (``/api/v1/``): every list through ``visible_to`` (an out-of-scope detail is
a 404, an out-of-scope reference in a body is "does not exist"); every write through
fieldops.services. Creates honour an ``Idempotency-Key`` header: the same user repeating a key on
the same endpoint gets the first answer again (header ``Idempotent-Replayed: true``) and nothing
is written twice; the same key with a different body is a 422.
"""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from lianfang.core.api import BadQueryMixin, ScopedReadOnlyViewSet, ScopedViewSetMixin
from lianfang.core.filters import query_code, query_day, query_id, refuse_unknown_parameters
from lianfang.divisions.models import Division
from lianfang.fieldops import briefing, filtersets, selectors
from lianfang.fieldops import models as m
from lianfang.fieldops.api import serializers as s
from lianfang.fieldops.forms import division_in_scope
from lianfang.fieldops.services.alerts import alert_acknowledge
from lianfang.fieldops.services.base import StatusConflict
from lianfang.fieldops.services.bulk_changes import (
    bulk_status_change_approve,
    bulk_status_change_reject,
    bulk_status_change_request,
)
from lianfang.fieldops.services.disinfection import disinfection_log_record, disinfection_schedule_create
from lianfang.fieldops.services.gates import (
    duty_roster_generate_period,
    duty_shift_assign,
    duty_shift_check_in,
    duty_shift_check_out,
    gate_create,
)
from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start
from lianfang.fieldops.services.notices import notice_create, notice_publish, notice_withdraw
from lianfang.fieldops.services.passages import passage_register
from lianfang.fieldops.services.patrols import checkpoint_create, patrol_round_finish, patrol_round_start, patrol_scan
from lianfang.fieldops.services.quarantine import quarantine_test_record, screened_person_set_status
from lianfang.fieldops.services.screened import screened_person_create, screened_person_verify
from lianfang.registry.services import record_search

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a create safely: the same key from the same user returns the first answer.",
)


class Conflict(APIException):
    """HTTP 409: the row's status changed meanwhile (services.base.StatusConflict)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "status conflict"
    default_code = "status_conflict"


class KeyReused(APIException):
    """HTTP 422: an Idempotency-Key reused with a different request body."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "this Idempotency-Key was used with a different request"
    default_code = "idempotency_key_reused"


def call(fn, **kwargs):
    """Run a service; its ValidationError becomes a 400 naming the fields, StatusConflict a 409
    ``{"detail": "…"}`` like every other refusal of the API (PermissionDenied is already a 403 in DRF)."""
    try:
        return fn(**kwargs)
    except StatusConflict as exc:
        raise Conflict(" ".join(exc.messages)) from exc
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc


WITHIN_DEFAULT = "division code; default: the caller's own division (a 404 when the caller has none)"


def within_or_own(request) -> str:
    """``?within=`` (a division code; BadQuery → 400 when not digits), else the caller's own division
    (as on the pages: their widest assignment, the district for a superuser, ``""`` for none)."""
    from lianfang.fieldops.views import own_code  # noqa: PLC0415 (pages import this module's peers)

    return query_code(request.query_params, "within") or own_code(request.user)


COVERAGE_PARAMETERS = ("within", "day")


def division_for(request, code: str, field: str = "division") -> Division:
    """The division ``code`` the caller sees. Raises a 400 ``{field: ["…"]}`` naming the value when it
    is not a division code or names one the caller does not see (forms.division_in_scope); a 404
    when there is no code at all (a caller without a division of their own asked for their own)."""
    if not (code or "").strip():
        raise Http404
    try:
        return division_in_scope(request.user, code)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({field: exc.messages}) from None


class IdempotentCreateMixin:
    """``create`` with ``Idempotency-Key`` replay (see module docstring). Subclasses implement
    ``perform_service_create(data) -> instance`` and set ``create_serializer_class``."""

    create_serializer_class = None

    def create(self, request, *args, **kwargs):
        """Create through the service, replaying the stored answer for a repeated Idempotency-Key."""
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 80:
            raise serializers.ValidationError({"Idempotency-Key": [_("at most 80 characters")]})
        if not key:
            return self._create(request)
        digest = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        endpoint = self.basename
        stored = m.IdempotencyKey.objects.filter(user=request.user, endpoint=endpoint, key=key).first()
        if stored is None:
            try:
                with transaction.atomic():
                    response = self._create(request)
                    m.IdempotencyKey.objects.create(
                        user=request.user,
                        endpoint=endpoint,
                        key=key,
                        request_hash=digest,
                        status_code=response.status_code,
                        response=response.data,
                    )
                return response
            except IntegrityError:  # the same key arrived twice at once: the other one won
                stored = m.IdempotencyKey.objects.get(user=request.user, endpoint=endpoint, key=key)
        if stored.request_hash != digest:
            raise KeyReused()
        return Response(stored.response, status=stored.status_code, headers={"Idempotent-Replayed": "true"})

    def _create(self, request):
        serializer = self.create_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(serializer.validated_data)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)


class ScopedCreateViewSet(
    IdempotentCreateMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """List, retrieve (scoped) and an idempotent create through a service."""


# ------------------------------------------------------------------------------------------ gate duty


@extend_schema_view(create=extend_schema(request=s.GateCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class GateViewSet(ScopedCreateViewSet):
    """Gates of compounds and villages. Filters: within, is_active, kind."""

    queryset = m.Gate.objects.select_related("division").order_by("path", "name", "id")
    serializer_class = s.GateSerializer
    create_serializer_class = s.GateCreateSerializer
    filterset_class = filtersets.GateFilterSet

    def perform_service_create(self, data):
        return call(
            gate_create,
            actor=self.request.user,
            division=division_for(self.request, data["division"]),
            name=data["name"],
            kind=data["kind"],
            shift_pattern=data["shift_pattern"],
            guards_per_shift=data["guards_per_shift"],
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("within", OpenApiTypes.STR, required=False, description=WITHIN_DEFAULT),
            OpenApiParameter("day", OpenApiTypes.DATE, required=False),
        ],
        responses=s.GateCoverageSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def coverage(self, request):
        """Uncovered hours per gate on ``day`` (default today) under ``within`` (default: the caller's
        own division): every gate at once, not paged. Any other query parameter (``page_size``,
        ``on``, …) is a 400 naming it and the accepted ones; a day with no field rule set in force a
        400 naming the day."""
        refuse_unknown_parameters(request, COVERAGE_PARAMETERS)
        code = division_for(request, within_or_own(request), "within").code
        day = query_day(request.query_params, "day", timezone.localdate())
        rows = selectors.roster_coverage(user=request.user, code=code, day=day)
        return Response(s.GateCoverageSerializer(rows, many=True).data)


class DutyShiftViewSet(ScopedReadOnlyViewSet):
    """Duty shifts. Filters: within, gate, day, status, worker. Actions: generate (roster), assign,
    check_in, check_out."""

    queryset = m.DutyShift.objects.select_related("worker").order_by("starts_at", "gate_id", "slot")
    serializer_class = s.DutyShiftSerializer
    filterset_class = filtersets.DutyShiftFilterSet

    @extend_schema(request=s.RosterGenerateSerializer, responses=s.RosterReportSerializer)
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Create the slots of ``days`` days from ``day`` for the gates of sealed and controlled areas
        under ``within`` (idempotent); a period longer than 31 days or ending more than 31 days ahead
        is a 400 naming ``days`` or ``day``."""
        data = s.RosterGenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = division_for(request, data.validated_data["within"], "within").code
        report = call(
            duty_roster_generate_period,
            actor=request.user,
            code=code,
            first_day=data.validated_data["day"],
            days=data.validated_data["days"],
        )
        return Response(s.RosterReportSerializer(report).data)

    @extend_schema(request=s.ShiftAssignSerializer, responses=s.DutyShiftSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Put a guard (``worker`` id, or null to free the slot) on a planned shift."""
        from lianfang.workforce.models import Worker  # noqa: PLC0415

        shift = self.get_object()
        data = s.ShiftAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker_id = data.validated_data["worker"]
        worker = get_object_or_404(Worker.objects.visible_to(request.user), pk=worker_id) if worker_id else None
        return Response(
            s.DutyShiftSerializer(call(duty_shift_assign, actor=request.user, shift=shift, worker=worker)).data
        )

    @extend_schema(request=None, responses=s.DutyShiftSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """The guard checks in (planned or missed → on duty)."""
        shift = self.get_object()
        return Response(s.DutyShiftSerializer(call(duty_shift_check_in, actor=request.user, shift=shift)).data)

    @extend_schema(request=None, responses=s.DutyShiftSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        """The guard checks out (on duty → completed)."""
        shift = self.get_object()
        return Response(s.DutyShiftSerializer(call(duty_shift_check_out, actor=request.user, shift=shift)).data)


# ------------------------------------------------------------------------------------------ patrols


@extend_schema_view(create=extend_schema(request=s.CheckpointCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class CheckpointViewSet(ScopedCreateViewSet):
    """Patrol checkpoints (with the token printed in their QR code). Filters: within, is_active."""

    queryset = m.Checkpoint.objects.select_related("division").order_by("path", "position", "id")
    serializer_class = s.CheckpointSerializer
    create_serializer_class = s.CheckpointCreateSerializer
    filterset_class = filtersets.CheckpointFilterSet

    def perform_service_create(self, data):
        return call(
            checkpoint_create,
            actor=self.request.user,
            division=division_for(self.request, data["division"]),
            name=data["name"],
            position=data.get("position"),
        )


@extend_schema_view(create=extend_schema(request=s.PatrolStartSerializer, parameters=[IDEMPOTENCY_HEADER]))
class PatrolRoundViewSet(ScopedCreateViewSet):
    """Patrol rounds with their scans. Create starts a round; ``scan`` records a checkpoint by its
    QR token; ``finish`` closes the round and flags missed checkpoints. Filters: within, status."""

    queryset = m.PatrolRound.objects.prefetch_related("scans").order_by("-started_at", "-id")
    serializer_class = s.PatrolRoundSerializer
    create_serializer_class = s.PatrolStartSerializer
    filterset_class = filtersets.PatrolRoundFilterSet

    def perform_service_create(self, data):
        return call(patrol_round_start, actor=self.request.user, division=division_for(self.request, data["division"]))

    @extend_schema(request=s.PatrolScanInputSerializer, responses=s.PatrolRoundSerializer)
    @action(detail=False, methods=["post"])
    def scan(self, request):
        """Record the scan of the checkpoint whose QR ``token`` is given, in the caller's round (started
        on the first scan)."""
        data = s.PatrolScanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checkpoint = get_object_or_404(
            m.Checkpoint.objects.visible_to(request.user), token=data.validated_data["token"]
        )
        scan = call(patrol_scan, actor=request.user, checkpoint=checkpoint)
        return Response(
            s.PatrolRoundSerializer(m.PatrolRound.objects.prefetch_related("scans").get(pk=scan.round_id)).data
        )

    @extend_schema(request=None, responses=s.PatrolRoundSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Finish the round: complete, or incomplete with the missed checkpoints flagged."""
        patrol = self.get_object()
        call(patrol_round_finish, actor=request.user, patrol=patrol)
        return Response(s.PatrolRoundSerializer(m.PatrolRound.objects.prefetch_related("scans").get(pk=patrol.pk)).data)


# ------------------------------------------------------------------------------------------ entry/exit


@extend_schema_view(create=extend_schema(request=s.PassageCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class PassageViewSet(ScopedCreateViewSet):
    """Entry/exit records; create registers a person at a gate and returns the decision (a refusal
    is a 201 too: it is recorded). Filters: within, gate, direction, decision, purpose, since."""

    queryset = m.PassageRecord.objects.order_by("-at", "-id")
    serializer_class = s.PassageSerializer
    create_serializer_class = s.PassageCreateSerializer
    filterset_class = filtersets.PassageFilterSet

    def perform_service_create(self, data):
        return call(passage_register, actor=self.request.user, **data)


# ------------------------------------------------------------------------------------------ screening


@extend_schema_view(create=extend_schema(request=s.ScreenedPersonCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class ScreenedPersonViewSet(ScopedCreateViewSet):
    """People found by screening (masked). Create classifies a located contact at once. Actions:
    status (reason code and evidence required), verify (pin a coarse location), history.
    Filters: within, category, status, needs_verification, infection, q (name contains: a look-up
    of people, audited once per request)."""

    queryset = m.ScreenedPerson.objects.select_related("rule_set").order_by("-created_at", "-id")
    serializer_class = s.ScreenedPersonSerializer
    create_serializer_class = s.ScreenedPersonCreateSerializer
    filterset_class = filtersets.ScreenedPersonFilterSet

    def list(self, request, *args, **kwargs):
        """The list; filtered by name (``q``) it is audited once (registry.services.record_search,
        ``api:fieldops-people``: the query masked, ``count`` people found). A bad filter is a 400
        before anything is searched or audited."""
        response = super().list(request, *args, **kwargs)
        record_search(
            actor=request.user,
            params={"q": request.query_params.get("q") or ""},
            results=response.data["count"],
            where="api:fieldops-people",
        )
        return response

    def perform_service_create(self, data):
        data = dict(data)
        code = data.pop("division")
        division = division_for(self.request, code) if code else None
        place = data["household"] or (data["resident"].household if data["resident"] else None)
        anchor = division.code if division else (place.path if place else self._default_code())
        district = Division.objects.filter(code=anchor[:6], level=3).first()
        if district is None:
            raise serializers.ValidationError({"division": [_("give a household, a resident or a division")]})
        return call(screened_person_create, actor=self.request.user, district=district, division=division, **data)

    def _default_code(self) -> str:
        from lianfang.fieldops.views import scope_code  # noqa: PLC0415

        return scope_code(self.request)

    @extend_schema(request=s.PersonStatusInputSerializer, responses=s.ScreenedPersonSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Change the person's status with a reason code and evidence (409 when it moved on meanwhile)."""
        person = self.get_object()
        data = s.PersonStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = call(screened_person_set_status, actor=request.user, person=person, **data.validated_data)
        return Response(s.ScreenedPersonSerializer(person).data)

    @extend_schema(request=s.PersonVerifySerializer, responses=s.ScreenedPersonSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Pin the place of a person known to city level only; a contact is then classified."""
        person = self.get_object()
        data = s.PersonVerifySerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        division = division_for(request, values["division"]) if values["division"] else None
        person = call(
            screened_person_verify,
            actor=request.user,
            person=person,
            household=values["household"],
            division=division,
            evidence=values["evidence"],
        )
        return Response(s.ScreenedPersonSerializer(person).data)

    @extend_schema(responses=s.PersonStatusChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The person's status changes, oldest first."""
        person = self.get_object()
        return Response(s.PersonStatusChangeSerializer(person.status_changes.order_by("at", "id"), many=True).data)


class QuarantineTestViewSet(ScopedReadOnlyViewSet):
    """Test days of quarantine plans, as tasks. Filters: within, person, due_on, result. Action: result."""

    queryset = m.QuarantineTest.objects.order_by("due_on", "person_id", "ordinal")
    serializer_class = s.QuarantineTestSerializer
    filterset_class = filtersets.QuarantineTestFilterSet

    @extend_schema(request=s.QuarantineTestResultSerializer, responses=s.QuarantineTestSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        """Record a test result; a positive first or second test of a close contact promotes its secondary contacts."""
        test = self.get_object()
        data = s.QuarantineTestResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            s.QuarantineTestSerializer(
                call(quarantine_test_record, actor=request.user, test=test, **data.validated_data)
            ).data
        )


@extend_schema_view(create=extend_schema(request=s.BulkCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class BulkStatusChangeViewSet(ScopedCreateViewSet):
    """Bulk status changes: create requests one, ``approve``/``reject`` by a second person."""

    queryset = m.BulkStatusChange.objects.prefetch_related("people").order_by("-requested_at", "-id")
    serializer_class = s.BulkStatusChangeSerializer
    create_serializer_class = s.BulkCreateSerializer
    filterset_class = filtersets.BulkStatusChangeFilterSet

    def perform_service_create(self, data):
        ids = set(data["people"])
        people = list(m.ScreenedPerson.objects.visible_to(self.request.user).filter(pk__in=ids))
        if len(people) != len(ids):
            missing = sorted(ids - {p.pk for p in people})
            raise serializers.ValidationError({"people": [_("unknown people %(ids)s") % {"ids": missing[:20]}]})
        return call(
            bulk_status_change_request,
            actor=self.request.user,
            people=people,
            to_status=data["to_status"],
            reason_code=data["reason_code"],
            evidence=data["evidence"],
        )

    @extend_schema(request=s.BulkDecisionSerializer, responses=s.BulkStatusChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve and apply (a second person only; 409 when already decided)."""
        change = self.get_object()
        data = s.BulkDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = call(bulk_status_change_approve, actor=request.user, change=change, note=data.validated_data["note"])
        return Response(s.BulkStatusChangeSerializer(change).data)

    @extend_schema(request=s.BulkDecisionSerializer, responses=s.BulkStatusChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a note (a second person only)."""
        change = self.get_object()
        data = s.BulkDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = call(bulk_status_change_reject, actor=request.user, change=change, note=data.validated_data["note"])
        return Response(s.BulkStatusChangeSerializer(change).data)


class TransferOutViewSet(ScopedReadOnlyViewSet):
    """The transfer-out list (masked). Filters: within, status, batch."""

    queryset = m.TransferOut.objects.order_by("-created_at", "-id")
    serializer_class = s.TransferOutSerializer
    filterset_class = filtersets.TransferOutFilterSet


# ------------------------------------------------------------------------------------------ monitoring


@extend_schema_view(create=extend_schema(request=s.HomeMonitoringCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class HomeMonitoringViewSet(ScopedCreateViewSet):
    """Home health monitoring. Filters: within, status, household."""

    queryset = m.HomeMonitoring.objects.order_by("path", "household_id", "id")
    serializer_class = s.HomeMonitoringSerializer
    create_serializer_class = s.HomeMonitoringCreateSerializer
    filterset_class = filtersets.HomeMonitoringFilterSet

    def perform_service_create(self, data):
        return call(home_monitoring_start, actor=self.request.user, **data)


@extend_schema_view(create=extend_schema(request=s.HealthCheckInCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class HealthCheckInViewSet(ScopedCreateViewSet):
    """Daily health check-ins (a worker on someone's behalf). Filters: within, day, abnormal, monitoring."""

    queryset = m.HealthCheckIn.objects.order_by("-day", "-at")
    serializer_class = s.HealthCheckInSerializer
    create_serializer_class = s.HealthCheckInCreateSerializer
    filterset_class = filtersets.HealthCheckInFilterSet

    def perform_service_create(self, data):
        return call(health_check_in_record, actor=self.request.user, source="worker", **data)


# ------------------------------------------------------------------------------------------ disinfection


@extend_schema_view(
    create=extend_schema(request=s.DisinfectionScheduleCreateSerializer, parameters=[IDEMPOTENCY_HEADER])
)
class DisinfectionScheduleViewSet(ScopedCreateViewSet):
    """Disinfection schedules of public areas. Filters: within, is_active."""

    queryset = m.DisinfectionSchedule.objects.select_related("division").order_by("path", "place")
    serializer_class = s.DisinfectionScheduleSerializer
    create_serializer_class = s.DisinfectionScheduleCreateSerializer
    filterset_class = filtersets.DisinfectionScheduleFilterSet

    def perform_service_create(self, data):
        return call(
            disinfection_schedule_create,
            actor=self.request.user,
            division=division_for(self.request, data["division"]),
            place=data["place"],
            interval_hours=data["interval_hours"],
        )


@extend_schema_view(create=extend_schema(request=s.DisinfectionLogCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class DisinfectionLogViewSet(ScopedCreateViewSet):
    """Disinfection logs (who, where, when, agent, concentration). Filters: within, schedule."""

    queryset = m.DisinfectionLog.objects.order_by("-done_at", "-id")
    serializer_class = s.DisinfectionLogSerializer
    create_serializer_class = s.DisinfectionLogCreateSerializer
    filterset_class = filtersets.DisinfectionLogFilterSet

    def perform_service_create(self, data):
        return call(disinfection_log_record, actor=self.request.user, **data)


# ------------------------------------------------------------------------------------------ notices, alerts


@extend_schema_view(create=extend_schema(request=s.NoticeCreateSerializer, parameters=[IDEMPOTENCY_HEADER]))
class NoticeViewSet(ScopedCreateViewSet):
    """Notices (drafts until published). Actions: publish, withdraw. Filters: within, status."""

    queryset = m.Notice.objects.select_related("division").order_by("-created_at", "-id")
    serializer_class = s.NoticeSerializer
    create_serializer_class = s.NoticeCreateSerializer
    filterset_class = filtersets.NoticeFilterSet

    def perform_service_create(self, data):
        division = (
            division_for(self.request, data["division"]) if data["division"] and not data["control_area"] else None
        )
        return call(
            notice_create,
            actor=self.request.user,
            title=data["title"],
            body=data["body"],
            division=division,
            control_area=data["control_area"],
        )

    @extend_schema(request=None, responses=s.NoticeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft (queues the webhook deliveries when webhooks are on)."""
        return Response(s.NoticeSerializer(call(notice_publish, actor=request.user, notice=self.get_object())).data)

    @extend_schema(request=s.NoticeWithdrawSerializer, responses=s.NoticeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a published notice, with a reason."""
        data = s.NoticeWithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notice = call(
            notice_withdraw, actor=request.user, notice=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(s.NoticeSerializer(notice).data)


class AlertViewSet(ScopedReadOnlyViewSet):
    """Alerts raised by field work. Filters: within, kind, status, recipient. Action: acknowledge."""

    queryset = m.Alert.objects.order_by("-raised_at", "-id")
    serializer_class = s.FieldAlertSerializer
    filterset_class = filtersets.AlertFilterSet

    @extend_schema(request=None, responses=s.FieldAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge the alert."""
        return Response(
            s.FieldAlertSerializer(call(alert_acknowledge, actor=request.user, alert=self.get_object())).data
        )


class BriefingView(BadQueryMixin, APIView):
    """The daily briefing of a place (``within``) or a team (``team``) on ``day`` (default today)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("within", OpenApiTypes.STR, required=False, description=WITHIN_DEFAULT),
            OpenApiParameter("team", OpenApiTypes.INT, required=False),
            OpenApiParameter("day", OpenApiTypes.DATE, required=False),
        ],
        responses=s.BriefingSerializer,
    )
    def get(self, request):
        """The briefing as sections of items (see briefing.daily_briefing)."""
        from lianfang.workforce.models import Team  # noqa: PLC0415

        day = query_day(request.query_params, "day", timezone.localdate())
        team_id = query_id(request.query_params, "team")
        team = get_object_or_404(Team.objects.visible_to(request.user), pk=team_id) if team_id else None
        code = team.path if team is not None else division_for(request, within_or_own(request), "within").code
        result = briefing.daily_briefing(user=request.user, code=code, day=day, team=team)
        data = {"day": result.day, "code": result.code, "total": result.total, "sections": result.sections}
        return Response(s.BriefingSerializer(data).data)
