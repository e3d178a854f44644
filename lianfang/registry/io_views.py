"""Import/export pages and API (导入导出): upload a roster, watch its progress, read its problems,
download the template, the report or an export, roll an import back.

Every row comes through ``visible_to``: an import of a division outside the user's scope is a 404.
Uploads run as a django-tasks background task (lianfang.registry.tasks); the batch page polls its
progress with htmx.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, primary_assignment
from lianfang.core import pii
from lianfang.core.api import ScopedViewSetMixin
from lianfang.core.forms import bracketed
from lianfang.divisions.models import Division, Level
from lianfang.registry import exporters
from lianfang.registry.importing.batches import RollbackError, import_batch_create, import_batch_rollback
from lianfang.registry.importing.plan import severity_label
from lianfang.registry.importing.reading import ImportFileError, detect_format
from lianfang.registry.models import ImportBatch, ImportKind, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CONTENT_TYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def target_choices(user) -> list[tuple[str, str]]:
    """Divisions ``user`` may import into or export: districts, streets and communities in scope."""
    qs = (
        Division.objects.visible_to(user)
        .filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY])
        .order_by("code")
        .only("code", "short_name", "level")
    )
    return [(d.code, bracketed(f"{'　' * (d.level - Level.DISTRICT)}{d.short_name}", d.code)) for d in qs]


def _target(user, code: str) -> Division:
    """The division ``code`` if visible to ``user``; Http404 otherwise."""
    return get_object_or_404(
        Division.objects.visible_to(user).filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]),
        code=code,
    )


class UploadForm(forms.Form):
    """Upload: target division, the file, dry run."""

    division = forms.ChoiceField(label=gettext_lazy("Import into"))
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"), choices=ImportKind.choices, initial=ImportKind.REGISTRY, required=False
    )
    file = forms.FileField(label=gettext_lazy("Roster file (.xlsx, .xls, .ods, .csv)"))
    # the label ends without a colon: the form adds one (core.forms.LABEL_SUFFIX, "：" in zh-Hans)
    dry_run = forms.BooleanField(label=gettext_lazy("Check only (dry run, nothing is written)"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = target_choices(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            detect_format(upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("the file is larger than 200 MB"))
        return upload


class ExportForm(forms.Form):
    """Export: division, file format (XLSX or CSV, exporters.EXPORT_FORMATS), unmasked (needs a reason).

    Its fields' ids start with ``export_`` (``id_export_division``): the upload form on the same page
    has a ``division`` field too, and an id names one element."""

    division = forms.ChoiceField(label=gettext_lazy("Division"))
    format = forms.ChoiceField(
        label=gettext_lazy("File format"),
        choices=[("xlsx", gettext_lazy("Excel workbook (.xlsx)")), ("csv", gettext_lazy("CSV, UTF-8 (.csv)"))],
        initial="xlsx",
        required=False,
        error_messages={"invalid_choice": gettext_lazy("“%(value)s” is not an export format: use xlsx or csv")},
    )
    unmasked = forms.BooleanField(label=gettext_lazy("Unmasked ID and phone numbers"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (required for unmasked)"), required=False, max_length=300)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "id_export_%s")
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = target_choices(user)

    def clean(self):
        data = super().clean()
        if data.get("unmasked") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("an unmasked export needs a reason"))
        return data


class RollbackForm(forms.Form):
    """Roll an import back: the reason (required on the page, kept in the audit entry); its label gets
    the language's colon like every form's (core.forms.LABEL_SUFFIX)."""

    reason = forms.CharField(label=gettext_lazy("Reason for rolling back"), max_length=300)


def enqueue_batch(batch: ImportBatch, actor) -> None:
    """Run the batch in the background once the current transaction commits (design.md "Background work")."""
    from lianfang.registry.tasks import run_import_batch  # noqa: PLC0415

    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    transaction.on_commit(lambda: run_import_batch.enqueue(batch.pk, actor_id))


@login_required
def io_index(request):
    """Upload form, the user's recent imports (scoped), template download and export form."""
    return _index_page(request)


