"""Template helpers of the reports pages: table lines with their drill-down links, formatted cells."""

from __future__ import annotations

from django import template

from lianfang.reports.render import cell_text

register = template.Library()


@register.filter
def table_lines(table) -> list[tuple[str, list[tuple[str, str | None, bool, str]]]]:
    """``[(style, [(text, url or None, numeric, label)])]`` for a reports.render.Table."""
    lines = []
    for index, row in enumerate(table.rows):
        urls = table.links[index] if table.links and index < len(table.links) else []
        cells = []
        for position, (value, column) in enumerate(zip(row, table.columns, strict=False)):
            url = urls[position] if position < len(urls) else None
            cells.append((cell_text(value, column.kind), url, column.numeric, column.label))
        lines.append((table.style(index), cells))
    return lines


@register.filter
def total_cells(table) -> list[tuple[str, bool, str]]:
    """``[(text, numeric, label)]`` of a Table's totals line (empty without one)."""
    if not table.totals:
        return []
    return [(cell_text(v, c.kind), c.numeric, c.label) for v, c in zip(table.totals, table.columns, strict=False)]


@register.filter
def cell(value, kind: str = "text") -> str:
    """A value as the reports show it (numbers grouped, dates ISO, yes/no)."""
    return cell_text(value, kind)


@register.filter
def get(mapping, key):
    """``mapping[key]`` (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def isotime(value) -> str:
    """An ISO datetime string as local ``YYYY-MM-DD HH:MM``."""
    import datetime as dt  # noqa: PLC0415

    from django.utils import timezone  # noqa: PLC0415

    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


@register.filter
def get_item(sequence, index):
    """``sequence[index]`` (None when out of range)."""
    try:
        return sequence[index]
    except (IndexError, TypeError, KeyError):
        return None


@register.filter
def opens_layouts(user) -> bool:
    """True when report layouts open for ``user`` (reports.views.layouts_refusal): the tabs offer the
    link only then."""
    from lianfang.reports.views import layouts_refusal  # noqa: PLC0415 (views load the templatetags' app)

    return not layouts_refusal(user)
