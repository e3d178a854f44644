"""Screening API: rounds, sites, desks, tasks, tubes, samples, results, follow-ups, coverage.

Every list is ``visible_to`` the caller; an out-of-scope id is a 404. Every create needs an
``Idempotency-Key`` header (8-64 characters): a retry with the same key and body replays the first
response and never writes twice; the same key with another body is a 409 ``key_reused``. Desk
submissions are throttled (429 + Retry-After) and shed (503 + Retry-After) under overload, never a
500.
"""

from __future__ import annotations

import json
import re
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.conf import env_int, env_str
from lianfang.core import db
from lianfang.core.api import ScopedReadOnlyViewSet
from lianfang.core.filters import MAX_ID, APIFilterSet, YesNoFilter
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import Division
from lianfang.screening import selectors
from lianfang.screening.api import serializers as s
from lianfang.screening.models import (
    LabResult,
    PoolFollowUp,
    ResultException,
    Sample,
    SamplingDesk,
    SamplingSite,
    SamplingTask,
    TestingRound,
    Tube,
)
from lianfang.screening.services import idempotency, rounds
from lianfang.screening.services.base import out_of_reach
from lianfang.screening.services.desk import desk_submit
from lianfang.screening.services.results import MAX_RESULT_LINES, ResultLine, results_record, too_many_lines_message
from lianfang.screening.views import RETRY_AFTER_SECONDS, _desk_slots

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "Client-generated key (8-64 characters); a retry with the same key and body replays the first "
        "response; the same key with another body is refused (409 key_reused)."
    ),
)


class DeskThrottle(UserRateThrottle):
    """Per-user rate for desk submissions (``LIANFANG_DESK_RATE``, default 600/min): 429 + Retry-After."""

    scope = "screening_desk"
    rate = env_str("LIANFANG_DESK_RATE", "600/min")

    def get_rate(self):
        return self.rate


class DeskTokenAuthentication(TokenAuthentication):
    """Token authentication for desk submissions that keeps, per server process, the user a token
    named with the user's role assignments and scope already loaded (core.scoping caches them on the
    user object), on two clocks:

    - ``seconds`` (``LIANFANG_DESK_AUTH_SECONDS``, default 10; 0 turns all of this off): at least
      this often the token is checked again by one prepared statement (the token still exists, for
      the same user, who is still active) — a deleted token or a deactivated user is refused within
      that many seconds;
    - ``scope_seconds`` (``LIANFANG_DESK_SCOPE_SECONDS``, default 60, never less than ``seconds``):
      this often the token, the user, the role assignments and the scope are loaded afresh, with the
      desks the user sees (``_visible_desk``) — a changed role takes effect within that many seconds.

    At peak a desk submits every few seconds; loading the token, the user, the role assignments and
    the household scope again for each scan was half the server's work per registration, and with
    100 desks over 3 server processes, reloading them every 10 s still cost a few percent
    (docs/benchmarks.md "Sampling desk"). Raises AuthenticationFailed like TokenAuthentication.
    """

    seconds = env_int("LIANFANG_DESK_AUTH_SECONDS", 10)
    scope_seconds = env_int("LIANFANG_DESK_SCOPE_SECONDS", 60)
    # token key -> [checked until, loaded until, user, token] (time.monotonic() seconds)
    _known: dict[str, list] = {}

    def authenticate_credentials(self, key):
        now = time.monotonic()
        hit = self._known.get(key)
        if hit is not None and now < hit[1]:
            if now < hit[0]:
                return hit[2], hit[3]
            if _token_still_valid(key, hit[2].pk):
                hit[0] = now + self.seconds
                return hit[2], hit[3]
        user, token = super().authenticate_credentials(key)
        scope_for(user)  # role assignments and scope, cached on the user object
        if self.seconds > 0:
            if len(self._known) > 10_000:  # a bound on memory; entries expire anyway
                self._known.clear()
            self._known[key] = [now + self.seconds, now + max(self.scope_seconds, self.seconds), user, token]
        return user, token


