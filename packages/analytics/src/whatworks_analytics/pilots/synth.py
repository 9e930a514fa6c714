"""Synthetic pilot datasets in the data contract, calibrated to national figures.

The generator simulates a local authority's children's social care records over a window
of whole years, entirely with vectorised numpy (no Python loop over rows):

* every child has a persistent latent risk; a child's referrals arrive as a renewal
  process (a first referral uniform in the window, then short gaps of under a year or long
  gaps of over a year), so the share of referrals within 12 months of a previous one is
  tuned (by bisection on the short-gap probability) to the national 22.6%;
* each referral has a severity mixing the child's risk with noise; it goes down the
  funnel referral -> assessment -> section 47 enquiry -> initial conference -> child
  protection plan or care, with the furthest stage chosen by ranking a noisy escalation
  score (severity, prior referrals, a recent previous referral) so the national shares
  of the furthest stage per referral are met;
* assessment factors are recorded with probabilities rising with severity (and age for
  adolescent factors), their intercepts solved so each factor's share of completed
  assessments matches the national figure;
* events after the end of the window are censored: they are dropped, or their end date
  is left empty (ongoing); plans or care episodes that would start while the child's
  previous one is still open are not recorded.

Optional distortions give later analyses something to find: ``bias_against`` records more
referrals, fewer closures and more escalations for one group at the same underlying risk;
``practice_change`` raises the threshold for escalation from a date and makes domestic
violence and mental health recorded routinely (so they carry less signal).

Everything is reproducible from ``seed`` (a :class:`numpy.random.Generator`).
:func:`generate` returns a :class:`~whatworks_analytics.pilots.validate.PilotDataset`
typed exactly like the loader's output; :func:`write_synthetic` writes one atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray
from tqdm import tqdm

from whatworks_analytics.pilots.calibration import ENGLAND_2019, Calibration
from whatworks_analytics.pilots.schema import (
    CODES_SEPARATOR,
    CONTRACT,
    CPP_CATEGORY_CODES,
    DISABILITY_CODES,
    ETHNICITY_CODES,
    FACTOR_CODES,
    LEGAL_STATUS_CODES,
    REFERRAL_SOURCE_CODES,
    SEX_CODES,
    ColumnKind,
)
from whatworks_analytics.pilots.validate import FileFormat, PilotDataset

#: File written beside the tables describing how the dataset was generated.
MANIFEST_NAME = "synthetic.json"
GENERATOR_VERSION = "1"

_YEAR = 365.25
_ADULT_DAYS = 18 * _YEAR
_EPOCH = date(1970, 1, 1)
_GROUP_COLUMNS = {"ethnicity": ETHNICITY_CODES, "sex": SEX_CODES, "disability": DISABILITY_CODES}

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True, kw_only=True)
class GroupSpec:
    """A group of children: a code of ``children.ethnicity``, ``sex`` or ``disability``."""

    column: Literal["ethnicity", "sex", "disability"]
    code: str

    @classmethod
    def parse(cls, text: str) -> GroupSpec:
        """Parse ``CODE`` (an ethnicity code) or ``COLUMN=CODE``; ``ValueError`` if unknown."""
        column, _, code = text.rpartition("=")
        column = column.strip() or "ethnicity"
        code = code.strip()
        if column not in _GROUP_COLUMNS:
            raise ValueError(
                f"unknown group column {column!r}; use one of {', '.join(_GROUP_COLUMNS)}"
            )
        codes = [c.code for c in _GROUP_COLUMNS[column]]
        if code not in codes:
            raise ValueError(f"unknown {column} code {code!r}; use one of {', '.join(codes)}")
        return cls(column=column, code=code)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.column}={self.code}"


@dataclass(frozen=True, kw_only=True)
class Knobs:
    """Behavioural constants of the simulation (not national figures; see the module doc)."""

    #: Weight of the child's persistent risk in a referral's severity (the rest is noise).
    child_risk_weight: float = 0.6
    #: Mean number of further referrals a child would get with an unlimited window.
    further_referrals_mean: float = 1.3
    #: How strongly the child's risk raises the number of further referrals (log scale).
    further_referrals_risk: float = 0.6
    #: How strongly the child's risk raises the chance that the next gap is under a year.
    short_gap_risk: float = 0.5
    #: Noise added to severity when deciding no further action.
    nfa_noise: float = 0.9
    #: Noise added to the escalation score (larger: weaker signal, lower model AUC).
    escalation_noise: float = 0.9
    #: Weight of log(1 + prior referrals) in the escalation and no-further-action scores.
    history_weight: float = 0.35
    #: Weight of a previous referral within 12 months in the escalation score.
    recent_weight: float = 0.25
    #: Shift of the no-further-action and escalation scores for the biased group, per unit
    #: of ``bias_strength``.
    bias_shift: float = 0.5
    #: Log-multiplier of the biased group's referral rate, per unit of ``bias_strength``.
    bias_referral_rate: float = 0.4
    #: Shift of the biased group's chance (logit) that a re-referral comes within a year.
    bias_short_gap: float = 0.3
    #: Drop in the escalation score after a practice change (a higher threshold).
    practice_shift: float = 0.5
    #: Share of escalations that are child protection plans (the rest go straight to care).
    plan_share: float = 0.8
    #: Share of plans after which the child becomes looked after, ending the plan (set so
    #: episodes started per referral meet the national 0.049 once overlaps are dropped).
    plan_to_care: float = 0.33
    #: Share of direct admissions to care preceded by a section 47 enquiry.
    direct_care_s47: float = 0.5


@dataclass(frozen=True, kw_only=True)
class SynthConfig:
    """What to generate.  ``start`` is the first day of the window; the window is ``years``
    whole years long and the extract is taken on its last day."""

    referrals: int = 30_000
    years: int = 5
    seed: int = 0
    start: date = date(2015, 4, 1)
    bias_against: GroupSpec | None = None
    bias_strength: float = 1.0
    practice_change: date | None = None
    calibration: Calibration = ENGLAND_2019
    knobs: Knobs = field(default_factory=Knobs)

    def __post_init__(self) -> None:
        if self.referrals < 1:
            raise ValueError("referrals must be at least 1")
        if self.years < 1:
            raise ValueError("years must be at least 1")
        if self.practice_change is not None and not self.start < self.practice_change < self.end:
            raise ValueError(
                f"practice_change must fall inside the window {self.start} to {self.end}"
            )

    @property
    def end(self) -> date:
        """The day after the window (events on or after it are not in the extract)."""
        try:
            return self.start.replace(year=self.start.year + self.years)
        except ValueError:  # 29 February
            return self.start.replace(year=self.start.year + self.years, day=28)

    def describe(self) -> dict[str, Any]:
        """The parameters as JSON-ready values."""
        return {
            "referrals": self.referrals,
            "years": self.years,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "bias_against": str(self.bias_against) if self.bias_against else None,
            "bias_strength": self.bias_strength if self.bias_against else None,
            "practice_change": self.practice_change.isoformat() if self.practice_change else None,
            "knobs": asdict(self.knobs),
        }


@dataclass(frozen=True, kw_only=True)
class SynthSummary:
    """What :func:`write_synthetic` wrote."""

    out: Path
    file_format: FileFormat
    config: SynthConfig
    row_counts: Mapping[str, int]
    re_referral_rate: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "out": str(self.out),
            "format": self.file_format,
            "config": self.config.describe(),
            "row_counts": dict(self.row_counts),
            "re_referral_rate": round(self.re_referral_rate, 4),
            "seconds": round(self.seconds, 2),
        }


class _Steps:
    """A progress bar over named steps (to stderr; silent when disabled)."""

    def __init__(self, total: int, *, enabled: bool, desc: str) -> None:
        self._bar = tqdm(
            total=total, desc=desc, unit="step", file=sys.stderr, disable=not enabled, leave=False
        )

    def __call__(self, name: str) -> None:
        self._bar.set_postfix_str(name, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _sigmoid(x: Floats) -> Floats:
    return 1.0 / (1.0 + np.exp(-x))


def _categorical(
    rng: np.random.Generator, shares: Mapping[str, float], codes: list[str], size: int
) -> Ints:
    """Indices into ``codes`` drawn with the given shares (codes absent from shares: 0)."""
    p = np.array([shares.get(code, 0.0) for code in codes], dtype=np.float64)
    return (
        np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right")
        .clip(0, len(codes) - 1)
        .astype(np.int64)
    )


def _segment_offsets(counts: Ints) -> Ints:
    return np.cumsum(counts) - counts


def _positions(counts: Ints) -> Ints:
    """0, 1, ..., c-1 for every segment of the given counts, concatenated."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_segment_offsets(counts), counts)


