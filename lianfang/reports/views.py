"""Pages of the reports app: the command overview, the daily report (HTML, XLSX, PDF, JSON, text),
trends, report layouts and the records behind every number.

Every page reads rows only through ``Model.objects.visible_to(request.user)`` (inside the selectors
and sources); a ``?code=`` naming a division holding nothing the user may see is a 400 page naming
it (:func:`report_division`), as every ``within``/``code`` parameter of the project is.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, primary_assignment
from lianfang.core.audit_labels import DAILY_REPORT_KEY
from lianfang.core.filters import (
    BadQuery,
    answers_bad_query,
    code_label,
    future_day_error,
    query_code,
    validate_reached,
)
from lianfang.core.forms import bracketed, error_lines, items_line, listing
from lianfang.core.scoping import reaches, scope_for
from lianfang.divisions.models import Division, Level
from lianfang.divisions.selectors import place_names
from lianfang.reports import daily, days, documents, layouts, overview, services, sources, trends
from lianfang.reports import render as rendering
from lianfang.reports.forms import CloseForm, LayoutForm, ReopenForm
from lianfang.reports.links import Links
from lianfang.reports.models import DailyReport, ReportLayout
from lianfang.reports.shipped import ensure_shipped

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
}


class BadRequest(Exception):
    """A query parameter the page cannot use; rendered as a 400 page naming it."""


def _bad_request(request, messages_: list[str]):
    return render(request, "reports/error.html", {"errors": messages_}, status=400)


def home_code(user) -> str:
    """The division a user's reports open on: their widest assignment, cut to community level; the
    installation's district for a superuser without one."""
    assignment = primary_assignment(user)
    if assignment is None:
        return settings.LIANFANG_DISTRICT_CODE if user.is_superuser else ""
    code = assignment.division.code
    return code[:12] if len(code) > 12 else code


def has_reports(user) -> bool:
    """True when the reports open for ``user``: a superuser, or a role whose home division
    (:func:`home_code`: their widest one, cut to community level) holds something they may see
    (core.scoping.reaches) — a compound's grid worker or volunteer reads their community's report cut
    to their part of it; a household representative has no report."""
    if user.is_superuser:
        return True
    assignment = primary_assignment(user)
    if assignment is None:
        return False
    if assignment.division.level <= Level.COMMUNITY:  # their own division: no query (every page asks)
        return True
    # a compound's grid worker or volunteer (not a household representative: their figures are
    # their households', and the report's drill-downs lead to community pages they cannot open)
    return assignment.grants_subtree and reaches(user, home_code(user))


def layouts_refusal(user) -> str:
    """Why report layouts (list, run, export, edit; page and API) do not open for ``user``, in the
    active language, or "" when they do. Layouts are the forms an office files for a whole community,
    street/town or district (卫健委日报, 公安返乡人员名单): they open for a superuser and for a role
    assigned to a whole division at community level or above (district commander, street/town
    officer, community staff, stationed cadre). A grid worker or volunteer (one compound: their daily
    report is cut to it) and a household representative file no such form: the reports tabs do not
    offer them the link and a direct visit answers 403 with this sentence. A user without any role is
    not refused here: like on every reports page, their scope holds nothing (an empty list, 404s)."""
    if user.is_superuser:
        return ""
    assignment = primary_assignment(user)
    if assignment is None or (assignment.grants_subtree and assignment.division.level <= Level.COMMUNITY):
        return ""
    return _(
        "Report layouts are the forms a community, street/town or district office files for its whole area; "
        "your role does not file them."
    )


def require_layouts(user) -> None:
    """Raise PermissionDenied(:func:`layouts_refusal`) unless report layouts open for ``user``."""
    reason = layouts_refusal(user)
    if reason:
        raise PermissionDenied(reason)


