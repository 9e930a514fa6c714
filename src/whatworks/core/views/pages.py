"""Public pages of the core: home, accessibility statement, privacy notice."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from whatworks.core.parts import PARTS, PARTS_BY_KEY


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"parts": PARTS})


def part_landing(request: HttpRequest, *, key: str, template: str) -> HttpResponse:
    """A part's landing page: its title and description from :data:`PARTS`, then its body."""
    part = PARTS_BY_KEY[key]
    return render(request, template, {"part": part, "title": part.title, "lead": part.lead})


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")