def _bisect(f: Any, target: float, lo: float, hi: float, iterations: int = 40) -> float:
    """Solve increasing ``f(x) = target`` on [lo, hi] (clamped to the ends)."""
    for _ in range(iterations):
        mid = (lo + hi) / 2
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True, kw_only=True)
class _Children:
    risk: Floats
    sex: Ints
    ethnicity: Ints
    disability: Ints
    group: Bools
    age_days: Floats  # age at first referral
    first_day: Ints  # day of first referral in the window


@dataclass(frozen=True, kw_only=True)
class _Referrals:
    child: Ints  # index into the kept children
    day: Ints
    order: Ints  # 0 for a child's first referral in the window
    recent: Bools  # previous referral of the child within 12 months


def _draw_children(rng: np.random.Generator, m: int, cfg: SynthConfig, days: int) -> _Children:
    cal = cfg.calibration
    sex = _categorical(rng, cal.sex_share, [c.code for c in SEX_CODES], m)
    ethnicity = _categorical(rng, cal.ethnicity_share, [c.code for c in ETHNICITY_CODES], m)
    disability = _categorical(rng, cal.disability_code_share, [c.code for c in DISABILITY_CODES], m)
    group = np.zeros(m, dtype=np.bool_)
    if cfg.bias_against is not None:
        attribute = {"sex": sex, "ethnicity": ethnicity, "disability": disability}
        codes = [c.code for c in _GROUP_COLUMNS[cfg.bias_against.column]]
        group = attribute[cfg.bias_against.column] == codes.index(cfg.bias_against.code)
    bands = cal.age_bands
    band = _categorical(
        rng, {str(i): b[2] for i, b in enumerate(bands)}, [str(i) for i in range(len(bands))], m
    )
    low = np.array([b[0] for b in bands], dtype=np.float64)[band]
    high = np.array([b[1] for b in bands], dtype=np.float64)[band]
    years = low + np.floor(rng.random(m) * (high - low + 1))
    age_days = (years + rng.random(m)) * _YEAR
    return _Children(
        risk=rng.standard_normal(m),
        sex=sex,
        ethnicity=ethnicity,
        disability=disability,
        group=group,
        age_days=np.minimum(age_days, _ADULT_DAYS - 1),
        first_day=rng.integers(0, days, size=m, dtype=np.int64),
    )