def division_for(request, *, param: str = "code") -> Division:
    """The division a report page is about: ``?code=`` read by core.filters.query_code (full-width
    digits from a Chinese input method, ``６２０１０３``, read as ``620103``), else the user's own
    (:func:`home_code`); see :func:`report_division`. Raises BadQuery (a 400 page naming ``code``
    and the value: core.filters.answers_bad_query) for a malformed, unknown, out-of-scope or
    wrong-level code; Http404 when no code is given and the user has no division of their own."""
    return report_division(request.user, query_code(request.GET, param), param=param)


def report_division(user, code: str, *, param: str = "code") -> Division:
    """The division of ``code`` (a well-formed, normalised division code, or "" for the user's own:
    :func:`home_code`) that a report of ``user`` is about — the pages' ``?code=`` and the API's
    ``code`` alike.

    A given code must name a division holding something ``user`` may see (core.scoping.reaches,
    the one rule of every ``within``/``code`` parameter: core.filters.validate_reached) at district,
    street/town or community level, and one they see whole (``visible_to``) unless it is their own
    (:func:`home_code`: a compound's grid worker reads their community's report cut to their part of
    it, every figure ``visible_to`` them, and told so). Raises BadQuery (a 400 naming the parameter
    and the value; pages: core.filters.bad_query_response, API: ``{"code": [...]}``) with
    “<code>” is not the code of a division you may see for an unknown or out-of-scope code, “you
    see only part of “<code>”: open the reports of <home> instead” for another division above their
    scope (community staff naming the district: its documents would be titled with the whole
    district), “<code>” is not a district, street/town or community … for one of another level (a
    compound). Without a code: the user's own division, Http404 when they have none (or it holds
    nothing they may see)."""
    if code:
        try:
            validate_reached(user, code)
        except ValidationError as exc:
            raise BadQuery({param: exc.messages}, {param: code_label(param)}) from None
        division = Division.objects.get(code=code)  # reached: it exists
        home = home_code(user)
        if code != home and not Division.objects.visible_to(user).filter(pk=division.pk).exists():
            # above their scope (a community's staff naming the district): its report, layouts and
            # exports would be titled with the whole division but hold only their part of it
            own = Division.objects.filter(code=home).first() if home else None
            if own is None:
                message = _("“%(value)s” is not the code of a division you may see") % {"value": code}
            else:
                message = _("you see only part of “%(value)s”: open the reports of %(home)s instead") % {
                    "value": code,
                    "home": bracketed(own.short_name, own.code),
                }
            raise BadQuery({param: [message]}, {param: code_label(param)})
    else:
        code = home_code(user)
        if not code:
            raise Http404
        visible = Division.objects.visible_to(user)
        if reaches(user, code):
            visible = Division.objects.all()  # their own community, cut to their part of it
        division = get_object_or_404(visible, code=code)
    if division.level < Level.DISTRICT or division.level > Level.COMMUNITY:
        message = _("“%(value)s” is not a district, street/town or community: reports are of those divisions")
        raise BadQuery({param: [message % {"value": division.code}]}, {param: code_label(param)})
    return division


def day_for(request, *, param: str = "date"):
    """The day asked for (``?date=YYYY-MM-DD``, default today); BadRequest naming a malformed or future date."""
    try:
        day = days.parse(request.GET.get(param))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if error := future_day_error(day):
        raise BadRequest(" ".join(error.messages))
    return day


def _children(user, division: Division) -> list[Division]:
    if division.level >= Level.COMMUNITY:
        return []
    return list(Division.objects.visible_to(user).filter(parent=division).order_by("code"))


def _crumbs(user, division: Division) -> list[Division]:
    scope = scope_for(user)
    return [a for a in division.ancestors() if a.level >= Level.DISTRICT and scope.covers_code(a.code)]


def _language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


# ------------------------------------------------------------------------------------------ overview


