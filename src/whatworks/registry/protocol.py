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
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from whatworks.core.canonical import canonical_json
from whatworks.registry.analysis_plan import TrialAnalysisPlan
from whatworks.registry.analytics import METRIC_NAMES, ConfigError, config_hash, parse_config
from whatworks.registry.design import StudyDesign

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
#: Sections whose changes an amendment diff highlights: where outcome switching hides
#: (the arms and the analysis plan and code attached are where it hides too).
HIGHLIGHTED_SECTIONS = frozenset({"outcomes", "success_criteria", "arms", "attachments"})

#: The documents a version may attach (``attachments.py``), in the order pages list them.
ATTACHMENT_KINDS: tuple[tuple[str, str], ...] = (
    ("statistical-analysis-plan", "Statistical analysis plan"),
    ("analysis-code", "Analysis code"),
    ("data-management-plan", "Data-management plan"),
    ("ethics-approval", "Ethics approval"),
)
ATTACHMENT_LABELS = dict(ATTACHMENT_KINDS)


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


# --- pilot experiments (issue #13: one set of criteria) ---------------------------------
#
# A predictive-analytics pilot's experiment config is part of the registered version: the
# normalised config, its canonical hash (``whatworks_analytics.pilots.config``) and its
# success and fairness criteria.  Each experiment also stands in the ordinary outcomes and
# success criteria (derived from the config, checked below), so that the registry's
# results report judges the very criteria the pilot's verdict judges.

PILOT_FAIRNESS_STATISTIC = "groups outside the fairness band"
PILOT_ETHICS_STATISTIC = "ethics questions not answered yes"
#: The engine's names of its metrics (the statistics of the derived criteria).
PILOT_METRIC_LABELS = METRIC_NAMES


class PilotCriterion(_Strict):
    metric: str
    op: Comparison
    threshold: float


class PilotFairness(_Strict):
    attributes: tuple[str, ...]
    band_low: float
    band_high: float
    action: str
    min_group_size: int
    min_denominator: int


