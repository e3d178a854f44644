"""Template tags for text that must follow the language's punctuation (``{% load core_text %}``)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from lianfang.core import forms
from lianfang.core.forms import field_line

register = template.Library()


@register.simple_tag
def field_value(field, value):
    """``<field>: <code><value></code>`` with core.forms.field_line's colon (zh-Hans ``时间：<code>…</code>``);
    both pieces escaped. Returns safe HTML."""
    return mark_safe(field_line(conditional_escape(field), format_html("<code>{}</code>", value)))  # noqa: S308


@register.filter
def listing(values) -> str:
    """``{{ values|listing }}``: the items joined by the language's list separator (core.forms.listing:
    "1、4、7" in zh-Hans, "1, 4, 7" in English); autoescaped like any string."""
    return forms.listing(values)