@login_required
@answers_bad_query
def overview_page(request):
    """The command overview of a district, street/town or community (``?code=``): areas by tier, the map,
    the current round, positive pools awaiting follow-up, requests, gates and workforce today."""
    try:
        division = division_for(request)
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    data, figures_at = overview.build_tolerant(user=request.user, division=division)
    day = days.today()
    links = Links(division.code, day, today=True, population_code=_seen_code(request.user, division))
    return render(
        request,
        "reports/overview.html",
        {
            "division": division,
            "data": data,
            "day": day,
            "links": links,
            "parts": documents.overview_parts(data, language=_language(), links=links),
            "figures_at": figures_at,
            "children": _children(request.user, division),
            "crumbs": _crumbs(request.user, division),
            "language": _language(),
        },
    )


# ------------------------------------------------------------------------------------------ daily report


def _part_label(user, division: Division) -> str:
    """ "" when ``user`` sees all of ``division``; else the places of it they see, each by its path
    from ``division`` down (divisions.selectors.place_names: ``"下西园社区 › 阳光小区"`` in a
    community's report), listed in the reader's language (core.forms.listing: "、" in zh-Hans); for
    a reader whose scope is households only (a household representative, 联户代表), how many of
    the division's households they look after: "您负责的20户" / "the 20 households in your care".
    The report is cut to those. One or two queries."""
    from django.apps import apps  # noqa: PLC0415 (the registry is below the reports)
    from django.utils.translation import ngettext  # noqa: PLC0415

    scope = scope_for(user)
    if scope.covers_code(division.code):
        return ""
    roots = [root for root in scope.codes if root.startswith(division.code)]
    if not roots and scope.household_querysets:
        household = apps.get_model("registry", "Household")
        mine = Q()
        for ids in scope.household_querysets:
            mine |= Q(pk__in=ids)
        n = household.objects.filter(mine, path__startswith=division.code).count()
        return ngettext("the %(n)s household in your care", "the %(n)s households in your care", n) % {"n": n}
    names = place_names(roots, below=division.level - 1)
    return listing(names[root] for root in roots)


def _seen_code(user, division: Division) -> str | None:
    """The division page of ``division`` the reader may open: its own code when they see all of it,
    else their first scope root inside it (a grid worker's compound), else None (a representative)."""
    scope = scope_for(user)
    if scope.covers_code(division.code):
        return division.code
    return next((root for root in scope.codes if root.startswith(division.code)), None)


@login_required
@answers_bad_query
def daily_page(request):
    """The daily report as of ``?date=`` for ``?code=``: paragraph and tables with drill-downs, the
    close-day state and the export links."""
    try:
        division = division_for(request)
        day = day_for(request)
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    try:
        report, row = daily.report_for(user=request.user, division=division, day=day)
    except ValidationError as exc:  # no report rule set in force on the day
        return _bad_request(request, exc.messages)
    language = _language()
    part = _part_label(request.user, division)
    doc = documents.daily_document(
        report,
        language=language,
        links=Links(division.code, day, today=day == days.today(), population_code=_seen_code(request.user, division)),
        part=part,
    )
    can_close = can(request.user, services.CLOSE_CAPABILITY, division.code)
    blockers = []
    if not (row and row.is_closed):
        blockers = services.close_blockers(user=request.user, division=division, day=day)
    return render(
        request,
        "reports/daily.html",
        {
            "division": division,
            "day": day,
            "doc": doc,
            "report": report,
            "row": row,
            "closed": bool(row and row.is_closed),
            "can_close": can_close,
            "blockers": blockers,
            "close_form": CloseForm(initial={"code": division.code, "date": day}),
            "reopen_form": ReopenForm(initial={"code": division.code, "date": day}),
            "children": _children(request.user, division),
            "crumbs": _crumbs(request.user, division),
            "part": part,
            "query": f"code={division.code}&date={day.isoformat()}",
            "place_extra": f"date={day.isoformat()}",
        },
    )