class PilotExperiment(_Strict):
    """A pilot's experiment as a registered version fixes it (see above)."""

    key: str = Field(min_length=1, max_length=36, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=300)
    config_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    config: dict[str, Any]
    model: str
    combine: Combine
    success: tuple[PilotCriterion, ...]
    fairness: PilotFairness

    @model_validator(mode="after")
    def _follows_from_its_config(self) -> PilotExperiment:
        derived = pilot_experiment(self.config, key=self.key)
        if derived != self:
            raise ValueError(
                f"The pilot experiment “{self.key}” does not match its own config (its hash "
                "or criteria were changed): add it again from the pilot's page."
            )
        return self

    def success_keys(self) -> tuple[str, ...]:
        """One outcome per success criterion (``<key>-<metric>``), so that each is judged
        on its own estimate and interval."""
        keys: list[str] = []
        for c in self.success:
            key = f"{self.key}-{c.metric.replace('_', '-')}"
            keys.append(key if key not in keys else f"{key}-{len(keys) + 1}")
        return tuple(keys)

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        return (*self.success_keys(), f"{self.key}-fairness", f"{self.key}-ethics")

    def outcomes(self) -> tuple[Outcome, ...]:
        config = parse_config(self.config)
        point = config.operating_point
        flags = (
            f"the top {point.top_percent:g}% of scores flagged"
            if point.top_percent is not None
            else f"scores of at least {point.threshold:g} flagged"
        )
        when = f"Escalation within {config.outcome.window_days} days of the referral"
        how = (
            f"Pooled temporal validation over {config.splits.n_splits} test periods; "
            f"{100 * config.bootstrap.confidence:g}% percentile bootstrap intervals "
            f"({config.bootstrap.replicates} replicates)"
        )
        key_metrics = "FNR and FOR" if self.fairness.action == "assistive" else "FPR and FDR"
        *_, fairness, ethics = self.outcome_keys
        return (
            *(
                Outcome(
                    key=key,
                    name=f"{PILOT_METRIC_LABELS.get(c.metric, c.metric).capitalize()} of "
                    f"{self.model}'s flags",
                    kind=OutcomeKind.PRIMARY,
                    measure=f"{PILOT_METRIC_LABELS.get(c.metric, c.metric).capitalize()} of "
                    f"{self.model} predicting escalation ({flags})",
                    time_point=when,
                    analysis=how,
                )
                for key, c in zip(self.success_keys(), self.success, strict=True)
            ),
            Outcome(
                key=fairness,
                name=f"Fairness of {self.model}'s errors",
                kind=OutcomeKind.PRIMARY,
                measure=f"Groups whose {key_metrics} ratio to the reference group lies outside "
                f"{self.fairness.band_low:g} to {self.fairness.band_high:g}",
                time_point=when,
                analysis=f"Fairness audit by {', '.join(self.fairness.attributes)}; a group is "
                f"not judged when it has fewer than {self.fairness.min_group_size} children or "
                f"fewer than {self.fairness.min_denominator} in a rate's denominator",
            ),
            Outcome(
                key=ethics,
                name="Ethics gate",
                kind=OutcomeKind.SECONDARY,
                measure="Questions of the ethics checklist (Leslie et al., 2020) not answered yes",
                time_point="When the run is made",
                analysis="The answers fixed in the experiment config",
            ),
        )

    def criteria(self) -> tuple[Criterion, ...]:
        *_, fairness, _ethics = self.outcome_keys
        return (
            *(
                Criterion(
                    outcome=key,
                    statistic=PILOT_METRIC_LABELS.get(c.metric, c.metric),
                    comparison=c.op,
                    threshold=c.threshold,
                )
                for key, c in zip(self.success_keys(), self.success, strict=True)
            ),
            Criterion(
                outcome=fairness,
                statistic=PILOT_FAIRNESS_STATISTIC,
                comparison=Comparison.AT_MOST,
                threshold=0.0,
            ),
        )


def pilot_experiment(config: Any, *, key: str | None = None) -> PilotExperiment:
    """The registered form of a pilot's experiment config (engine-normalised, hashed)."""
    try:
        parsed = parse_config(config)
    except ConfigError as exc:
        raise ValueError("; ".join(str(p) for p in exc.problems)) from None
    if parsed.success.combine == "any" and len(parsed.success.criteria) > 1:
        raise ValueError(
            "A registered pilot's success criteria must all hold (combine: all); the registry "
            "judges them together with the fairness criterion."
        )
    slug = re.sub(r"[^a-z0-9]+", "-", parsed.name.lower()).strip("-")[:36].strip("-")
    fairness = parsed.fairness
    return PilotExperiment.model_construct(
        key=key or slug or "pilot",
        name=parsed.name,
        config_hash=config_hash(parsed),
        config=parsed.to_dict(),
        model=parsed.success.model,
        combine=Combine(parsed.success.combine),
        success=tuple(
            PilotCriterion(metric=c.metric, op=Comparison(c.op), threshold=c.value)
            for c in parsed.success.criteria
        ),
        fairness=PilotFairness(
            attributes=tuple(fairness.attributes),
            band_low=fairness.band.low,
            band_high=fairness.band.high,
            action=fairness.action,
            min_group_size=fairness.min_group_size,
            min_denominator=fairness.min_denominator,
        ),
    )


