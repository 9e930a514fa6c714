"""The panel's provider of surveys for people outside the panel (``core.surveys``).

Registered from ``PanelConfig.ready``; the writes are ``services/outside.py``'s, the
results the panel's own (``results.poll_results``, shown with the panel's results
display, ``panel/includes/question_results.html``), unweighted for these surveys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext

from whatworks.core.errors import SurveyError
from whatworks.core.surveys import SurveySummary, SurveyTemplate
from whatworks.panel import results
from whatworks.panel.errors import PanelError
from whatworks.panel.models import Poll, Response
from whatworks.panel.services.outside import (
    outside_invitations_send,
    outside_survey_create,
    templates,
)


def _poll(survey_id: int) -> Poll | None:
    return Poll.objects.filter(pk=survey_id, audience=Poll.Audience.OUTSIDE).first()


def _summary(poll: Poll) -> SurveySummary:
    return SurveySummary(
        id=poll.pk,
        title=poll.title,
        is_open=poll.is_open,
        status=str(poll.get_status_display()),
        invited=poll.invitations.count(),
        responses=Response.objects.filter(poll=poll).current().count(),
    )


class PanelOutsideSurveys:
    """``core.surveys.SurveyProvider`` over the panel's polls."""

    def templates(self) -> Sequence[SurveyTemplate]:
        return [
            SurveyTemplate(
                key=t.key,
                label=t.label,
                description=t.description,
                questions=tuple(q.text for q in t.questions),
            )
            for t in templates()
        ]

    def create(self, *, actor: Any, title: str, reference: str, template: str) -> SurveySummary:
        try:
            poll = outside_survey_create(
                actor=actor, title=title, reference=reference, template=template
            )
        except PanelError as error:
            raise SurveyError(error.message) from error
        return _summary(poll)

    def invite(self, *, actor: Any, survey_id: int, addresses: Sequence[str], about: str) -> int:
        poll = _poll(survey_id)
        if poll is None:
            raise SurveyError(gettext("That survey no longer exists."))
        try:
            return outside_invitations_send(
                actor=actor, poll=poll, addresses=addresses, about=about
            )
        except PanelError as error:
            raise SurveyError(error.message) from error

    def summary(self, *, survey_id: int) -> SurveySummary | None:
        poll = _poll(survey_id)
        return None if poll is None else _summary(poll)

    def results_html(self, *, survey_id: int, request: Any) -> str:
        poll = _poll(survey_id)
        if poll is None:
            return ""
        return render_to_string(
            "panel/includes/question_results.html",
            {
                "results": results.poll_results(poll),
                "min_cell": results.MIN_CELL,
                "heading_level": 3,
            },
            request=request,
        )
