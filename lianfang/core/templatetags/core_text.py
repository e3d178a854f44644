"""Template tags for text that must follow the language's punctuation (``{% load core_text %}``)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from lianfang.core.forms import field_line

register = template.Library()


@register.simple_tag
def field_value(field, value):
    """``<field>: <code><value></code>`` with core.forms.field_line's colon (zh-Hans ``时间：<code>…</code>``);
    both pieces escaped. Returns safe HTML."""
    return mark_safe(field_line(conditional_escape(field), format_html("<code>{}</code>", value)))  # noqa: S308