class _TooFewChildren(Exception):
    """Raised when the children drawn have fewer referrals than asked for."""

    def __init__(self, referrals: int) -> None:
        super().__init__(referrals)
        self.referrals = referrals


def _referral_process(
    rng: np.random.Generator, cfg: SynthConfig, days: int, m: int
) -> tuple[_Children, _Referrals]:
    """Draw ``m`` children and their referrals in the window, calibrating re-referrals."""
    knobs = cfg.knobs
    kids = _draw_children(rng, m, cfg, days)
    bias = cfg.bias_strength if cfg.bias_against else 0.0
    kappa = knobs.further_referrals_risk
    rate = knobs.further_referrals_mean * np.exp(
        kappa * kids.risk - kappa**2 / 2 + knobs.bias_referral_rate * bias * kids.group
    )
    further = np.minimum(rng.poisson(rate), 40).astype(np.int64)
    owner = np.repeat(np.arange(m, dtype=np.int64), further)
    n = owner.size
    u = rng.random(n)
    short_gap = 7.0 + 350.0 * rng.beta(1.3, 2.2, n)
    long_gap = 365.0 + rng.exponential(500.0, n)
    tilt = knobs.short_gap_risk * kids.risk[owner] + knobs.bias_short_gap * bias * kids.group[owner]
    seg_start = np.repeat(_segment_offsets(further), further)
    first = kids.first_day[owner].astype(np.float64)
    limit = np.minimum(float(days), first + _ADULT_DAYS - kids.age_days[owner])

    def simulate(intercept: float) -> tuple[Bools, Bools, Floats]:
        short = u < _sigmoid(intercept + tilt)
        gaps = np.where(short, short_gap, long_gap)
        total = np.cumsum(gaps)
        within = total - (total[seg_start] - gaps[seg_start])
        when = first + within
        return short, when < limit, when

    def share(intercept: float) -> float:
        short, kept, _ = simulate(intercept)
        return float(np.count_nonzero(short & kept)) / (m + float(np.count_nonzero(kept)))

    intercept = _bisect(share, cfg.calibration.re_referral_rate, -8.0, 8.0, iterations=30)
    short, kept, when = simulate(intercept)
    kept_per_child = np.bincount(owner[kept], minlength=m).astype(np.int64)
    per_child = 1 + kept_per_child
    # Children are exchangeable, so keeping a prefix of them is a random sample; the last
    # child kept may lose its latest referrals so the total is exactly cfg.referrals.
    cumulative = np.cumsum(per_child)
    if cumulative[-1] < cfg.referrals:
        raise _TooFewChildren(int(cumulative[-1]))
    last = int(np.searchsorted(cumulative, cfg.referrals))
    per_child = per_child[: last + 1].copy()
    per_child[last] -= int(cumulative[last]) - cfg.referrals
    kids = _Children(**{k: v[: last + 1] for k, v in vars(kids).items()})
    order = _positions(per_child)
    child = np.repeat(np.arange(last + 1, dtype=np.int64), per_child)
    # Further referral number j (1-based) of child i is element offset[i] + j - 1 of the
    # flat arrays; kept ones form a prefix of each child's sequence.
    offsets = _segment_offsets(further)[: last + 1]
    flat = np.repeat(offsets, per_child) + order - 1
    is_further = order > 0
    day = kids.first_day[child].copy()
    day[is_further] = np.floor(when[flat[is_further]]).astype(np.int64)
    recent = np.zeros(child.size, dtype=np.bool_)
    recent[is_further] = short[flat[is_further]]
    return kids, _Referrals(child=child, day=day, order=order, recent=recent)


