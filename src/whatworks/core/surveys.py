"""Surveys of people outside the polling panel: the one crossing into the panel's survey tools.

Another part (first: events, for the feedback survey after an event) may want a survey
built with the panel's tools — its question types, its answering pages, its results
display — for people who are **not** panel members.  Parts may not import one another
(import-linter), so the panel **provides** this from its ``AppConfig.ready``::

    from whatworks.core import surveys

    surveys.register_provider(PanelOutsideSurveys())

and the part asks :func:`provider`.  The part keeps only the survey's id; the panel keeps
the survey, its questions, the invitations (a single-use token each; no address is stored)
and the answers.  Respondents are nobody's panel members: their answers carry no workforce
profile and are **not weighted** to the workforce, and the panel's own polls, weighting and
contact limits never see them.

A provider has these methods (keyword arguments only):

``templates() -> Sequence[SurveyTemplate]``
    the ready-made sets of questions a survey may start from.
``create(*, actor, title, reference, template) -> SurveySummary``
    a new survey, open at once, from a template; ``reference`` (e.g. ``event:<slug>``)
    names what it is about and makes its address.  Raises ``core.errors.SurveyError``.
``invite(*, actor, survey_id, addresses, about) -> int``
    e-mail each address its own link (after commit); ``about`` is the line the e-mail
    names the survey by; returns how many were invited.  Raises ``core.errors.SurveyError``.
``summary(*, survey_id) -> SurveySummary | None``
``results_html(*, survey_id, request) -> str``
    the panel's results display of the survey, as a fragment to place in a page.

With no provider (the panel is not installed), :func:`provider` raises
``core.errors.SurveyError``, which pages show as a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from whatworks.core.errors import SurveyError


@dataclass(frozen=True)
class SurveyTemplate:
    key: str
    label: str
    description: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class SurveySummary:
    id: int
    title: str
    is_open: bool
    status: str
    invited: int
    responses: int


class SurveyProvider(Protocol):
    def templates(self) -> Sequence[SurveyTemplate]: ...

    def create(self, *, actor: Any, title: str, reference: str, template: str) -> SurveySummary: ...

    def invite(
        self, *, actor: Any, survey_id: int, addresses: Sequence[str], about: str
    ) -> int: ...

    def summary(self, *, survey_id: int) -> SurveySummary | None: ...

    def results_html(self, *, survey_id: int, request: Any) -> str: ...


_PROVIDER: list[SurveyProvider] = []


def register_provider(provider: SurveyProvider) -> None:
    """Set the one provider (replacing any other, so ``ready`` may run twice)."""
    _PROVIDER[:] = [provider]


def unregister_provider() -> None:
    _PROVIDER.clear()


def provider() -> SurveyProvider:
    """The registered provider; ``SurveyError`` when there is none."""
    if not _PROVIDER:
        raise SurveyError(_("Surveys are not available: the polling panel is not installed."))
    return _PROVIDER[0]
