"""The ethics gate: a checklist drawn from the published ethics review of machine learning in
children's social care (Leslie et al., 2020, for What Works for Children's Social Care).

Each question is answered ``yes``, ``partly``, ``no`` or ``unknown`` with a note of the
evidence.  The gate passes only when **every** question is answered ``yes``; without that,
a run may still compute every metric, but its verdict can never read that the evidence
supports use (:mod:`.verdict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    title: str
    text: str


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        id="purpose_proportionality",
        title="Purpose and proportionality",
        text="Is the purpose of the tool stated, legitimate, and proportionate to the "
        "intrusion into families' lives, and could a less intrusive means achieve it?",
    ),
    Question(
        id="data_quality",
        title="Data quality",
        text="Are the records complete, accurate and representative enough, and are "
        "recording practices that differ between groups or over time understood?",
    ),
    Question(
        id="involvement",
        title="Involvement of practitioners and families",
        text="Were social workers, families and young people involved in deciding whether "
        "and how the tool is built and used?",
    ),
    Question(
        id="transparency_to_families",
        title="Transparency to families",
        text="Will families be told that a tool is used, what it uses, and how to challenge it?",
    ),
    Question(
        id="decision_with_social_worker",
        title="The decision stays with the social worker",
        text="Does every decision remain with a social worker, the flag being one input "
        "among others, with safeguards against automation bias?",
    ),
    Question(
        id="independent_review",
        title="Independent review",
        text="Has an independent party reviewed the design, the evaluation and its "
        "fairness, and will it review use over time?",
    ),
    Question(
        id="dpia",
        title="Data protection impact assessment",
        text="Has a data protection impact assessment been completed and signed off?",
    ),
)

QUESTION_IDS: Final[tuple[str, ...]] = tuple(q.id for q in QUESTIONS)


class _Answer(Protocol):
    @property
    def answer(self) -> str: ...

    @property
    def note(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class EthicsItem:
    id: str
    title: str
    question: str
    answer: str  # yes / partly / no / unknown / unanswered
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "question": self.question,
            "answer": self.answer,
            "note": self.note,
        }


@dataclass(frozen=True, kw_only=True)
class EthicsGate:
    items: tuple[EthicsItem, ...]

    @property
    def passed(self) -> bool:
        """Every question answered ``yes``."""
        return all(item.answer == "yes" for item in self.items)

    @property
    def open_items(self) -> tuple[EthicsItem, ...]:
        return tuple(item for item in self.items if item.answer != "yes")

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "items": [item.to_dict() for item in self.items]}


def ethics_gate(answers: Mapping[str, _Answer]) -> EthicsGate:
    """The checklist with the config's answers; unanswered questions are ``unanswered``."""
    items = []
    for q in QUESTIONS:
        given = answers.get(q.id)
        items.append(
            EthicsItem(
                id=q.id,
                title=q.title,
                question=q.text,
                answer="unanswered" if given is None else given.answer,
                note="" if given is None else given.note,
            )
        )
    return EthicsGate(items=tuple(items))