def _index_page(request, *, upload_form=None, export_form=None, status: int = 200):
    """The import/export page, with a bound form (and its errors) when one was refused (status 400)."""
    batches = ImportBatch.objects.visible_to(request.user).select_related("division", "actor")
    page = Paginator(batches, 20).get_page(request.GET.get("page") if status == 200 else 1)
    upload_form = upload_form or UploadForm(user=request.user)
    may_edit = can(request.user, Capability.EDIT_REGISTRY)
    has_targets = bool(upload_form.fields["division"].choices)
    return render(
        request,
        "registry/io/index.html",
        {
            "page": page,
            "upload_form": upload_form,
            "export_form": export_form or ExportForm(user=request.user),
            "can_import": may_edit and has_targets,
            # a grid worker edits households of a compound but imports go into a community or above
            "no_import_target": may_edit and not has_targets,
            "can_export": can(request.user, Capability.EXPORT),
            "import_refusal": "" if may_edit else import_refusal(request.user),
        },
        status=status,
    )


def import_refusal(user) -> str:
    """Why ``user`` may not import here, in the active language: the refusal of a user without
    EDIT_REGISTRY anywhere (a volunteer, a household representative, a stationed cadre), naming their
    place (accounts.selectors.denied_message) and who imports instead. One query at most."""
    refusal = denied_message(Capability.EDIT_REGISTRY, _own_place(user))
    return _("%(refusal)s Rosters are imported by community, street or district staff: ask your community's staff.") % {
        "refusal": refusal
    }


@login_required
@require_POST
def io_upload(request):
    """Store the uploaded file as a queued batch and start the background task; → the batch page.

    A user without EDIT_REGISTRY anywhere is refused before the file is read: 403 with
    :func:`import_refusal` — the 403 page, or for htmx a short fragment (registry/io/_refused.html)."""
    if not can(request.user, Capability.EDIT_REGISTRY):
        message = import_refusal(request.user)
        if request.htmx:
            return render(request, "registry/io/_refused.html", {"message": message}, status=403)
        raise PermissionDenied(message)
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _index_page(request, upload_form=form, status=400)
    target = _target(request.user, form.cleaned_data["division"])
    upload = form.cleaned_data["file"]
    with transaction.atomic():  # PermissionDenied → the project's translated 403 page (core's 403.html)
        batch = import_batch_create(
            actor=request.user,
            target=target,
            file_name=upload.name,
            data=upload.read(),
            dry_run=form.cleaned_data["dry_run"],
            kind=form.cleaned_data["kind"] or ImportKind.REGISTRY,
        )
        enqueue_batch(batch, request.user)
    return redirect("registry:io_batch", pk=batch.pk)


def _batch(request, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.visible_to(request.user).select_related("division", "actor"), pk=pk)


@login_required
@require_GET
def io_batch(request, pk: int):
    """One import: progress while it runs, then counts, problems (each severity by its label, e.g.
    错误/Error), report, rollback. The reasons are stored as text in the language the file was
    imported in; when that is not the reader's, the page names it above the table."""
    batch = _batch(request, pk)
    issues = [
        {**i, "severity_label": severity_label(i.get("severity", ""))} for i in exporters.masked_issues(batch.issues)
    ]
    written_in = exporters.batch_language(batch)
    return render(
        request,
        "registry/io/batch.html",
        {
            "batch": batch,
            "issues": issues,
            # the reasons are stored as text in the uploader's language: say so to a reader of another
            "reasons_language": get_language_info(written_in)["name_local"]
            if written_in and written_in != get_language()
            else "",
            "can_edit": can(request.user, Capability.EDIT_REGISTRY, batch.division.code),
            "can_download_report": exporters.report_permitted(request.user, batch),
            "rollback_form": RollbackForm(),
        },
    )


