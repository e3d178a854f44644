"""Template helpers for the zones pages."""

from django import template

register = template.Library()


@register.filter
def get_cell(mapping, key):
    """``mapping[key]`` or None (dict look-up by a variable key, e.g. a tier id)."""
    return mapping.get(key) if mapping else None
