"""Public pages: the landing page, published results and the pulse series."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from whatworks.core.csvutils import write_csv
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.panel import crosstabs, margins, pulse_chart, results, selectors
from whatworks.panel.analytics import load_targets

#: The pulse chart is drawn for a phone (text 13 px in 310 px) and kept at that size.
PULSE_WIDTH, PULSE_HEIGHT = 310, 220


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["panel"]
    return render(
        request,
        "panel/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "polls": selectors.polls_closed()[:10],
            "pulse_keys": results.pulse_keys(),
            "member": selectors.member_for_user(user=request.user),
            "can_manage": selectors.can_manage(request.user),
        },
    )


@require_GET
def pulse_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/pulse_list.html", {"keys": results.pulse_keys()})


@require_GET
def pulse_detail(request: HttpRequest, key: str) -> HttpResponse:
    question, points = results.pulse_series(key)
    if question is None:
        raise Http404("No such pulse series.")
    return render(
        request,
        "panel/pulse_detail.html",
        {
            "key": key,
            "question": question,
            "options": question.choice_options(),
            "points": points,
            "chart": pulse_chart.pulse_chart(points),
        },
    )


@require_GET
def poll_results(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug)
    data = results.poll_results(poll)
    by = request.GET.get("by", "")
    by_error = ""
    tables = []
    if by in crosstabs.ATTRIBUTES:
        tables = crosstabs.crosstabs(data, by)
    elif by:
        by_error = "Choose what to compare answers by from the list."
    return render(
        request,
        "panel/results.html",
        {
            "poll": poll,
            "results": data,
            "targets": load_targets(),
            "min_cell": results.MIN_CELL,
            "chart_width": results.CHART_WIDTH,
            "can_manage": selectors.can_manage(request.user),
            "wide_margins": margins.wide_margin_reasons(data),
            "by": by if by in crosstabs.ATTRIBUTES else "",
            "by_label": crosstabs.ATTRIBUTES[by][0] if by in crosstabs.ATTRIBUTES else "",
            "by_choices": [(key, label) for key, (label, _c) in crosstabs.ATTRIBUTES.items()],
            "by_error": by_error,
            "crosstabs": tables,
        },
    )


@require_GET
def poll_results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug)
    data = results.poll_results(poll)
    buffer = io.StringIO()
    write_csv(buffer, header=results.CSV_HEADER, rows=results.results_csv_rows(data))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{poll.slug}-results.csv"'
    return response