class AttachmentRef(_Strict):
    """A document frozen into a version: named by its SHA-256, which the hash covers."""

    kind: str
    name: str = Field(min_length=1, max_length=200)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in ATTACHMENT_LABELS:
            raise ValueError(
                f"“{value}” is not a kind of attachment: use one of "
                + ", ".join(ATTACHMENT_LABELS)
                + "."
            )
        return value

    @property
    def label(self) -> str:
        return ATTACHMENT_LABELS[self.kind]


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
    #: Pilots' experiments fixed by this version (empty for other studies; left out of the
    #: JSON when empty, so that earlier versions' content and hashes are unchanged).
    pilot_experiments: tuple[PilotExperiment, ...] = ()
    #: A trial's analysis plan as data (``analysis_plan.py``; left out when there is none).
    trial_analysis: TrialAnalysisPlan | None = None
    #: The structured design (``design.py``) and the attached documents: like the pilot
    #: experiments, left out of the JSON when empty, so earlier hashes are unchanged.
    study_design: StudyDesign | None = None
    attachments: tuple[AttachmentRef, ...] = ()

    @field_validator("attachments")
    @classmethod
    def _one_attachment_of_each_kind(
        cls, value: tuple[AttachmentRef, ...]
    ) -> tuple[AttachmentRef, ...]:
        kinds = [a.kind for a in value]
        if len(kinds) != len(set(kinds)):
            raise ValueError("A protocol attaches at most one document of each kind.")
        order = list(ATTACHMENT_LABELS)
        return tuple(sorted(value, key=lambda a: order.index(a.kind)))

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

    @model_validator(mode="after")
    def _pilot_criteria_stand(self) -> ProtocolContent:
        outcomes = {o.key for o in self.outcomes}
        criteria = set(self.success_criteria.criteria)
        for experiment in self.pilot_experiments:
            missing = [k for k in experiment.outcome_keys if k not in outcomes]
            dropped = [c for c in experiment.criteria() if c not in criteria]
            if missing or dropped:
                raise ValueError(
                    f"The outcomes and success criteria of the pilot experiment "
                    f"“{experiment.key}” come from its config and must stay as they are"
                    + (f" (missing outcomes: {', '.join(missing)})" if missing else "")
                    + (
                        f" (changed or removed: {'; '.join(c.plain_english() for c in dropped)})"
                        if dropped
                        else ""
                    )
                    + ": restore them, or add the experiment again from the pilot's page."
                )
        if self.pilot_experiments and self.success_criteria.combine != Combine.ALL:
            raise ValueError(
                "A protocol with pilot experiments combines its success criteria with “all”."
            )
        return self

    @model_validator(mode="after")
    def _plan_names_outcomes(self) -> ProtocolContent:
        if self.trial_analysis is None:
            return self
        keys = [o.key for o in self.outcomes]
        unknown = [p.outcome for p in self.trial_analysis.outcomes if p.outcome not in keys]
        if unknown:
            raise ValueError(
                "The trial analysis plan analyses "
                + ", ".join(f"“{k}”" for k in unknown)
                + ", which is not an outcome of this protocol: use one of "
                + (", ".join(keys) or "the outcomes (name one first)")
                + "."
            )
        return self

    def as_json(self) -> dict[str, Any]:
        """The canonical content: sections added after versions were first registered are
        left out when empty, and the design's fields when at their defaults, so that every
        registered version reads back to the very JSON (and hash) it was registered with."""
        exclude = {"study_design"}
        if not self.pilot_experiments:
            exclude.add("pilot_experiments")
        if not self.attachments:
            exclude.add("attachments")
        if self.trial_analysis is None:
            exclude.add("trial_analysis")
        data = self.model_dump(mode="json", exclude=exclude)
        if self.study_design is not None and not self.study_design.is_empty():
            data["study_design"] = self.study_design.as_json()
        return data

    def attachment(self, kind: str) -> AttachmentRef | None:
        return next((a for a in self.attachments if a.kind == kind), None)

    def pilot_experiment(self, config_hash: str) -> PilotExperiment | None:
        """The experiment of this version whose config has ``config_hash``, if any."""
        return next((e for e in self.pilot_experiments if e.config_hash == config_hash), None)

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


def content_sha256(content: Any) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def format_number(value: float) -> str:
    return f"{value:g}"


def empty_content(*, title: str) -> dict[str, Any]:
    return ProtocolContent(title=title).as_json()