def _top_shares(score: Floats, shares: list[float]) -> Ints:
    """Stage per element: 0 for the lowest, len(shares) for the top ``shares[-1]``, ...

    ``shares`` are fractions of all elements, listed from the lowest stage above 0 to the
    highest; elements are ranked by ``score`` and the top fractions get the higher stages.
    """
    n = score.size
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(score, kind="stable")] = np.arange(n, dtype=np.int64)
    stage = np.zeros(n, dtype=np.int64)
    above = n
    for level in range(len(shares), 0, -1):
        size = round(shares[level - 1] * n)
        stage[(rank >= above - size) & (rank < above)] = level
        above -= size
    return stage


def _factors(
    rng: np.random.Generator,
    cfg: SynthConfig,
    severity: Floats,
    age_years: Floats,
    after_change: Bools,
) -> NDArray[np.bool_]:
    """A (referrals x contract factors) matrix of recorded factors, calibrated to shares."""
    codes = [code.code for code in FACTOR_CODES]
    shares = cfg.calibration.factor_share
    loading = {
        "domestic_violence": 0.5,
        "mental_health": 0.4,
        "drug_misuse": 0.5,
        "emotional_abuse": 0.8,
        "alcohol_misuse": 0.4,
        "neglect": 0.9,
        "physical_abuse": 0.8,
        "self_harm": 0.4,
        "child_sexual_exploitation": 0.6,
        "going_missing": 0.5,
        "gangs": 0.5,
    }
    teenage = {"self_harm", "child_sexual_exploitation", "going_missing", "gangs"}
    routine = {"domestic_violence", "mental_health"}
    n = severity.size
    out = np.zeros((n, len(codes)), dtype=np.bool_)
    sample = np.arange(n) if n <= 200_000 else rng.choice(n, size=200_000, replace=False)
    for index, code in enumerate(codes):
        if code not in shares:
            continue
        tilt = loading[code] * severity
        if code in teenage:
            tilt = tilt + np.where(age_years >= 12, 2.5, 0.0)
        elif code == "neglect":
            tilt = tilt + np.where(age_years < 10, 0.5, 0.0)
        sub = tilt[sample]
        intercept = _bisect(
            lambda a, sub=sub: float(_sigmoid(a + sub).mean()), shares[code], -15.0, 10.0
        )
        logit = intercept + tilt
        if cfg.practice_change is not None and code in routine:
            logit = np.where(after_change, intercept + 1.0 + 0.3 * tilt, logit)
        out[:, index] = rng.random(n) < _sigmoid(logit)
    return out


def _drop_overlaps(child: Ints, start: Ints, end: Ints) -> Bools:
    """Which spells to keep: those not starting while an earlier one of the child is open.

    ``end`` uses a large number for open spells.  Vectorised: spells sorted by child and
    start; a running maximum of (child offset + end) gives each spell the latest end of
    the child's earlier spells.
    """
    n = child.size
    keep = np.ones(n, dtype=np.bool_)
    if n == 0:
        return keep
    order = np.lexsort((start, child))
    c, s, e = child[order], start[order], end[order]
    span = int(max(int(e.max()), int(s.max()))) + 2
    running = np.maximum.accumulate(c * span + e)
    previous = np.concatenate([[-1], running[:-1]])
    same = np.concatenate([[False], c[1:] == c[:-1]])
    open_before = same & (s < previous - c * span)
    keep[order[open_before]] = False
    return keep