@login_required
@answers_bad_query
def daily_export(request):
    """The daily report as ``?format=xlsx|pdf|json|text`` (``?lang=en`` for English; default: the
    page's language), watermarked with the user and the time and audited (services.export_record)
    like every other export, though it holds aggregates only. A reader who sees only part of the
    division (a grid worker's compound) exports a document titled with that part (JSON: ``part``)."""
    try:
        division = division_for(request)
        day = day_for(request)
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        return _bad_request(request, [_("format %(f)s: use xlsx, pdf, json or text") % {"f": fmt}])
    language = request.GET.get("lang") or _language()
    if language not in daily.LANGUAGES:
        return _bad_request(request, [_("lang %(l)s: use zh-hans or en") % {"l": language}])
    try:
        report, _row = daily.report_for(user=request.user, division=division, day=day)
    except ValidationError as exc:  # no report rule set in force on the day
        return _bad_request(request, exc.messages)
    with translation.override(language):
        mark = rendering.watermark(request.user)
        part = _part_label(request.user, division)
    doc = documents.daily_document(report, language=language, watermark=mark, part=part)
    if part:
        report = {**report, "part": part}  # the JSON names the part too
    services.export_record(
        actor=request.user,
        layout_key=DAILY_REPORT_KEY,
        source="daily",
        division=division,
        day=day,
        fmt=fmt,
        rows=sum(len(table.rows) for table in doc.tables),
        personal=False,  # counts only
    )
    return _respond(doc, fmt, report=report)


def _respond(doc: rendering.Document, fmt: str, *, report: dict | None = None, records: list | None = None):
    if fmt == "json":
        payload = report if report is not None else records
        return HttpResponse(rendering.to_json(payload), content_type=FORMATS["json"])
    if fmt == "text":
        return HttpResponse(rendering.to_text(doc), content_type=FORMATS["text"])
    content = rendering.to_xlsx(doc) if fmt == "xlsx" else rendering.to_pdf(doc)
    response = HttpResponse(content, content_type=FORMATS[fmt])
    from urllib.parse import quote  # noqa: PLC0415

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(doc.filename(fmt))}"
    return response


def _status_change(request, form_class, change, success: str):
    """Validate ``form_class`` from POST, run ``change(division, day, data)`` (a service call) and go
    back to the day's report with its message; 403 without the capability, 400 for a bad form or a
    day no report can be closed on (services.check_day: in the future, before any report rule set,
    or a division below community level — the day's page would refuse it too)."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _bad_request(request, error_lines(form))
    division = get_object_or_404(Division.objects.visible_to(request.user), code=form.cleaned_data["code"])
    day = form.cleaned_data["date"]
    try:
        services.check_day(division, day)
    except ValidationError as exc:
        return _bad_request(request, exc.messages)
    try:
        change(division, day, form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, items_line(exc.messages))
    else:
        messages.success(request, success % {"day": day})
    return redirect(f"{reverse('reports:daily')}?code={division.code}&date={day.isoformat()}")


@login_required
@require_POST
def daily_close(request):
    """Close the day (POST ``code``, ``date``, ``note``); refused with the reasons while a positive pool
    lacks follow-up."""

    def change(division, day, data):
        services.daily_report_close(actor=request.user, division=division, day=day, note=data["note"])

    return _status_change(request, CloseForm, change, _("The report of %(day)s is closed: its figures are frozen."))


@login_required
@require_POST
def daily_reopen(request):
    """Reopen a closed day (POST ``code``, ``date``, ``reason``, ``note``)."""

    def change(division, day, data):
        report = get_object_or_404(DailyReport.objects.visible_to(request.user), division=division, day=day)
        services.daily_report_reopen(actor=request.user, report=report, reason=data["reason"], note=data["note"])

    return _status_change(request, ReopenForm, change, _("The report of %(day)s is open again."))


@login_required
def daily_list(request):
    """Closed and reopened daily reports in the user's scope, latest first."""
    rows = (
        DailyReport.objects.visible_to(request.user)
        .select_related("division", "closed_by")
        .order_by("-day", "path")[:200]
    )
    return render(request, "reports/daily_list.html", {"rows": rows})


