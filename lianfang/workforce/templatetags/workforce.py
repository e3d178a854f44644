"""Template helpers of the workforce pages."""

from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """``{{ counts|get:level }}``: ``mapping[key]`` or 0 when absent."""
    return mapping.get(key, 0) if mapping else 0