def _date_series(name: str, days: Ints, origin: int, valid: Bools | None = None) -> pl.Series:
    series = pl.Series(name, (days + origin).astype(np.int32)).cast(pl.Date)
    if valid is not None:
        series = series.set(pl.Series(~valid), None)
    return series


def _ids(prefix: str, n: int, rng: np.random.Generator) -> pl.Series:
    """``n`` distinct pseudonymous ids like ``C004711`` in random order."""
    width = max(6, len(str(n)))
    numbers = pl.Series("id", rng.permutation(n) + 1).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str(pl.lit(prefix), numbers)).to_series().alias("id")


def _enum(name: str, codes: list[str], index: Ints) -> pl.Series:
    return pl.Series(name, np.asarray(codes, dtype=object)[index], dtype=pl.String).cast(
        pl.Enum(codes)
    )


def _factor_lists(matrix: NDArray[np.bool_], recorded: Bools) -> pl.Series:
    """The recorded factors of each row as a list (empty when none or not recorded)."""
    codes = [code.code for code in FACTOR_CODES]
    rows, cols = np.nonzero(matrix & recorded[:, None])
    flat = pl.Series("code", np.asarray(codes, dtype=object)[cols], dtype=pl.String)
    lists = (
        pl.DataFrame({"row": rows.astype(np.int64), "code": flat})
        .group_by("row", maintain_order=True)
        .agg(pl.col("code"))
    )
    full = pl.DataFrame({"row": np.arange(matrix.shape[0], dtype=np.int64)}).join(
        lists, on="row", how="left", maintain_order="left"
    )
    return full["code"].fill_null([]).cast(pl.List(pl.Enum(codes))).alias("factors")


def generate(config: SynthConfig, *, progress: bool = False) -> PilotDataset:
    """Generate a synthetic pilot dataset (typed like :func:`load_dataset`'s result)."""
    steps = _Steps(8, enabled=progress, desc="synth")
    try:
        return _generate(config, steps)
    finally:
        steps.close()