# ------------------------------------------------------------------------------------------ trends


@login_required
@answers_bad_query
def trends_page(request):
    """ECharts over days: infections, areas by tier, round coverage, requests open/overdue, workforce."""
    try:
        division = division_for(request)
        last = day_for(request)
        n = trends.days_param(request.GET.get("days"), last)
    except (BadRequest, ValueError) as exc:
        return _bad_request(request, [str(exc)])
    except ValidationError as exc:  # no report rule set in force on the day
        return _bad_request(request, exc.messages)
    data = trends.build(user=request.user, division=division, last=last, n_days=n)
    return render(
        request,
        "reports/trends.html",
        {
            "division": division,
            "day": last,
            "n_days": n,
            "data": data,
            "chart_data": trends.chart_payload(data, language=_language()),
            "crumbs": _crumbs(request.user, division),
            "children": _children(request.user, division),
        },
    )


# ------------------------------------------------------------------------------------------ layouts


@login_required
def layouts_page(request):
    """The report layouts the user may use: the shipped ones and their district's own (403 for a role
    that files no form, :func:`layouts_refusal`)."""
    require_layouts(request.user)
    ensure_shipped()
    rows = ReportLayout.objects.visible_to(request.user).select_related("district").order_by("-is_builtin", "key")
    code = home_code(request.user)
    return render(
        request,
        "reports/layouts.html",
        {
            "layouts": [(layout, sources.SOURCES.get(layout.source)) for layout in rows],
            "code": code,
            "can_edit": bool(code) and can(request.user, services.LAYOUT_CAPABILITY, code[:6]),
            "sources": sources.all_sources(),
        },
    )


def _layout(request, key: str) -> ReportLayout:
    require_layouts(request.user)
    return get_object_or_404(ReportLayout.objects.visible_to(request.user).select_related("district"), key=key)


@login_required
@answers_bad_query
def layout_page(request, key: str):
    """One layout run for ``?code=`` as of ``?date=`` (HTML), with its export links."""
    layout = _layout(request, key)
    try:
        division = division_for(request)
        day = day_for(request)
        result = layouts.run(layout, user=request.user, division=division, day=day)
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    except ValidationError as exc:
        return _bad_request(request, exc.messages)
    except LookupError:
        result = None
    return render(
        request,
        "reports/layout.html",
        {
            "layout": layout,
            "division": division,
            "day": day,
            "result": result,
            "query": f"code={division.code}&date={day.isoformat()}",
            "can_edit": not layout.is_builtin
            and can(request.user, services.LAYOUT_CAPABILITY, layout.audit_division_code),
            # a list of people is exported only with EXPORT over the division: no links that answer 403
            "can_export": result is not None and _export_allowed(request.user, result.source, division),
        },
    )


def _export_allowed(user, source, division) -> bool:
    return not source.personal or can(user, Capability.EXPORT, division.code)


@login_required
@answers_bad_query
def layout_export(request, key: str):
    """A layout as ``?format=xlsx|pdf|json|text``. A source of personal data needs the EXPORT capability;
    every export is audited and watermarked."""
    layout = _layout(request, key)
    fmt = request.GET.get("format", "xlsx")
    try:
        division = division_for(request)
        day = day_for(request)
        if fmt not in FORMATS:
            raise BadRequest(_("format %(f)s: use xlsx, pdf, json or text") % {"f": fmt})
        result = layouts.run(layout, user=request.user, division=division, day=day)
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    except ValidationError as exc:
        return _bad_request(request, exc.messages)
    except LookupError:
        raise Http404 from None
    with translation.override(_language()):
        title = layout.display_title
    return _export_result(request, result, fmt, key=layout.key, title=title, issuer=layout.display_issuer)


