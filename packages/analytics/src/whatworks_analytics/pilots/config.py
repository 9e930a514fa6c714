"""The experiment configuration of a pilot run: versioned YAML parsed once into frozen objects.

A config states, before any result is seen, everything a run does: the decision point, the
outcome and its window, the cohort, the features, the models, the temporal splits, the
operating point, the pre-registered success criteria, the fairness criteria and the answers
to the ethics checklist.  :func:`parse_config` (a mapping) and :func:`load_config` (a YAML
file) validate it with pydantic and raise :class:`ConfigError` listing **every** problem at
once, each with its path (``success.criteria.0.value: ...``); cross-references between
sections (the model named by ``success.model``, a fairness attribute that is not audited, an
ethics question that does not exist) are checked in the same pass.

:func:`config_hash` is the SHA-256 of the canonical JSON of the *normalised* config (defaults
filled in): keys sorted, separators ``","`` and ``":"``, UTF-8 without ASCII escaping.  The
YAML's comments and layout therefore never change the hash; any change of meaning does.

See ``packages/analytics/examples/escalation.yaml`` for a commented example.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

# Re-exported: the config's hash is taken over the package's one canonical JSON.
from whatworks_analytics.canonical import canonical_json as canonical_json
from whatworks_analytics.errors import AnalyticsInputError
from whatworks_analytics.pilots.ethics import QUESTION_IDS
from whatworks_analytics.pilots.schema import REFERRAL_SOURCE_CODES

#: The config versions this module can read.
CONFIG_VERSION = 1

OutcomeEvent = Literal["cp_plan", "looked_after", "s47", "assessment", "re_referral"]
ModelKind = Literal["baseline", "logistic", "lightgbm"]
CriterionMetric = Literal[
    "precision", "recall", "roc_auc", "average_precision", "brier", "flag_rate"
]
#: The parameters each model kind accepts (see :mod:`.models`).
MODEL_PARAMS: dict[str, tuple[str, ...]] = {
    "baseline": ("feature",),
    "logistic": ("C", "max_iter"),
    "lightgbm": (
        "n_estimators",
        "learning_rate",
        "num_leaves",
        "min_child_samples",
        "subsample",
        "colsample_bytree",
        "reg_lambda",
        "n_jobs",
    ),
}
AuditAttribute = Literal["ethnicity", "sex", "age_band", "disability"]
ProtectedFeature = Literal["sex", "ethnicity", "disability"]
Answer = Literal["yes", "no", "partly", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecisionPoint(_Frozen):
    """When a prediction would be made.  Only ``referral`` (each referral) is supported."""

    kind: Literal["referral"] = "referral"


class Outcome(_Frozen):
    """The outcome of a decision point ``d``: any ``events`` starting in ``[d, d + window)``.

    ``label_end`` (exclusive) is the first day whose events are not in the extract; by
    default the day after the latest date in the data.
    """

    events: tuple[OutcomeEvent, ...] = ("cp_plan", "looked_after")
    window_days: int = Field(default=365, ge=1, le=3650)
    label_end: date | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Outcome:
        if not self.events:
            raise ValueError("name at least one outcome event")
        if len(set(self.events)) != len(self.events):
            raise ValueError("an outcome event is named more than once")
        return self


class Cohort(_Frozen):
    """Which decision points are studied (all filters are combined with *and*)."""

    start: date | None = None
    end: date | None = None
    min_age_years: float | None = Field(default=None, ge=0)
    max_age_years: float | None = Field(default=None, ge=0)
    sources: tuple[str, ...] | None = None
    exclude_nfa: bool = False

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        known = [c.code for c in REFERRAL_SOURCE_CODES]
        unknown = [s for s in value or () if s not in known]
        if unknown:
            raise ValueError(f"unknown referral source(s) {unknown} (known: {', '.join(known)})")
        return value

    @model_validator(mode="after")
    def _order(self) -> Cohort:
        if self.start and self.end and self.end <= self.start:
            raise ValueError("cohort.end must be after cohort.start")
        if (
            self.min_age_years is not None
            and self.max_age_years is not None
            and self.max_age_years <= self.min_age_years
        ):
            raise ValueError("max_age_years must be greater than min_age_years")
        return self


class Features(_Frozen):
    """Feature families; every fact used is dated strictly before the decision point."""

    referral_windows_days: tuple[int, ...] = (90, 365, 1095)
    factors: bool = True
    protected: tuple[ProtectedFeature, ...] = ()

    @model_validator(mode="after")
    def _windows(self) -> Features:
        if any(w < 1 for w in self.referral_windows_days):
            raise ValueError("referral windows must be at least 1 day")
        if len(set(self.referral_windows_days)) != len(self.referral_windows_days):
            raise ValueError("a referral window is given more than once")
        return self


class ModelSpec(_Frozen):
    """One model: a unique ``name``, its ``kind`` and keyword parameters for the estimator."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    kind: ModelKind
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_params(self) -> ModelSpec:
        allowed = MODEL_PARAMS[self.kind]
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {', '.join(unknown)} for a {self.kind} model "
                f"(allowed: {', '.join(allowed)})"
            )
        return self


