"""Read-only API of the workforce app; every list is ``visible_to`` the caller."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lianfang.accounts.selectors import primary_assignment
from lianfang.core.api import BadQueryMixin, ScopedReadOnlyViewSet
from lianfang.divisions.models import Division
from lianfang.registry.services import record_search
from lianfang.workforce import selectors
from lianfang.workforce.api.serializers import (
    AssignmentSerializer,
    CoverageSerializer,
    DeploymentSerializer,
    TeamSerializer,
    WorkerSerializer,
)
from lianfang.workforce.filtersets import AssignmentFilterSet, DeploymentFilterSet, TeamFilterSet, WorkerFilterSet
from lianfang.workforce.forms import DivisionDayForm
from lianfang.workforce.models import Deployment, ResponsibilityAssignment, Team, Worker, WorkerCategory


class WorkerViewSet(ScopedReadOnlyViewSet):
    """Workers in the caller's scope (masked). Filters: within, category (repeatable), q,
    deployed_within + on (deployed there that day), has_account."""

    queryset = (
        Worker.objects.select_related("base_division")
        .prefetch_related(Prefetch("categories", queryset=WorkerCategory.objects.order_by("category")))
        .order_by("path", "name", "id")
    )
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilterSet

    def list(self, request, *args, **kwargs):
        """The list; filtered by name (``q``) it is a people search, audited once
        (registry.services.record_search, ``api:workforce-workers``: the query masked, ``count``
        workers found). A bad filter is a 400 before anything is searched or audited."""
        response = super().list(request, *args, **kwargs)
        record_search(
            actor=request.user,
            params={"q": request.query_params.get("q") or ""},
            results=response.data["count"],
            where="api:workforce-workers",
        )
        return response


class TeamViewSet(ScopedReadOnlyViewSet):
    """Teams in the caller's scope. Filters: within, member."""

    queryset = Team.objects.select_related("base_division").prefetch_related("members").order_by("path", "name")
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet


class DeploymentViewSet(ScopedReadOnlyViewSet):
    """Deployments in the caller's scope. Filters: within, worker, on (active on a date)."""

    queryset = Deployment.objects.select_related("worker", "division", "community").order_by("path", "starts_on", "id")
    serializer_class = DeploymentSerializer
    filterset_class = DeploymentFilterSet


class AssignmentViewSet(ScopedReadOnlyViewSet):
    """Responsibility assignments in the caller's scope. Filters: level, within, worker, household,
    on (active on a date), current (open-ended)."""

    queryset = ResponsibilityAssignment.objects.select_related("worker", "division").order_by(
        "level", "path", "starts_on", "id"
    )
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet


class CoverageView(BadQueryMixin, generics.GenericAPIView):
    """Coverage of the responsibility grid under ``code`` (default: the caller's division) on ``on``
    (default: today): households without a representative, units without L1-L3, people outside their
    scope, overloaded representatives; totals and one row per child division. 404 out of scope; 400
    ``{"on": ["…"]}`` naming the day when it is still to come (as the reports) or no grid rule set
    was in force then."""

    serializer_class = CoverageSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, description="division code (district, street, community...)"),
            OpenApiParameter("on", OpenApiTypes.DATE, description="day (YYYY-MM-DD), default today"),
        ]
    )
    def get(self, request):
        form = DivisionDayForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        assignment = primary_assignment(request.user)
        code = form.cleaned_data["code"] or (
            assignment.division.code if assignment else settings.LIANFANG_DISTRICT_CODE
        )
        division = get_object_or_404(Division.objects.visible_to(request.user), code=code)
        day = form.cleaned_data["on"] or timezone.localdate()
        report = selectors.coverage(user=request.user, division=division, on=day)
        return Response(CoverageSerializer(CoverageSerializer.from_report(report)).data)