def _export_result(request, result, fmt: str, *, key: str, title: str, issuer: str = ""):
    """Export a layout's or a records list's rows as ``fmt``: a source of personal data needs the EXPORT
    capability over the division; the export is audited and watermarked with the user and the time."""
    if not _export_allowed(request.user, result.source, result.division):
        raise PermissionDenied(denied_message(Capability.EXPORT, result.division.code))
    services.export_record(
        actor=request.user,
        layout_key=key,
        source=result.source.key,
        division=result.division,
        day=result.day,
        fmt=fmt,
        rows=len(result.rows),
        personal=result.source.personal,
    )
    language = _language()
    with translation.override(language):
        mark = rendering.watermark(request.user)
    doc = documents.result_document(result, title=title, issuer=issuer, language=language, watermark=mark)
    records = [dict(zip([c.key for c in result.columns], row, strict=True)) for row in result.rows]
    return _respond(doc, fmt, records=records)


@login_required
def layout_edit(request, key: str | None = None):
    """Create a local layout (optionally copying ``?from=KEY``) or change one of the district's own."""
    require_layouts(request.user)
    code = home_code(request.user)
    district = Division.objects.filter(code=code[:6]).first() if code else None
    if district is None or not can(request.user, services.LAYOUT_CAPABILITY, district.code):
        raise PermissionDenied(_("Report layouts are made by district staff."))
    layout = _layout(request, key) if key else None
    if layout is not None and layout.is_builtin:
        raise PermissionDenied(_("Shipped layouts cannot be changed: copy one."))
    base = layout
    if base is None and request.GET.get("from"):
        base = _layout(request, request.GET["from"])
    form = LayoutForm(request.POST or None, base=base, editing=layout is not None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.report_layout_save(actor=request.user, district=district, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Layout saved."))
            return redirect("reports:layout", key=saved.key)
    return render(
        request,
        "reports/layout_form.html",
        {"form": form, "layout": layout, "sources": sources.all_sources(), "district": district},
    )


# ------------------------------------------------------------------------------------------ records


@login_required
@answers_bad_query
def records_page(request, source: str):
    """The rows behind a number: data source ``source`` for ``?code=`` as of ``?date=`` with its filters
    in the query string (``?state=open&state=missing``); ``?format=`` exports them."""
    try:
        src = sources.get(source)
    except ValidationError:
        raise Http404 from None
    fmt = request.GET.get("format", "")
    try:
        division = division_for(request)
        day = day_for(request)
        columns, filters = layouts.records_spec(src, request.GET)
        if fmt and fmt not in FORMATS:
            raise BadRequest(_("format %(f)s: use xlsx, pdf, json or text") % {"f": fmt})
    except BadRequest as exc:
        return _bad_request(request, [str(exc)])
    except ValidationError as exc:
        return _bad_request(request, exc.messages)
    if not src.available():
        return render(
            request, "reports/records.html", {"source": src, "division": division, "day": day, "result": None}
        )
    try:
        result = layouts.run_spec(
            source=src,
            columns=columns,
            filters=filters,
            order_by="",
            totals=False,
            user=request.user,
            division=division,
            day=day,
        )
    except ValidationError as exc:  # a source app's refusal of the day (fieldops: no field rule set in force)
        return _bad_request(request, exc.messages)
    if fmt:
        with translation.override(_language()):
            title = str(src.label)
        return _export_result(request, result, fmt, key=f"records:{src.key}", title=title)
    active = {k: (v if isinstance(v, list) else [v]) for k, v in filters.items()}
    return render(
        request,
        "reports/records.html",
        {
            "source": src,
            "division": division,
            "day": day,
            "result": result,
            "filters": [(f, [f.display(v) for v in active.get(f.key, [])]) for f in src.filters],
            "query": request.GET.urlencode(),
            "can_export": _export_allowed(request.user, src, division),
        },
    )