def _generate(cfg: SynthConfig, steps: _Steps) -> PilotDataset:
    rng = np.random.default_rng(cfg.seed)
    knobs, cal = cfg.knobs, cfg.calibration
    days = (cfg.end - cfg.start).days
    origin = (cfg.start - _EPOCH).days
    change_day = (cfg.practice_change - cfg.start).days if cfg.practice_change else days + 1
    bias = cfg.bias_strength if cfg.bias_against else 0.0

    # Children and referral times: enough children that their referrals reach the target.
    m = max(50, int(cfg.referrals / 1.4) + 50)
    for _ in range(8):
        try:
            kids, refs = _referral_process(rng, cfg, days, m)
            break
        except _TooFewChildren as short:
            m = int(m * min(4.0, 1.15 * cfg.referrals / max(short.referrals, 1))) + 50
    else:  # pragma: no cover - the process always produces referrals
        raise RuntimeError("could not generate enough referrals")
    steps("referrals")

    n = refs.child.size
    child = refs.child
    age_years = (kids.age_days[child] + (refs.day - kids.first_day[child])) / _YEAR
    w = knobs.child_risk_weight
    severity = w * kids.risk[child] + np.sqrt(1 - w * w) * rng.standard_normal(n)
    history = np.log1p(refs.order)
    group = kids.group[child]
    after_change = refs.day >= change_day
    source = _categorical(
        rng, cal.referral_source_share, [c.code for c in REFERRAL_SOURCE_CODES], n
    )

    # Funnel: no further action for the lowest scores, then the furthest stage by rank.
    funnel = cal.highest_intervention_share
    nfa_score = (
        severity
        + knobs.history_weight * history
        + knobs.bias_shift * bias * group
        + knobs.nfa_noise * rng.standard_normal(n)
    )
    nfa = _top_shares(-nfa_score, [funnel["no_further_action"]]) == 1
    assessed = np.flatnonzero(~nfa)
    share_assessed = 1.0 - funnel["no_further_action"]
    escalation = (
        severity
        + knobs.history_weight * history
        + knobs.recent_weight * refs.recent
        + knobs.bias_shift * bias * group
        - knobs.practice_shift * after_change
        + knobs.escalation_noise * rng.standard_normal(n)
    )
    stage = np.zeros(n, dtype=np.int64)  # 0 assessed or not, 1 s47, 2 icpc, 3 plan or care
    stage[assessed] = _top_shares(
        escalation[assessed],
        [
            funnel["section_47"] / share_assessed,
            funnel["icpc"] / share_assessed,
            funnel["cp_plan_or_looked_after"] / share_assessed,
        ],
    )
    steps("funnel")

    # Assessments: start within days of the referral, about a month long.
    a_day = refs.day[assessed] + rng.poisson(1.5, assessed.size)
    a_end = a_day + 1 + np.minimum(rng.gamma(2.0, 15.0, assessed.size), 150).astype(np.int64)
    a_keep = a_day < days
    a_done = a_end < days
    factors = _factors(rng, cfg, severity[assessed], age_years[assessed], after_change[assessed])
    steps("assessments")

    # Escalation path: a plan (after s47 and conference) or straight into care.
    escalated = stage == 3
    to_plan = escalated & (rng.random(n) < knobs.plan_share)
    direct_care = escalated & ~to_plan
    direct_after_s47 = direct_care & (rng.random(n) < knobs.direct_care_s47)
    with_s47 = ((stage >= 1) & ~direct_care) | direct_after_s47
    s_idx = np.flatnonzero(with_s47)
    s_day = refs.day[s_idx] + rng.poisson(3.0, s_idx.size)
    s_end = s_day + 1 + rng.gamma(2.0, 5.0, s_idx.size).astype(np.int64)
    conference = (stage[s_idx] == 2) | to_plan[s_idx]
    icpc_day = s_day + 5 + rng.gamma(3.0, 3.0, s_idx.size).astype(np.int64)
    s_keep = s_day < days
    steps("section 47")

    p_pos = np.flatnonzero(to_plan[s_idx] & (icpc_day < days))
    p_ref = s_idx[p_pos]
    p_day = icpc_day[p_pos]
    p_length = 30 + rng.gamma(1.6, 170.0, p_ref.size).astype(np.int64)
    p_end = p_day + p_length
    into_care = rng.random(p_ref.size) < knobs.plan_to_care
    care_from_plan = (
        p_day + 14 + (rng.random(p_ref.size) * np.maximum(p_length - 14, 1)).astype(np.int64)
    )
    p_end = np.where(into_care, care_from_plan, p_end)
    p_category = _categorical(
        rng, cal.cpp_category_share, [c.code for c in CPP_CATEGORY_CODES], p_ref.size
    )
    d_ref = np.flatnonzero(direct_care)
    d_day = refs.day[d_ref] + 1 + rng.gamma(1.5, 10.0, d_ref.size).astype(np.int64)
    c_ref = np.concatenate([p_ref[into_care], d_ref])
    c_day = np.concatenate([care_from_plan[into_care], d_day])
    c_child = child[c_ref]
    adult_day = (kids.first_day[c_child] + _ADULT_DAYS - kids.age_days[c_child]).astype(np.int64)
    c_end = np.minimum(c_day + 1 + rng.gamma(0.7, 1000.0, c_ref.size).astype(np.int64), adult_day)
    c_status = _categorical(
        rng, cal.cla_legal_status_share, [c.code for c in LEGAL_STATUS_CODES], c_ref.size
    )
    steps("plans and care")

    # Censoring and overlaps.
    open_end = days + 10 * 365 * 100
    p_in = p_day < days
    p_keep = p_in & _drop_overlaps(child[p_ref], p_day, np.where(p_end < days, p_end, open_end))
    c_in = (c_day < days) & (c_day < adult_day)
    c_keep = c_in & _drop_overlaps(c_child, c_day, np.where(c_end < days, c_end, open_end))
    steps("censoring")

    dataset = _frames(
        cfg,
        rng,
        origin,
        days,
        kids,
        refs,
        nfa,
        source,
        assessed[a_keep],
        a_day[a_keep],
        a_end[a_keep],
        a_done[a_keep],
        factors[a_keep],
        (s_idx[s_keep], s_day[s_keep], s_end[s_keep], icpc_day[s_keep], conference[s_keep]),
        (p_ref[p_keep], p_day[p_keep], p_end[p_keep], p_category[p_keep]),
        (c_ref[c_keep], c_day[c_keep], c_end[c_keep], c_status[c_keep]),
        steps,
    )
    return dataset


