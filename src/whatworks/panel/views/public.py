"""Public pages: the landing page, published results and the pulse series."""

from __future__ import annotations

import io
import math

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from whatworks.core.csvutils import write_csv
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.panel import results, selectors
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
            "member": selectors.member_for_user(user=request.user),  # type: ignore[arg-type]
            "can_manage": selectors.can_manage(request.user),  # type: ignore[arg-type]
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
    first = [p.shares[0] if p.shares else math.nan for p in points]
    left, right, top, bottom = 46, 24, 12, 40
    step = (PULSE_WIDTH - left - right) / max(len(points) - 1, 1)
    plot_height = PULSE_HEIGHT - top - bottom
    coords = [
        (round(left + i * step), round(top + plot_height - v * plot_height))
        for i, v in enumerate(first)
        if not math.isnan(v)
    ]
    # three labelled ticks a side: 0, 50 and 100%; the first, middle and last poll's month
    y_ticks = [
        (round(top + plot_height - f * plot_height), f"{round(f * 100)}%") for f in (0, 0.5, 1)
    ]
    x_ticks = [
        (round(left + i * step), points[i].poll.closed_at)
        for i in sorted({0, len(points) // 2, len(points) - 1})
        if points and points[i].poll.closed_at
    ]
    return render(
        request,
        "panel/pulse_detail.html",
        {
            "key": key,
            "question": question,
            "options": question.choice_options(),
            "points": points,
            "polyline": " ".join(f"{x},{y}" for x, y in coords),
            "coords": coords,
            "width": PULSE_WIDTH,
            "height": PULSE_HEIGHT,
            "plot": {
                "left": left,
                "right": PULSE_WIDTH - right,
                "top": top,
                "bottom": top + plot_height,
            },
            "y_ticks": y_ticks,
            "x_ticks": x_ticks,
        },
    )


@require_GET
def poll_results(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug)  # type: ignore[arg-type]
    data = results.poll_results(poll)
    return render(
        request,
        "panel/results.html",
        {
            "poll": poll,
            "results": data,
            "targets": load_targets(),
            "min_cell": results.MIN_CELL,
            "chart_width": results.CHART_WIDTH,
            "can_manage": selectors.can_manage(request.user),  # type: ignore[arg-type]
        },
    )


@require_GET
def poll_results_csv(request: HttpRequest, slug: str) -> HttpResponse:
    poll = selectors.poll_get_for_user(user=request.user, slug=slug)  # type: ignore[arg-type]
    data = results.poll_results(poll)
    buffer = io.StringIO()
    write_csv(buffer, header=results.CSV_HEADER, rows=results.results_csv_rows(data))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{poll.slug}-results.csv"'
    return response
