"""The structured protocol template (modelled on SPIRIT), its canonical JSON and hash.

A protocol's content is plain JSON, checked by :class:`ProtocolContent`.  Its fingerprint
is the SHA-256 of the content serialised as canonical JSON: keys sorted, separators ``,``
and ``:``, UTF-8 without ASCII escaping — so anyone can recompute it with::

    hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8")).hexdigest()

This module knows nothing of the database.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The sections of the template in the order pages show them, with their headings.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("background", "Background and rationale"),
    ("research_questions", "Research questions"),
    ("design", "Design"),
    ("participants_and_sites", "Participants and sites"),
    ("intervention", "Intervention"),
    ("comparison", "Comparison"),
    ("outcomes", "Outcomes"),
    ("sample_size", "Sample size and minimum detectable effect"),
    ("analysis_plan", "Analysis plan"),
    ("success_criteria", "Success criteria"),
    ("ethics_and_data_protection", "Ethics and data protection"),
    ("timeline", "Timeline"),
)
SECTION_LABELS = dict(SECTIONS)
#: Sections whose changes an amendment diff highlights: where outcome switching hides.
HIGHLIGHTED_SECTIONS = frozenset({"outcomes", "success_criteria"})


class OutcomeKind(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class Comparison(StrEnum):
    AT_LEAST = ">="
    AT_MOST = "<="
    TWO_SIDED = "two-sided"


class Combine(StrEnum):
    ALL = "all"
    ANY = "any"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Outcome(_Strict):
    key: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    kind: OutcomeKind
    measure: str = Field(min_length=1, max_length=500)
    time_point: str = Field(min_length=1, max_length=200)
    analysis: str = Field(min_length=1, max_length=1000)


class Criterion(_Strict):
    outcome: str = Field(min_length=1, max_length=60)
    statistic: str = Field(min_length=1, max_length=100)
    comparison: Comparison
    threshold: float

    def plain_english(self, outcome_name: str | None = None) -> str:
        name = outcome_name or self.outcome
        threshold = format_number(self.threshold)
        if self.comparison == Comparison.AT_LEAST:
            return (
                f"the {self.statistic} for {name} is at least {threshold} "
                "(the whole interval at or above it)"
            )
        if self.comparison == Comparison.AT_MOST:
            return (
                f"the {self.statistic} for {name} is at most {threshold} "
                "(the whole interval at or below it)"
            )
        return (
            f"the {self.statistic} for {name} differs from {threshold} in either direction "
            "(the interval excludes it)"
        )


class SuccessCriteria(_Strict):
    combine: Combine = Combine.ALL
    criteria: tuple[Criterion, ...] = ()


class ProtocolContent(_Strict):
    """Everything a registered version fixes.  Every field is part of the hash."""

    title: str = Field(min_length=1, max_length=300)
    background: str = ""
    research_questions: tuple[str, ...] = ()
    design: str = ""
    participants_and_sites: str = ""
    intervention: str = ""
    comparison: str = ""
    outcomes: tuple[Outcome, ...] = ()
    sample_size: str = ""
    analysis_plan: str = ""
    success_criteria: SuccessCriteria = SuccessCriteria()
    ethics_and_data_protection: str = ""
    timeline: str = ""

    @field_validator("research_questions")
    @classmethod
    def _no_blank_questions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(q.strip() for q in value if q.strip())

    @model_validator(mode="after")
    def _criteria_name_outcomes(self) -> ProtocolContent:
        keys = [o.key for o in self.outcomes]
        if len(keys) != len(set(keys)):
            raise ValueError("Each outcome needs its own key.")
        for criterion in self.success_criteria.criteria:
            if criterion.outcome not in keys:
                raise ValueError(
                    f"The success criterion on “{criterion.outcome}” names no outcome of this "
                    "protocol. Use the short key of one of its outcomes: "
                    + (", ".join(keys) or "name an outcome first")
                    + "."
                )
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def outcome_names(self) -> dict[str, str]:
        return {o.key: o.name for o in self.outcomes}

    def criteria_sentence(self) -> str:
        """The success criteria as one plain-English sentence."""
        criteria = self.success_criteria.criteria
        if not criteria:
            return "This protocol sets no success criteria."
        names = self.outcome_names()
        parts = [c.plain_english(names.get(c.outcome)) for c in criteria]
        if len(parts) == 1:
            return f"The project succeeds if {parts[0]}."
        joiner = (
            "all of these hold"
            if self.success_criteria.combine == Combine.ALL
            else ("at least one of these holds")
        )
        return f"The project succeeds if {joiner}: " + "; ".join(parts) + "."


class ProtocolContentError(ValueError):
    """The content does not fit the template; ``messages`` lists every problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_content(data: Any) -> ProtocolContent:
    try:
        return ProtocolContent.model_validate(data)
    except ValidationError as exc:
        raise ProtocolContentError(validation_messages(exc)) from None


def validation_messages(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        messages.append(f"{where}: {message}" if where else message)
    return messages


def canonical_json(content: Any) -> bytes:
    """Keys sorted, separators "," and ":", UTF-8 without ASCII escaping."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_sha256(content: Any) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def format_number(value: float) -> str:
    return f"{value:g}"


def empty_content(*, title: str) -> dict[str, Any]:
    return ProtocolContent(title=title).as_json()