def _token_still_valid(key: str, user_id: int) -> bool:
    """Whether token ``key`` still exists for user ``user_id`` and that user is still active: one
    prepared statement on the primary keys (core.db.execute_hot)."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT 1 FROM {q(Token._meta.db_table)} t JOIN {q(get_user_model()._meta.db_table)} u "  # noqa: S608
        f"ON u.id = t.user_id WHERE t.{q('key')} = %s AND t.user_id = %s AND u.is_active"
    )
    with db.hot_cursor() as cursor:
        db.execute_hot(cursor, sql, [key, user_id])
        return cursor.fetchone() is not None


_desks: dict[tuple[int, int], tuple[float, SamplingDesk]] = {}


def _visible_desk(user, pk: int) -> SamplingDesk:
    """Desk ``pk`` with its round, from ``SamplingDesk.objects.visible_to(user)`` (Http404 when out of
    scope), remembered per server process for as long as the token's scope
    (DeskTokenAuthentication.scope_seconds): desks do not move, and whether the round is still open is
    read afresh with every submission (services.desk._desk_lookup)."""
    now = time.monotonic()
    hit = _desks.get((user.pk, pk))
    if hit is not None and hit[0] > now:
        return hit[1]
    desk = get_object_or_404(SamplingDesk.objects.select_related("round").visible_to(user), pk=pk)
    if DeskTokenAuthentication.seconds > 0:
        if len(_desks) > 10_000:
            _desks.clear()
        seconds = max(DeskTokenAuthentication.scope_seconds, DeskTokenAuthentication.seconds)
        _desks[(user.pk, pk)] = (now + seconds, desk)
    return desk


class IdempotentCreateMixin:
    """``create`` needs an Idempotency-Key header; the outcome is stored and replayed (services.idempotency.remember).

    A caller without ``create_capability`` anywhere (e.g. a grid worker opening a round) gets 403
    before the header is looked at; the service still checks the capability at the place."""

    idempotency_scope = "api"
    create_capability = Capability.RUN_ROUNDS

    def create(self, request, *args, **kwargs):
        if self.create_capability and not can(request.user, self.create_capability):
            raise exceptions.PermissionDenied()
        key = request.headers.get("Idempotency-Key", "")
        if not idempotency.KEY_RE.match(key):
            raise exceptions.ValidationError({"Idempotency-Key": _("header required: 8-64 letters, digits, - _ :")})
        digest = idempotency.body_hash(request.data)
        previous = idempotency.replayed(key)
        if previous is not None:
            if previous.body_hash and previous.body_hash != digest:
                return Response(idempotency.key_reused(key), status=409)
            return Response(previous.response, status=previous.status_code, headers={"Idempotent-Replayed": "true"})
        try:
            status_code, data = self.perform_idempotent_create(request, key)
        except ValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            raise exceptions.ValidationError(detail) from None
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        stored = idempotency.remember(
            key=key,
            scope=self.idempotency_scope,
            user=request.user,
            status_code=status_code,
            response=data,
            digest=digest,
        )
        return Response(stored.response, status=stored.status_code)


class RoundViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Testing rounds in the caller's scope (covering it or inside it). POST opens one."""

    queryset = TestingRound.objects.prefetch_related("nodes").order_by("-opened_at", "-id")
    serializer_class = s.RoundSerializer

    def get_serializer_class(self):
        return s.RoundCreateSerializer if self.action == "create" else s.RoundSerializer

    @extend_schema(parameters=[IDEMPOTENCY], request=s.RoundCreateSerializer, responses={201: s.RoundSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_idempotent_create(self, request, key):
        data = s.RoundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = data.validated_data["codes"]
        nodes = list(Division.objects.visible_to(request.user).filter(code__in=codes))
        if len(nodes) != len(set(codes)):
            missing = ", ".join(sorted(set(codes) - {n.code for n in nodes}))
            raise ValidationError({"codes": _("unknown or out of scope: %(codes)s") % {"codes": missing}})
        rnd = rounds.round_open(
            actor=request.user,
            name=data.validated_data["name"],
            nodes=nodes,
            control_area_id=data.validated_data["control_area"],
            deadline=data.validated_data["deadline"],
        )
        return 201, s.RoundSerializer(rnd).data

    @extend_schema(
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=["community", "compound", "building"]),
            OpenApiParameter("within", OpenApiTypes.STR),
        ],
        responses=s.ScreeningCoverageSerializer,
    )
    @action(detail=True)
    def coverage(self, request, pk=None):
        """Coverage of the round per community, compound or building under ``within``; an unknown
        ``by`` is a 400 ``{"by": ["<message naming the value and the allowed groupings>"]}``, a
        ``within`` that is malformed or names a division the caller does not reach (unknown, another
        community) a 400 ``{"within": ["<message naming the value>"]}``, as on every list."""
        rnd = self.get_object()
        within = selectors.within_code(request.user, request.query_params)  # BadQuery 400: malformed or out of scope
        by = selectors.coverage_grouping(request.query_params, within or rnd.path)  # BadQuery: 400, translated
        rows, totals = selectors.coverage(user=request.user, round=rnd, within=within, by=by)

        def flat(row):
            return {"code": row.code, "label": row.label, **row.counts}

        return Response({"by": by, "within": within, "totals": flat(totals), "rows": [flat(r) for r in rows]})