@login_required
@require_GET
def io_batch_progress(request, pk: int):
    """The progress fragment polled by htmx; once the batch has finished, tells htmx to reload the page."""
    batch = _batch(request, pk)
    response = render(request, "registry/io/_progress.html", {"batch": batch})
    if batch.is_finished and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def io_batch_report(request, pk: int):
    """Download the report (original rows plus Errors/Warnings columns): REVEAL_PII and EXPORT over the
    batch's division, audited (exporters.report_open); 403 otherwise."""
    batch = _batch(request, pk)
    if not batch.report:
        raise Http404
    handle = exporters.report_open(actor=request.user, batch=batch)  # PermissionDenied → 403
    return FileResponse(handle, as_attachment=True, filename=f"import-{batch.pk}-report.xlsx")


@login_required
@require_POST
def io_batch_rollback(request, pk: int):
    """Roll a committed import back (EDIT_REGISTRY on its division; reason recorded)."""
    batch = _batch(request, pk)
    try:  # PermissionDenied → the 403 page
        import_batch_rollback(actor=request.user, batch=batch, reason=request.POST.get("reason", ""))
    except RollbackError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The import was rolled back."))
    return redirect("registry:io_batch", pk=batch.pk)


@login_required
@require_POST
def io_batch_commit(request, pk: int):
    """Import a file that passed a dry run: the same batch is queued again, this time to write."""
    batch = _batch(request, pk)
    if not can(request.user, Capability.EDIT_REGISTRY, batch.division.code):
        raise PermissionDenied(_("you may not edit the registry of %s") % batch.division.short_name)
    with transaction.atomic():
        queued = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.VALIDATED).update(
            status=ImportStatus.QUEUED, dry_run=False, phase="", progress_done=0, finished_at=None
        )
        if queued:
            enqueue_batch(batch, request.user)
    if not queued:
        messages.error(request, _("Only a file checked by a dry run can be imported from here."))
    return redirect("registry:io_batch", pk=batch.pk)


@login_required
@require_GET
def io_template(request):
    """The blank import template (XLSX, ID and phone columns as Text, an instructions row); 404 for a
    user who may import nowhere (deny by default)."""
    if not can(request.user, Capability.EDIT_REGISTRY):
        raise Http404
    buffer = io.BytesIO()
    exporters.write_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="registry-template.xlsx"'
    return response


def _own_place(user) -> str:
    """The code of ``user``'s widest assignment ("" without one): where a refusal says they may not act."""
    assignment = primary_assignment(user)
    return assignment.division.code if assignment else ""


def may_import_or_export(user) -> bool:
    """Whether the import/export page has anything for ``user``: EXPORT somewhere, or EDIT_REGISTRY and
    a district, street or community in scope to import into (a grid worker of a compound has none).
    One query at most (the import targets)."""
    if can(user, Capability.EXPORT):
        return True
    return can(user, Capability.EDIT_REGISTRY) and (
        Division.objects.visible_to(user).filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY]).exists()
    )


@login_required
@require_POST
def io_export(request):
    """Export a division in the template layout as XLSX or CSV (``format``; a value other than ``xlsx``
    or ``csv`` is a 400 naming it); masked unless asked (permission, reason, watermark).

    A user without the EXPORT capability anywhere gets the 403 page naming what and where
    (accounts.selectors.denied_message with their own place), before the form is read."""
    if not can(request.user, Capability.EXPORT):
        raise PermissionDenied(denied_message(Capability.EXPORT, _own_place(request.user)))
    form = ExportForm(request.POST, user=request.user)
    if not form.is_valid():
        return _index_page(request, export_form=form, status=400)
    target = _target(request.user, form.cleaned_data["division"])
    file_format = form.cleaned_data["format"] or "xlsx"
    buffer = io.BytesIO()
    try:
        exporters.registry_export(
            actor=request.user,
            target=target,
            output=buffer,
            unmasked=form.cleaned_data["unmasked"],
            reason=form.cleaned_data["reason"],
            file_format=file_format,
        )  # PermissionDenied → the 403 page
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _index_page(request, export_form=form, status=400)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type=EXPORT_CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="registry-{target.code}-{stamp}.{file_format}"'
    return response


# --- API ---------------------------------------------------------------------------------------------


