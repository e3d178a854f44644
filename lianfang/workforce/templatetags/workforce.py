"""Template helpers of the workforce pages."""

from django import template

from lianfang.accounts.selectors import has_division_scope

register = template.Library()


@register.filter
def get(mapping, key):
    """``{{ counts|get:level }}``: ``mapping[key]`` or 0 when absent."""
    return mapping.get(key, 0) if mapping else 0


@register.filter
def division_scope(user) -> bool:
    """``{% if request.user|division_scope %}``: the user sees a division subtree, so the sheet and
    the grid open for them (accounts.selectors.has_division_scope); a household representative does not."""
    return has_division_scope(user)