def _field_object(queryset, field: str, **lookup):
    """The one object of ``queryset`` (already ``visible_to`` the caller) matching ``lookup``, else a
    400 ``{field: ["<value> 不存在或不在您的范围内"]}`` — unknown and out of scope answered alike, so
    ids cannot be probed, and never a bare 404 for a value in the body."""
    found = queryset.filter(**lookup).first()
    if found is None:
        raise exceptions.ValidationError({field: [out_of_reach(next(iter(lookup.values())))]})
    return found


class SiteViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = SamplingSite.objects.select_related("division").order_by("path", "name")
    serializer_class = s.SiteSerializer
    filterset_fields = ["round"]

    def get_serializer_class(self):  # the create body's limits name the refused value (core.api.field_errors)
        return s.SiteCreateSerializer if self.action == "create" else s.SiteSerializer

    @extend_schema(parameters=[IDEMPOTENCY], request=s.SiteCreateSerializer, responses={201: s.SiteSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_idempotent_create(self, request, key):
        data = s.SiteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rnd = _field_object(TestingRound.objects.visible_to(request.user), "round", pk=v["round"])
        division = _field_object(Division.objects.visible_to(request.user), "division", code=v["division"])
        site = rounds.site_create(
            actor=request.user,
            round=rnd,
            name=data.validated_data["name"],
            division=division,
            planned_people=data.validated_data["planned_people"],
        )
        return 201, s.SiteSerializer(site).data


class DeskViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    queryset = SamplingDesk.objects.order_by("path", "site_id", "name")
    serializer_class = s.DeskSerializer
    filterset_fields = ["round", "site"]

    def get_serializer_class(self):  # the create body's limits name the refused value (core.api.field_errors)
        return s.DeskCreateSerializer if self.action == "create" else s.DeskSerializer

    @extend_schema(parameters=[IDEMPOTENCY], request=s.DeskCreateSerializer, responses={201: s.DeskSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_idempotent_create(self, request, key):
        data = s.DeskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = _field_object(SamplingSite.objects.visible_to(request.user), "site", pk=data.validated_data["site"])
        desk = rounds.desk_create(
            actor=request.user,
            site=site,
            name=data.validated_data["name"],
            mode=data.validated_data["mode"],
            capacity_per_hour=data.validated_data["capacity_per_hour"],
        )
        return 201, s.DeskSerializer(desk).data


class TaskViewSet(ScopedReadOnlyViewSet):
    queryset = SamplingTask.objects.order_by("due_at", "path", "id")
    serializer_class = s.TaskSerializer
    filterset_fields = ["round", "kind", "status"]


class TubeViewSet(ScopedReadOnlyViewSet):
    queryset = Tube.objects.order_by("-opened_at", "-id")
    serializer_class = s.TubeSerializer
    filterset_fields = ["round", "desk", "task", "status", "result", "barcode"]


class SampleFilterSet(APIFilterSet):
    """Filters of the samples list: ``round``, ``tube`` (ids in scope), ``purpose`` (a choice) and
    ``unregistered`` (yes/no: ``true``/``false``/``1``/``0``; anything else is a 400 naming it)."""

    unregistered = YesNoFilter()

    class Meta:
        model = Sample
        fields = ["round", "tube", "purpose", "unregistered"]


class SampleViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Samples in scope (masked). POST is one desk or task submission (services.desk.desk_submit): the
    Idempotency-Key header is the submission key. 201/200 applied, 409 refused (stored, replayed),
    400 unreadable (an invalid ID number, a scan that is no ID, household QR or barcode; not stored);
    429/503 + Retry-After."""

    queryset = Sample.objects.order_by("-taken_at", "-id")
    serializer_class = s.SampleSerializer
    filterset_class = SampleFilterSet

    def get_authenticators(self):
        # the schema shows the usual token scheme (DeskTokenAuthentication takes the same header)
        if self.request is not None and self.request.method == "POST" and not getattr(self, "swagger_fake_view", 0):
            return [DeskTokenAuthentication(), SessionAuthentication()]
        return super().get_authenticators()

    def get_throttles(self):
        if self.action == "create":
            return [DeskThrottle()]
        return super().get_throttles()

    @extend_schema(
        parameters=[IDEMPOTENCY],
        request=s.SampleCreateSerializer,
        responses={
            201: s.SubmissionSerializer,
            200: s.SubmissionSerializer,
            400: s.SubmissionSerializer,
            409: s.SubmissionSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        """The full DRF path, for what the plain view ``sample_submit`` leaves to it (and the schema)."""
        data = s.SampleCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["desk"] and not data.validated_data["task"]:
            raise exceptions.ValidationError({"desk": [_("Give a desk or a task (the id of one of them).")]})
        code, body, headers = _submit(request.user, data.validated_data, request.headers.get("Idempotency-Key", ""))
        return Response(body, status=code, headers=headers)


def _submit(user, v: dict, key: str) -> tuple[int, dict, dict]:
    """One validated desk or task submission ``v`` (SampleCreateSerializer's fields) under ``key``:
    the station ``visible_to(user)`` (404 otherwise), a desk slot (503 + Retry-After when none frees,
    views.shed_load), services.desk.desk_submit. Returns ``(HTTP status, body, headers)`` as the API
    answers them: 201/200/400/409 from the service, 403/404 ``{"detail": ...}``, 503 ``{"status": "busy"}``."""
    try:
        if v["desk"]:
            desk, task = _visible_desk(user, v["desk"]), None
        else:
            desk = None
            task = get_object_or_404(SamplingTask.objects.select_related("round").visible_to(user), pk=v["task"])
    except Http404:  # unknown and out of scope alike, naming the id: a field error, never the model's name
        name = "desk" if v["desk"] else "task"
        return 400, {name: [out_of_reach(v[name])]}, {}
    payload = {**v, "key": key, "at": v["at"].isoformat() if v["at"] else None}
    busy = 503, {"status": "busy"}, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if not _desk_slots.acquire(timeout=0.25):
        return busy
    try:
        code, body = desk_submit(actor=user, desk=desk, task=task, payload=payload)
    except PermissionDenied as exc:
        return 403, {"detail": str(exc)}, {}
    except OperationalError:
        return busy
    finally:
        _desk_slots.release()
    return code, body, {}


# ------------------------------------------------------------------- the desk's submissions without DRF

_sample_drf_view = SampleViewSet.as_view({"get": "list", "post": "create"})
_desk_token = DeskTokenAuthentication()
_renderer = JSONRenderer()
_ACCEPTED = ("", "*/*", "application/json")
_KINDS = ("scan", "resident", "child", "close")
_TEXT = (("value", 100, False), ("name", 60, False), ("guardian", 40, False), ("tube", 64, True))
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")  # CharField refuses NUL and lone surrogates


def _no_constant(name):
    raise ValueError(name)  # NaN, Infinity: DRF's JSON parser refuses them


def _plain_payload(request) -> dict | None:
    """SampleCreateSerializer's ``validated_data`` for the usual desk submission (a JSON object,
    ``desk`` or ``task`` an integer, ``kind`` and strings valid, no ``at``, JSON accepted), or None
    for anything else, which the DRF view then answers (its errors, parsers and renderers)."""
    if request.content_type != "application/json" or request.META.get("HTTP_ACCEPT", "") not in _ACCEPTED:
        return None
    if request.content_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return None
    try:
        data = json.loads(request.body, parse_constant=_no_constant)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("at") is not None:
        return None
    v = {"desk": data.get("desk"), "task": data.get("task"), "at": None}
    for name in ("desk", "task"):  # not a row id (0, -1, > MAX_ID …): DRF's RowIdField names it
        if v[name] is not None and (type(v[name]) is not int or not 1 <= v[name] <= MAX_ID):
            return None
    if not v["desk"] and not v["task"]:
        return None
    kind = data.get("kind")
    if type(kind) is not str or kind.strip() not in _KINDS:
        return None
    v["kind"] = kind.strip()
    for name, longest, required in _TEXT:
        text = data.get(name, None if required else "")
        if type(text) is not str:
            return None
        text = text.strip()
        if len(text) > longest or (required and not text) or _BAD_CHARACTERS.search(text):
            return None
        v[name] = text
    return v


def _plain_user(request):
    """The caller as DRF authenticates it here (DeskTokenAuthentication, then the session with its
    CSRF check), or None when that would fail or nobody is authenticated (DRF answers 401/403)."""
    words = request.META.get("HTTP_AUTHORIZATION", "").split()
    if words and words[0].lower() == "token":
        if len(words) != 2:
            return None
        try:
            return _desk_token.authenticate_credentials(words[1])[0]
        except exceptions.AuthenticationFailed:
            return None
    user = getattr(request, "user", None)
    if not user or not user.is_active:
        return None
    try:
        SessionAuthentication().enforce_csrf(request)
    except exceptions.PermissionDenied:
        return None
    return user


@csrf_exempt  # as DRF's views: CSRF is checked for session callers only (_plain_user)
def sample_submit(request, *args, **kwargs):
    """``/api/v1/screening/samples/``: a desk or task submission (POST) as a plain Django view.

    At peak the desks post an ID number every few seconds each; DRF's request wrapping, content
    negotiation, serializer and renderer were about half of the server's CPU per registration. This
    view answers the usual submission with the same checks in the same order as SampleViewSet.create
    — authentication (token header first, then session + CSRF), the per-user DeskThrottle, the
    fields, the visible desk or task, the desk slots, services.desk.desk_submit — and the same answers and
    headers. Everything else (GET, another content type or Accept, an ``at`` time, a field that would
    not validate, failed authentication, a throttled caller) goes to the DRF view unchanged, which
    gives DRF's own answer; none of those has counted against the throttle here."""
    if request.method != "POST":
        return _sample_drf_view(request, *args, **kwargs)
    v = _plain_payload(request)
    user = v is not None and _plain_user(request)
    if not user:
        return _sample_drf_view(request, *args, **kwargs)
    request.user = user
    if not DeskThrottle().allow_request(request, None):
        return _sample_drf_view(request, *args, **kwargs)  # DRF's 429 with its Retry-After
    code, body, headers = _submit(user, v, request.headers.get("Idempotency-Key", ""))
    headers = {"Allow": "GET, POST, HEAD, OPTIONS", "Vary": "Accept", **headers}
    return HttpResponse(_renderer.render(body), status=code, content_type="application/json", headers=headers)


class LabResultViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Lab results in scope. POST a batch of lines (services.results.results_record): exactly one result per
    tube; doubtful lines are held (see held-results) and never overwrite; a tube outside the caller's
    scope is held as unknown. More than MAX_RESULT_LINES lines is a 400 naming the limit and the count."""

    queryset = LabResult.objects.select_related("tube").order_by("-reported_at", "-id")
    serializer_class = s.LabResultSerializer
    filterset_fields = ["value", "lab"]

    @extend_schema(parameters=[IDEMPOTENCY], request=s.ResultBatchSerializer, responses={201: OpenApiTypes.OBJECT})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_idempotent_create(self, request, key):
        from lianfang.accounts.selectors import primary_assignment  # noqa: PLC0415

        given = request.data.get("lines") if hasattr(request.data, "get") else None
        if isinstance(given, list) and len(given) > MAX_RESULT_LINES:  # before validating every line
            raise ValidationError({"lines": too_many_lines_message(len(given))})
        data = s.ResultBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = primary_assignment(request.user)
        path = assignment.division.code if assignment else (request.user.is_superuser and "62") or ""
        if not path:
            raise PermissionDenied(_("You hold no role: results are recorded under your division, and you have none."))
        lines = [
            ResultLine(
                line=i + 1, barcode=ln["barcode"], value=ln["result"], lab=ln["lab"], reported=ln["reported_at"] or ""
            )
            for i, ln in enumerate(data.validated_data["lines"])
        ]
        batch = results_record(actor=request.user, lines=lines, path=path, lab=data.validated_data["lab"])
        return 201, {"import": batch.pk, **batch.counts}


class ResultExceptionViewSet(ScopedReadOnlyViewSet):
    """Result lines held and never applied (ExceptionReason: unknown tube, duplicate, several tubes, no
    barcode, tube open, unreadable, time in the future or before the tube was closed, contradiction)."""

    queryset = ResultException.objects.order_by("-created_at", "-id")
    serializer_class = s.ResultExceptionSerializer
    filterset_fields = ["reason", "status"]


class FollowUpViewSet(ScopedReadOnlyViewSet):
    """Positive-pool follow-ups with members (masked) and steps."""

    queryset = (
        PoolFollowUp.objects.select_related("tube").prefetch_related("members", "steps").order_by("-opened_at", "-id")
    )
    serializer_class = s.FollowUpSerializer
    filterset_fields = ["round", "status"]