def _frames(
    cfg: SynthConfig,
    rng: np.random.Generator,
    origin: int,
    days: int,
    kids: _Children,
    refs: _Referrals,
    nfa: Bools,
    source: Ints,
    a_ref: Ints,
    a_day: Ints,
    a_end: Ints,
    a_done: Bools,
    factors: NDArray[np.bool_],
    s47: tuple[Ints, Ints, Ints, Ints, Bools],
    plans: tuple[Ints, Ints, Ints, Ints],
    care: tuple[Ints, Ints, Ints, Ints],
    steps: _Steps,
) -> PilotDataset:
    """Assemble the typed tables with pseudonymous ids."""
    m, n = kids.risk.size, refs.child.size
    child_ids = _ids("C", m, rng)
    referral_ids = _ids("R", n, rng)
    birth = kids.first_day - np.floor(kids.age_days).astype(np.int64)
    birth_month = _date_series("birth_month", birth, origin).dt.month_start()
    children = pl.DataFrame(
        {
            "child_id": child_ids,
            "birth_month": birth_month,
            "sex": _enum("sex", [c.code for c in SEX_CODES], kids.sex),
            "ethnicity": _enum("ethnicity", [c.code for c in ETHNICITY_CODES], kids.ethnicity),
            "disability": _enum("disability", [c.code for c in DISABILITY_CODES], kids.disability),
        }
    ).sort("child_id")
    referrals = pl.DataFrame(
        {
            "referral_id": referral_ids,
            "child_id": child_ids.gather(refs.child),
            "referral_date": _date_series("referral_date", refs.day, origin),
            "source": _enum("source", [c.code for c in REFERRAL_SOURCE_CODES], source),
            "nfa": pl.Series("nfa", nfa),
        }
    ).sort("referral_date", "referral_id")
    steps("children and referrals")

    def linked(ref: Ints) -> dict[str, pl.Series]:
        return {
            "child_id": child_ids.gather(refs.child[ref]),
            "referral_id": referral_ids.gather(ref),
        }

    assessments = pl.DataFrame(
        {
            "assessment_id": _ids("A", a_ref.size, rng),
            **linked(a_ref),
            "start_date": _date_series("start_date", a_day, origin),
            "end_date": _date_series("end_date", a_end, origin, a_done),
            "factors": _factor_lists(factors, a_done),
        }
    ).sort("start_date", "assessment_id")
    s_ref, s_day, s_end, icpc_day, conference = s47
    s47_enquiries = pl.DataFrame(
        {
            "s47_id": _ids("S", s_ref.size, rng),
            **linked(s_ref),
            "start_date": _date_series("start_date", s_day, origin),
            "end_date": _date_series("end_date", s_end, origin, s_end < days),
            "icpc_date": _date_series(
                "icpc_date", icpc_day, origin, conference & (icpc_day < days)
            ),
        }
    ).sort("start_date", "s47_id")
    p_ref, p_day, p_end, p_category = plans
    child_protection_plans = pl.DataFrame(
        {
            "cpp_id": _ids("P", p_ref.size, rng),
            "child_id": child_ids.gather(refs.child[p_ref]),
            "start_date": _date_series("start_date", p_day, origin),
            "end_date": _date_series("end_date", p_end, origin, p_end < days),
            "category": _enum("category", [c.code for c in CPP_CATEGORY_CODES], p_category),
        }
    ).sort("start_date", "cpp_id")
    c_ref, c_day, c_end, c_status = care
    looked_after_episodes = pl.DataFrame(
        {
            "episode_id": _ids("E", c_ref.size, rng),
            "child_id": child_ids.gather(refs.child[c_ref]),
            "start_date": _date_series("start_date", c_day, origin),
            "end_date": _date_series("end_date", c_end, origin, c_end < days),
            "legal_status": _enum("legal_status", [c.code for c in LEGAL_STATUS_CODES], c_status),
        }
    ).sort("start_date", "episode_id")
    steps("other tables")
    frames = {
        "children": children,
        "referrals": referrals,
        "assessments": assessments,
        "s47_enquiries": s47_enquiries,
        "child_protection_plans": child_protection_plans,
        "looked_after_episodes": looked_after_episodes,
    }
    return PilotDataset.from_frames(frames)


def re_referral_rate(referrals: pl.DataFrame) -> float:
    """Share of referrals within 365 days of the same child's previous referral."""
    if referrals.height == 0:
        return 0.0
    gaps = (
        referrals.select("child_id", "referral_date")
        .sort("child_id", "referral_date")
        .select((pl.col("referral_date").diff().over("child_id")).dt.total_days().alias("gap"))
    )
    return float(gaps.select((pl.col("gap") <= 365).fill_null(False).mean()).item())


