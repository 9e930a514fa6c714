from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from whatworks.news.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """Markdown rendered and sanitised (see :mod:`whatworks.news.markdown`)."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3