def _default_models() -> tuple[ModelSpec, ...]:
    return (
        ModelSpec(name="baseline", kind="baseline"),
        ModelSpec(name="logistic", kind="logistic"),
        ModelSpec(name="lightgbm", kind="lightgbm"),
    )


class Splits(_Frozen):
    """Temporal splits walking back from the label end (see :mod:`.splits`)."""

    n_splits: int = Field(default=4, ge=1, le=20)
    test_days: int = Field(default=182, ge=7)
    step_days: int | None = Field(default=None, ge=1)
    min_train_rows: int = Field(default=200, ge=1)
    min_train_positives: int = Field(default=10, ge=1)
    kfold: int = Field(default=5, ge=0, le=20)


class OperatingPoint(_Frozen):
    """Exactly one of ``top_percent`` (the team's capacity) or ``threshold`` (a score)."""

    top_percent: float | None = Field(default=None, gt=0, le=100)
    threshold: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> OperatingPoint:
        if (self.top_percent is None) == (self.threshold is None):
            raise ValueError("give exactly one of top_percent and threshold")
        return self


class Criterion(_Frozen):
    """A pre-registered criterion: ``metric op value`` at the operating point."""

    metric: CriterionMetric
    op: Literal[">=", "<="] = ">="
    value: float


class Success(_Frozen):
    """The pre-registered success criteria, judged on ``model``'s pooled temporal results."""

    model: str = "lightgbm"
    combine: Literal["all", "any"] = "all"
    criteria: tuple[Criterion, ...] = (
        Criterion(metric="precision", value=0.65),
        Criterion(metric="recall", value=0.5),
    )

    @model_validator(mode="after")
    def _some(self) -> Success:
        if not self.criteria:
            raise ValueError("pre-register at least one success criterion")
        return self


class Band(_Frozen):
    """Tolerance band for disparity ratios; it must contain 1."""

    low: float = Field(default=0.8, gt=0, le=1)
    high: float = Field(default=1.25, ge=1)


class Fairness(_Frozen):
    """The fairness audit and its criteria.

    ``reference`` maps an attribute to ``largest``, ``lowest`` or a group name (default
    ``largest``).  ``action`` decides the key metrics: punitive -> FPR and FDR; assistive ->
    FNR and FOR.  A group outside the band on a key metric fails the fairness criterion.
    """

    attributes: tuple[AuditAttribute, ...] = ("ethnicity", "sex", "age_band", "disability")
    intersections: bool = True
    reference: dict[str, str] = Field(default_factory=dict)
    band: Band = Field(default_factory=Band)
    action: Literal["punitive", "assistive"]
    min_group_size: int = Field(default=50, ge=1)
    min_denominator: int = Field(default=20, ge=1)


class EthicsAnswer(_Frozen):
    """An answer to an ethics question and the evidence or reason behind it."""

    answer: Answer
    note: str = ""

    @field_validator("answer", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted yes / no as a boolean.
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return value


class Bootstrap(_Frozen):
    replicates: int = Field(default=200, ge=20, le=10_000)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)