def to_file_frame(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A loaded table as written to a file: months as ``YYYY-MM``, codes as text, lists as
    ``;``-separated text; dates stay dates (ISO in CSV) and booleans booleans."""
    table = CONTRACT.table(name)
    exprs = []
    for column in table.columns:
        expr = pl.col(column.name)
        if column.kind is ColumnKind.MONTH:
            expr = expr.dt.strftime("%Y-%m")
        elif column.kind is ColumnKind.CODE:
            expr = expr.cast(pl.String)
        elif column.kind is ColumnKind.CODES:
            expr = expr.cast(pl.List(pl.String)).list.join(CODES_SEPARATOR)
        exprs.append(expr)
    return frame.select(exprs)


@contextmanager
def _atomic_folder(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """A temporary folder beside ``out`` that becomes ``out`` only if the block succeeds."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} exists and is not empty (use overwrite to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:12]
    temporary = out.parent / f".{out.name}.tmp-{tag}"
    temporary.mkdir()
    try:
        yield temporary
        if out.is_dir():
            old = out.parent / f".{out.name}.old-{tag}"
            os.replace(out, old)
            os.replace(temporary, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def write_dataset(
    dataset: PilotDataset,
    out: str | os.PathLike[str],
    *,
    file_format: FileFormat = "csv",
    overwrite: bool = False,
    manifest: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> Path:
    """Write ``dataset`` as a contract folder at ``out``, atomically.

    The tables are written into a temporary folder beside ``out`` which is renamed to
    ``out`` at the end, so a failure leaves nothing half-written.  ``out`` must not exist
    or be empty, unless ``overwrite``.  ``manifest`` is written as ``synthetic.json``.
    """
    target = Path(out)
    names = CONTRACT.table_names
    steps = _Steps(len(names), enabled=progress, desc="write")
    try:
        with _atomic_folder(target, overwrite=overwrite) as folder:
            for name, frame in dataset.tables():
                file_frame = to_file_frame(name, frame)
                if file_format == "csv":
                    file_frame.write_csv(folder / f"{name}.csv")
                else:
                    file_frame.write_parquet(folder / f"{name}.parquet")
                steps(name)
            if manifest is not None:
                (folder / MANIFEST_NAME).write_text(
                    json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
                )
    finally:
        steps.close()
    return target


def write_synthetic(
    config: SynthConfig,
    out: str | os.PathLike[str],
    *,
    file_format: FileFormat = "csv",
    overwrite: bool = False,
    progress: bool = False,
) -> SynthSummary:
    """Generate a dataset from ``config`` and write it atomically to ``out``."""
    began = time.perf_counter()
    dataset = generate(config, progress=progress)
    rate = re_referral_rate(dataset.referrals)
    manifest = {
        "generator": "whatworks_analytics.pilots.synth",
        "generator_version": GENERATOR_VERSION,
        "contract_version": CONTRACT.version,
        "config": config.describe(),
        "row_counts": dataset.row_counts(),
        "re_referral_rate": round(rate, 4),
    }
    write_dataset(
        dataset,
        out,
        file_format=file_format,
        overwrite=overwrite,
        manifest=manifest,
        progress=progress,
    )
    return SynthSummary(
        out=Path(out),
        file_format=file_format,
        config=config,
        row_counts=dataset.row_counts(),
        re_referral_rate=rate,
        seconds=time.perf_counter() - began,
    )


def extract_as_of(
    dataset: PilotDataset, before: date, *, keep_referral: str | None = None
) -> PilotDataset:
    """The extract as it would have stood before ``before``: every fact dated on or after
    it is removed, and an end date on or after it is not yet known (the row is still
    open).  ``keep_referral`` keeps that one referral (the decision being scored).

    Monthly extracts of one authority for shadow mode: the same children, each extract a
    little later (tests and the demo of the platform's shadow phase)."""

    def known(column: str) -> pl.Expr:
        return pl.col(column) < before

    def open_after(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
        return frame.with_columns(
            pl.when(known(c)).then(pl.col(c)).otherwise(None).alias(c) for c in columns
        )

    referrals = dataset.referrals.filter(
        known("referral_date") | (pl.col("referral_id") == (keep_referral or ""))
    )
    assessments = open_after(dataset.assessments.filter(known("start_date")), "end_date")
    assessments = assessments.with_columns(
        pl.when(pl.col("end_date").is_null())
        .then(pl.col("factors").list.head(0))
        .otherwise(pl.col("factors"))
        .alias("factors")
    )
    s47 = open_after(dataset.s47_enquiries.filter(known("start_date")), "end_date", "icpc_date")
    plans = open_after(dataset.child_protection_plans.filter(known("start_date")), "end_date")
    care = open_after(dataset.looked_after_episodes.filter(known("start_date")), "end_date")
    return PilotDataset.from_frames(
        {
            "children": dataset.children,
            "referrals": referrals,
            "assessments": assessments,
            "s47_enquiries": s47,
            "child_protection_plans": plans,
            "looked_after_episodes": care,
        }
    )
