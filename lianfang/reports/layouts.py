"""Report layouts as configuration: validating a layout and running it over a named data source.

A layout (:class:`lianfang.reports.models.ReportLayout`) is a source key, columns, filters and an
order; :func:`run` turns it into a :class:`LayoutResult` (the rows of the source for one division and
day, in column order, with an optional totals line) that every renderer can draw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lianfang.divisions.models import Division
from lianfang.reports import sources
from lianfang.reports.sources import Source

NUMERIC = ("int", "float")


@dataclass
class ResultColumn:
    """A column of a result: the source field ``key``, its heading ``label`` and ``kind``."""

    key: str
    label: str
    kind: str


@dataclass
class LayoutResult:
    """``rows`` (values in column order, coded values shown by their labels), the raw ``records``
    (dicts, as the source returned them), ``totals`` (or None), for ``division`` as of ``day``."""

    source: Source
    division: Division
    day: dt.date
    columns: list[ResultColumn]
    rows: list[list]
    records: list[dict]
    totals: list | None


def clean_columns(source: Source, columns) -> list[dict]:
    """Validated columns: a list of field keys or ``{"field", "label"?, "label_en"?}``; ValidationError
    naming the position and the field when a column is unknown, repeated or malformed."""
    if not isinstance(columns, list) or not columns:
        raise ValidationError(_("a layout needs a list of at least one column"))
    cleaned, seen = [], set()
    for index, column in enumerate(columns, start=1):
        spec = {"field": column} if isinstance(column, str) else column
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            raise ValidationError(_('column %(n)d: give a field key or {"field": key}') % {"n": index})
        key = spec["field"]
        if not source.has_field(key):
            raise ValidationError(
                _("column %(n)d: unknown field %(field)s of source %(source)s (fields: %(known)s)")
                % {"n": index, "field": key, "source": source.key, "known": ", ".join(f.key for f in source.fields)}
            )
        if key in seen:
            raise ValidationError(_("column %(n)d: field %(field)s is already shown") % {"n": index, "field": key})
        extra = set(spec) - {"field", "label", "label_en"}
        if extra:
            raise ValidationError(
                _("column %(n)d: unknown settings %(keys)s") % {"n": index, "keys": ", ".join(sorted(extra))}
            )
        seen.add(key)
        cleaned.append({k: str(v).strip() for k, v in spec.items() if str(v).strip()})
    return cleaned


def clean_order(source: Source, order_by: str) -> str:
    """A field key, ``-key`` for descending, or empty; ValidationError naming an unknown field."""
    order_by = (order_by or "").strip()
    if order_by and not source.has_field(order_by.lstrip("-")):
        raise ValidationError(
            _("order by: unknown field %(field)s of source %(source)s") % {"field": order_by, "source": source.key}
        )
    return order_by


def clean(*, source: str, columns, filters, order_by: str = "") -> tuple[Source, list[dict], dict, str]:
    """Validate a layout's spec; returns ``(source, columns, filters, order_by)`` cleaned (relative
    dates such as ``day-1`` are kept as text). ValidationError names the bad part."""
    src = sources.get(source)
    if filters is not None and not isinstance(filters, dict):
        raise ValidationError(_("filters must be an object of filter: value"))
    cleaned_filters = src.clean_filters(filters or {})
    return src, clean_columns(src, columns), cleaned_filters, clean_order(src, order_by)


def _label(source: Source, spec: dict) -> str:
    english = (get_language() or "").startswith("en")
    if english and spec.get("label_en"):
        return spec["label_en"]
    if not english and spec.get("label"):
        return spec["label"]
    return str(source.field(spec["field"]).label)


def _sort_key(value):
    if value is None:
        return (1, "")
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (0, str(value))


def run_spec(
    *, source: Source, columns: list[dict], filters: dict, order_by: str, totals: bool, user, division, day
) -> LayoutResult:
    """Rows of ``source`` for ``division`` as of ``day`` within ``user``'s scope, shaped by the columns,
    filters and order given (validated by :func:`clean`). LookupError when the source is not available."""
    records = list(source.rows(user=user, division=division, day=day, filters=filters))
    if order_by:
        key = order_by.lstrip("-")
        records.sort(key=lambda r: _sort_key(r.get(key)), reverse=order_by.startswith("-"))
    fields = [source.field(c["field"]) for c in columns]
    result_columns = [ResultColumn(f.key, _label(source, c), f.kind) for f, c in zip(fields, columns, strict=True)]
    rows = [[f.display(r.get(f.key)) for f in fields] for r in records]
    total_line = None
    if totals and rows:
        total_line = []
        for index, f in enumerate(fields):
            if f.kind in NUMERIC:
                total_line.append(sum(r[index] or 0 for r in rows))
            else:
                total_line.append("")
        first_text = next((i for i, f in enumerate(fields) if f.kind not in NUMERIC), None)
        if first_text is not None:
            total_line[first_text] = _("Total")
    return LayoutResult(
        source=source, division=division, day=day, columns=result_columns, rows=rows, records=records, totals=total_line
    )


def run(layout, *, user, division, day) -> LayoutResult:
    """Run ``layout`` (a ReportLayout) for ``division`` as of ``day`` within ``user``'s scope.
    ValidationError when the stored spec no longer validates; LookupError when its source is not available."""
    source, columns, filters, order_by = clean(
        source=layout.source, columns=layout.columns, filters=layout.filters, order_by=layout.order_by
    )
    return run_spec(
        source=source,
        columns=columns,
        filters=filters,
        order_by=order_by,
        totals=layout.totals,
        user=user,
        division=division,
        day=day,
    )


def records_spec(source: Source, query) -> tuple[list[dict], dict]:
    """Columns (every field) and filters (from a query dict: ``?category=inflow&category=close_contact``)
    of a source's records page; ValidationError for a bad filter."""
    raw = {}
    for flt in source.filters:
        values = query.getlist(flt.key) if hasattr(query, "getlist") else query.get(flt.key)
        if not values:
            continue
        raw[flt.key] = values if flt.kind == "choice" else (values[-1] if isinstance(values, list) else values)
    return [{"field": f.key} for f in source.fields], source.clean_filters(raw)