class ExperimentConfig(_Frozen):
    """The whole experiment (see the module docstring)."""

    config_version: Literal[1]
    name: str = Field(min_length=1)
    description: str = ""
    seed: int = 0
    decision_point: DecisionPoint = Field(default_factory=DecisionPoint)
    outcome: Outcome = Field(default_factory=Outcome)
    cohort: Cohort = Field(default_factory=Cohort)
    features: Features = Field(default_factory=Features)
    models: tuple[ModelSpec, ...] = Field(default_factory=_default_models)
    splits: Splits = Field(default_factory=Splits)
    operating_point: OperatingPoint
    success: Success = Field(default_factory=Success)
    fairness: Fairness
    ethics: dict[str, EthicsAnswer] = Field(default_factory=dict)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)

    def model(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The normalised config (defaults filled in) as JSON-ready values."""
        out: dict[str, Any] = self.model_dump(mode="json")
        return out


@dataclass(frozen=True, kw_only=True)
class ConfigProblem:
    """One problem with a config: where (a dotted path; ``""`` for the whole) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(AnalyticsInputError):
    """The config is invalid; ``problems`` lists every problem found, sorted by path."""

    problems: tuple[ConfigProblem, ...]

    def __init__(self, problems: list[ConfigProblem]) -> None:
        found = tuple(sorted(set(problems), key=lambda p: (p.path, p.message)))
        lines = [f"  - {p}" for p in found]
        super().__init__(
            found, message=f"the config has {len(found)} problem(s):\n" + "\n".join(lines)
        )


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _get(raw: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(raw, Mapping):
            return None
        raw = raw.get(key)
    return raw


def _cross_problems(raw: Mapping[str, Any]) -> list[ConfigProblem]:
    """Checks across sections, made on the raw mapping so they run even beside other errors."""
    problems: list[ConfigProblem] = []
    models = raw.get("models")
    names: list[Any] = []
    if isinstance(models, list):
        names = [m.get("name") for m in models if isinstance(m, Mapping)]
        seen: set[Any] = set()
        for i, name in enumerate(names):
            if isinstance(name, str) and name in seen:
                problems.append(ConfigProblem(path=f"models.{i}.name", message="duplicate name"))
            seen.add(name)
        if not models:
            problems.append(ConfigProblem(path="models", message="name at least one model"))
    else:
        names = [m.name for m in _default_models()]
    primary = _get(raw, "success", "model")
    primary = "lightgbm" if primary is None else primary
    if isinstance(primary, str) and names and primary not in names:
        problems.append(
            ConfigProblem(
                path="success.model",
                message=f"no model is called {primary!r} (models: {', '.join(map(str, names))})",
            )
        )
    attributes = _get(raw, "fairness", "attributes")
    if attributes is None:
        attributes = list(Fairness.model_fields["attributes"].default)
    reference = _get(raw, "fairness", "reference")
    if isinstance(reference, Mapping) and isinstance(attributes, list | tuple):
        for attribute in reference:
            if attribute not in attributes:
                problems.append(
                    ConfigProblem(
                        path=f"fairness.reference.{attribute}",
                        message=f"{attribute!r} is not an audited attribute",
                    )
                )
    ethics = raw.get("ethics")
    if isinstance(ethics, Mapping):
        for key in ethics:
            if key not in QUESTION_IDS:
                problems.append(
                    ConfigProblem(
                        path=f"ethics.{key}",
                        message=f"unknown question (questions: {', '.join(QUESTION_IDS)})",
                    )
                )
    return problems


def parse_config(raw: Any) -> ExperimentConfig:
    """Validate a mapping (e.g. parsed YAML) into an :class:`ExperimentConfig`.

    Raises :class:`ConfigError` with every problem at once.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError([ConfigProblem(path="", message="the config must be a mapping")])
    problems = _cross_problems(raw)
    version = raw.get("config_version")
    if version is not None and version != CONFIG_VERSION:
        problems.append(
            ConfigProblem(
                path="config_version",
                message=f"unsupported version {version!r}; this code reads {CONFIG_VERSION}",
            )
        )
    config: ExperimentConfig | None = None
    try:
        config = ExperimentConfig.model_validate(dict(raw))
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"] == ("config_version",) and version is not None:
                continue  # reported above, in plainer words
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(ConfigProblem(path=_path(tuple(error["loc"])), message=message))
    if problems or config is None:
        raise ConfigError(problems)
    return config


def load_config(path: str | os.PathLike[str]) -> ExperimentConfig:
    """Read and validate a YAML config file (``OSError`` if it cannot be read)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError([ConfigProblem(path="", message=f"{where}not valid YAML")]) from exc
    return parse_config(raw)


def config_hash(config: ExperimentConfig) -> str:
    """``sha256(canonical_json(config.to_dict()).encode("utf-8"))`` as hex."""
    return hashlib.sha256(canonical_json(config.to_dict()).encode("utf-8")).hexdigest()
