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


@register.filter
def in_brackets(note) -> str:
    """``{{ note|in_brackets }}``: the note in the language's brackets, to follow a text or markup
    (core.forms.bracketed): ``"（3）"`` in zh-Hans, ``" (3)"`` in English; the note escaped unless safe.
    Returns safe HTML."""
    return mark_safe(forms.bracketed("", conditional_escape(note)))  # noqa: S308


class _InBracketsNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        return in_brackets(mark_safe(self.nodelist.render(context)))  # noqa: S308 (rendered by the template engine)


@register.tag
def inbrackets(parser, token):
    """``{% inbrackets %}…{% endinbrackets %}``: like :func:`in_brackets` for a note that holds markup
    (a link, ``<code>``); the content is rendered (and autoescaped) by the template as usual."""
    nodelist = parser.parse(("endinbrackets",))
    parser.delete_first_token()
    return _InBracketsNode(nodelist)
