"""Friendly error pages.  They render without the database, in case that is what failed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import NoReverseMatch, reverse

from whatworks.core.errors import LinkInvalidError


def _render(template: str, status: int, request: HttpRequest) -> HttpResponse:
    body = loader.get_template(template).render({"request_path": request.path}, request)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render("core/errors/400.html", 400, request)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render("core/errors/403.html", 403, request)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, LinkInvalidError):
        steps = []
        for name, text in exception.steps:
            try:
                steps.append((reverse(name), text))
            except NoReverseMatch:
                continue
        body = loader.get_template("core/errors/link_invalid.html").render(
            {"advice": exception.advice, "steps": steps}, request
        )
        return HttpResponse(body, status=404)
    return _render("core/errors/404.html", 404, request)


def server_error(request: HttpRequest) -> HttpResponse:
    body = loader.get_template("core/errors/500.html").render({})
    return HttpResponse(body, status=500)