class ImportBatchSerializer(serializers.ModelSerializer):
    """An import: status, progress, counts, the first problems, and links."""

    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="registry (households and residents) or workers")
    report_url = serializers.SerializerMethodField()
    message = serializers.CharField(
        source="summary", read_only=True, help_text="The result in one sentence, in the request's language"
    )

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "division",
            "file_name",
            "file_sha256",
            "file_format",
            "kind",
            "encoding",
            "dry_run",
            "status",
            "phase",
            "progress_done",
            "progress_total",
            "counts",
            "issues",
            "message",
            "created_at",
            "finished_at",
            "rolled_back_at",
            "report_url",
        ]
        read_only_fields = fields

    def get_report_url(self, obj) -> str | None:
        request = self.context.get("request")
        if not obj.report or request is None or not exporters.report_permitted(request.user, obj):
            return None
        return reverse("api:registry-import-report", kwargs={"pk": obj.pk})

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["issues"] = exporters.masked_issues(data["issues"] or [])  # the report has the originals
        return data


class ImportUploadSerializer(serializers.Serializer):
    """Upload: ``division`` (code), ``kind`` (registry or workers), ``file``, ``dry_run``."""

    division = serializers.CharField(max_length=20)
    kind = serializers.CharField(
        default=ImportKind.REGISTRY, help_text="registry (households and residents) or workers (with assignments)"
    )

    def validate_kind(self, value: str) -> str:
        if value not in ImportKind.values:
            raise serializers.ValidationError(
                _("%(value)s is not an import kind: use registry or workers") % {"value": pii.quoted(value)}
            )
        return value

    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=False)


class RollbackSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ImportBatchViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Registry imports in the caller's scope. ``POST`` a file to start one (runs in the background,
    202); poll it; ``rollback`` a committed one; download its ``report``. A refused upload is 400
    ``{field: [message, ...]}`` (``division``, ``kind``, ``file``), each message naming the value
    given (e.g. the division code not found in the caller's area)."""

    queryset = ImportBatch.objects.select_related("division").order_by("-created_at", "-id")
    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["status"]

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportBatchSerializer})
    def create(self, request, *args, **kwargs):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        code = upload.validated_data["division"]
        target = Division.objects.visible_to(request.user).filter(code=code).first()
        if target is None:
            message = _("no division with the code %(code)s in your area (a community, street or district code)")
            raise serializers.ValidationError({"division": [message % {"code": f"“{code}”"}]})  # a code, not PII
        file = upload.validated_data["file"]
        try:
            with transaction.atomic():
                batch = import_batch_create(
                    actor=request.user,
                    target=target,
                    file_name=file.name,
                    data=file.read(),
                    dry_run=upload.validated_data["dry_run"],
                    kind=upload.validated_data["kind"],
                )
                enqueue_batch(batch, request.user)
        except ImportFileError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from exc
        except ValidationError as exc:
            raise serializers.ValidationError({"division": exc.messages}) from exc
        batch.refresh_from_db()
        return Response(
            ImportBatchSerializer(batch, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=RollbackSerializer, responses={200: ImportBatchSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def rollback(self, request, pk=None):
        batch = self.get_object()
        body = RollbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            batch = import_batch_rollback(actor=request.user, batch=batch, reason=body.validated_data.get("reason", ""))
        except RollbackError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(ImportBatchSerializer(batch, context={"request": request}).data)

    @extend_schema(responses={(200, XLSX): OpenApiResponse(description="the report (XLSX)")})
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        """The report (XLSX): REVEAL_PII and EXPORT over the batch's division, audited; 403 otherwise."""
        batch = self.get_object()
        if not batch.report:
            raise Http404
        handle = exporters.report_open(actor=request.user, batch=batch)  # PermissionDenied → 403
        return FileResponse(handle, as_attachment=True, filename=f"import-{batch.pk}-report.xlsx")


def register_navigation() -> None:
    """Add the Import/export entry to the top bar (called from RegistryConfig.ready), shown only to a
    user who may import or export somewhere (:func:`may_import_or_export`)."""
    from lianfang.core.navigation import NavItem, register  # noqa: PLC0415

    register(NavItem("registry:io_index", gettext_lazy("Import/export"), order=25, visible=may_import_or_export))
