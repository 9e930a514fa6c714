"""Embedding a conversation on partners' sites: a per-conversation allow-list of origins,
off by default.

The platform's Content-Security-Policy says ``frame-ancestors 'none'`` and X-Frame-Options
``DENY`` everywhere.  For a conversation with an allow-list, its public pages (the
conversation and its report) answer ``frame-ancestors`` with those origins instead and
without X-Frame-Options (which cannot name origins; browsers that know CSP ignore it then).

In a partner's frame the browser keeps the platform's cookies to itself (they are
``SameSite=Lax``), so voting there would fail its CSRF check: a page that the browser says
is framed by another site (``Sec-Fetch-Dest: iframe``, ``Sec-Fetch-Site: cross-site``)
shows a link that opens the conversation in a new tab to vote, instead of the buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from whatworks.forum.models import Conversation

#: Most origins one conversation may list.
MAX_ORIGINS = 10


def parse_origins(text: str) -> tuple[list[str], list[str]]:
    """The origins in ``text`` (one per line, normalised to ``https://host[:port]``, once
    each) and every problem with what was typed."""
    origins: list[str] = []
    problems: list[str] = []
    for line in text.splitlines():
        typed = line.strip()
        if not typed:
            continue
        parts = urlsplit(typed)
        host = parts.hostname or ""
        if parts.scheme != "https" or not host or "." not in host:
            problems.append(
                _("“%(o)s” is not a secure web address: write it like https://partner.org.uk")
                % {"o": typed[:100]}
            )
            continue
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            problems.append(
                _("“%(o)s” has more than a site's address: keep only https:// and the host.")
                % {"o": typed[:100]}
            )
            continue
        if "*" in host:
            problems.append(_("Name each site in full; wildcards like “%(o)s” are not allowed.")
                            % {"o": typed[:100]})  # fmt: skip
            continue
        origin = f"https://{host}" + (f":{parts.port}" if parts.port else "")
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        problems.append(_("List at most %(n)s sites.") % {"n": MAX_ORIGINS})
    return origins, problems


def allowed_origins(conversation: Conversation) -> list[str]:
    return [o for o in conversation.embed_origins.splitlines() if o]


def allow_framing(response: HttpResponse, origins: list[str]) -> HttpResponse:
    """Let ``origins`` frame this response (nothing changes when the list is empty)."""
    if origins:
        response._csp_replace = {"frame-ancestors": origins}  # type: ignore[attr-defined]
        response.xframe_options_exempt = True
    return response


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a conversation's public page (``slug`` in the URL): framing as its list allows."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, slug: str, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, slug=slug, **kwargs)
        stored = Conversation.objects.filter(slug=slug).values_list("embed_origins", flat=True)
        text = next(iter(stored), "")
        return allow_framing(response, [o for o in (text or "").splitlines() if o])

    return wrapped


def framed_by_another_site(request: HttpRequest) -> bool:
    """Whether the browser says this page is loading in another site's frame."""
    return (
        request.headers.get("Sec-Fetch-Dest") == "iframe"
        and request.headers.get("Sec-Fetch-Site") == "cross-site"
    )
