"""Running a registered trial analysis plan, and the bundle that carries every number.

The plan is the ``trial_analysis`` section of a registered protocol version (the registry's
``analysis_plan.py`` documents it): a design and, per outcome, the column, type, arm column
with its treatment and control values, covariates, cluster and block columns, alpha,
sidedness and effect size.  :func:`run_plan` analyses each planned outcome exactly as
written and returns the bundle (schema ``whatworks.trial-bundle/1``)::

    schema, code_version
    project, protocol_version, version_sha256   what the plan was registered as (if known)
    plan, plan_sha256     the plan, and the SHA-256 of its canonical JSON
    data                  fingerprint (SHA-256 of the data, independent of row and column
                          order), rows, columns
    outcomes[]            outcome, spec (what the engine ran), result (every number of
                          whatworks_analytics.trials.analysis.TrialResult), security
    results[]             the registry's whatworks.results/1 rows derived from the outcomes

:func:`check_bundle` is what the platform runs on a bundle made offline: every derived
figure (t, p, interval, Hedges' g, attrition, the registry rows) is computed again from the
bundle's own estimates, errors and counts, and must agree.

The canonical JSON is the registry's: keys sorted, separators ``,`` and ``:``, UTF-8.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import polars as pl
from scipy import stats

from whatworks_analytics import __version__, canonical
from whatworks_analytics.trials.analysis import TrialSpec, analyse_trial, hedges_j
from whatworks_analytics.trials.errors import TrialInputError
from whatworks_analytics.trials.security import security_rating

__all__ = [
    "BUNDLE_SCHEMA",
    "check_bundle",
    "data_fingerprint",
    "plan_sha256",
    "read_data_csv",
    "registry_results",
    "run_plan",
    "spec_from_plan",
]

BUNDLE_SCHEMA = "whatworks.trial-bundle/1"
#: Relative tolerance when a figure is derived again (the bundle's floats are JSON doubles).
TOLERANCE = 1e-6

STATISTICS = {
    "hedges_g": "Hedges' g",
    "risk_difference": "risk difference",
    "odds_ratio": "odds ratio",
}


def canonical_json(value: Any) -> bytes:
    """The package's canonical JSON (:mod:`whatworks_analytics.canonical`) in UTF-8."""
    return canonical.canonical_json(value).encode("utf-8")


def plan_sha256(plan: Mapping[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON (as the registry hashes protocol content)."""
    return hashlib.sha256(canonical_json(plan)).hexdigest()


def data_fingerprint(frame: pl.DataFrame) -> str:
    """SHA-256 of the data with its columns in name order and its rows sorted, as CSV."""
    ordered = frame.select(sorted(frame.columns))
    ordered = ordered.sort(ordered.columns, nulls_last=True)
    return hashlib.sha256(ordered.write_csv(include_header=True).encode("utf-8")).hexdigest()


def read_data_csv(source: Any) -> pl.DataFrame:
    """A trial's data file as ``trial`` and ``trial-plan`` read it (empty cells and ``NA``
    are missing; every row is read to infer the column types), so that the platform's
    fingerprint of an upload is the one the command states for the same file."""
    return pl.read_csv(source, infer_schema_length=None, null_values=["", "NA"])


def spec_from_plan(row: Mapping[str, Any]) -> TrialSpec:
    """The engine's specification of one planned outcome; every problem at once."""
    problems: list[str] = []
    key = row.get("outcome", "?")
    for name in ("outcome", "variable", "type", "arm_variable", "treatment", "control"):
        if not row.get(name):
            problems.append(f"the plan for “{key}” has no {name}")
    alpha = row.get("alpha", 0.05)
    sidedness = row.get("sidedness", "two-sided")
    if not isinstance(alpha, int | float) or not 0 < alpha < 0.5:
        problems.append(f"the plan for “{key}” has an alpha that is not between 0 and 0.5")
    if sidedness not in ("two-sided", "greater", "less"):
        problems.append(f"the plan for “{key}” has an unknown sidedness {sidedness!r}")
    if row.get("type") not in (None, "continuous", "binary"):
        problems.append(f"the plan for “{key}” has an unknown outcome type {row.get('type')!r}")
    if problems:
        raise TrialInputError(problems)
    level = 1.0 - float(alpha) * (1 if sidedness == "two-sided" else 2)
    return TrialSpec(
        arm=str(row["arm_variable"]),
        treatment=str(row["treatment"]),
        control=str(row["control"]),
        outcome=str(row["variable"]),
        covariates=tuple(str(c) for c in row.get("covariates") or ()),
        cluster=row.get("cluster_variable") or None,
        block=row.get("block_variable") or None,
        level=round(level, 10),
        outcome_type=row["type"],
        alternative=sidedness,
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def run_plan(
    plan: Mapping[str, Any],
    frame: pl.DataFrame,
    *,
    project: str | None = None,
    protocol_version: int | None = None,
    version_sha256: str | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """Analyse every planned outcome of ``plan`` on ``frame``; the bundle (see module).
    Raises :class:`TrialInputError` listing the problems of every outcome at once.

    ``fingerprint`` is recorded instead of the frame's own when the frame is a kept copy
    of the data (the platform stores only the plan's columns, pseudonymised, and records
    the fingerprint of the file as uploaded, which an offline run of that file states)."""
    rows = list(plan.get("outcomes") or [])
    problems: list[str] = []
    if not rows:
        problems.append("the plan analyses no outcome")
    outcomes: list[dict[str, Any]] = []
    for row in rows:
        try:
            spec = spec_from_plan(row)
            result = analyse_trial(frame, spec)
        except TrialInputError as error:
            problems.extend(f"{row.get('outcome', '?')}: {p}" for p in error.problems)
            continue
        rating = security_rating(
            mdes=result.mdes_at_randomisation,
            attrition=result.flow.overall_attrition,
            baseline=result.baseline,
        )
        outcomes.append(
            {
                "outcome": row["outcome"],
                "effect_size": row.get("effect_size")
                or ("hedges_g" if result.outcome_type == "continuous" else "risk_difference"),
                "spec": {**asdict(spec), "covariates": list(spec.covariates)},
                "result": result.to_dict(),
                "security": asdict(rating),
            }
        )
    if problems:
        raise TrialInputError(problems)
    bundle: dict[str, Any] = {
        "schema": BUNDLE_SCHEMA,
        "code_version": __version__,
        "project": project,
        "protocol_version": protocol_version,
        "version_sha256": version_sha256,
        "plan": dict(plan),
        "plan_sha256": plan_sha256(plan),
        "data": {
            "fingerprint": fingerprint or data_fingerprint(frame),
            "rows": frame.height,
            "columns": sorted(frame.columns),
        },
        "outcomes": outcomes,
    }
    bundle = _clean(bundle)
    bundle["results"] = registry_results(bundle)
    return bundle


def _interval_words(level: float) -> str:
    return f"{100 * level:g}% confidence interval"


def registry_results(bundle: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``whatworks.results/1`` rows that a bundle's outcomes give: per outcome, the
    registered effect size with its interval, the difference and its test as metrics, and
    the provenance in the note."""
    rows = []
    for item in bundle.get("outcomes") or []:
        result = item["result"]
        kind = item["effect_size"]
        level = result["level"]
        if kind == "hedges_g" and result.get("hedges_g"):
            g = result["hedges_g"]
            value, low, high = g["estimate"], g["ci_low"], g["ci_high"]
        elif kind == "odds_ratio" and result.get("odds_ratio"):
            odds = result["odds_ratio"]
            value, low, high = odds["estimate"], odds["ci_low"], odds["ci_high"]
        else:
            kind = "risk_difference" if result["outcome_type"] == "binary" else "difference"
            value, low, high = result["estimate"], result["ci_low"], result["ci_high"]
        label = STATISTICS.get(kind, "difference in means")
        metrics = {
            "difference" if result["outcome_type"] == "continuous" else "risk difference": result[
                "estimate"
            ],
            "standard error": result["se"],
            "degrees of freedom": result["df"],
            "p-value": result["p"],
            "overall attrition": result["flow"]["overall_attrition"],
            "padlocks": float(item["security"]["padlocks"]),
        }
        metrics.pop(label, None)  # the registered statistic is judged on its interval
        note = (
            f"{result['se_type']} errors; n = {result['n']} ({result['n_treatment']} treatment, "
            f"{result['n_control']} control)"
            + (f" in {result['clusters']} clusters" if result.get("clusters") else "")
            + f"; data SHA-256 {bundle['data']['fingerprint']}; plan SHA-256 "
            f"{bundle['plan_sha256']}; whatworks-analytics {bundle['code_version']}."
        )
        rows.append(
            {
                "outcome": item["outcome"],
                "statistic": label,
                "estimate": value,
                "lower": low,
                "upper": high,
                "interval": _interval_words(level),
                "n": result["n"],
                "metrics": {k: v for k, v in metrics.items() if v is not None},
                "note": note,
            }
        )
    return rows


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=1e-9)


def check_bundle(bundle: Mapping[str, Any]) -> list[str]:
    """Every figure of the bundle that does not follow from its own inputs (empty: sound)."""
    problems: list[str] = []
    if bundle.get("schema") != BUNDLE_SCHEMA:
        return [f"this is not a trial bundle (schema {bundle.get('schema')!r})"]
    plan = bundle.get("plan")
    if not isinstance(plan, Mapping) or plan_sha256(plan) != bundle.get("plan_sha256"):
        problems.append("the plan's SHA-256 does not match the plan in the bundle")
    planned = {row.get("outcome"): row for row in (plan or {}).get("outcomes") or []}
    for item in bundle.get("outcomes") or []:
        key = item.get("outcome")
        r = item.get("result") or {}
        where = f"“{key}”"
        if key not in planned:
            problems.append(f"{where} is not an outcome of the plan")
            continue
        try:
            spec = spec_from_plan(planned[key])
        except TrialInputError as error:
            problems.extend(error.problems)
            continue
        spec_in_bundle = item.get("spec") or {}
        if spec_in_bundle != {**asdict(spec), "covariates": list(spec.covariates)}:
            problems.append(f"{where} was not analysed as the plan says")
        try:
            est, se, df = float(r["estimate"]), float(r["se"]), float(r["df"])
            t = est / se
            if not _close(r["t"], t):
                problems.append(f"{where}: t is not the estimate over its standard error")
            if spec.alternative == "two-sided":
                p = 2 * stats.t.sf(abs(t), df)
            elif spec.alternative == "greater":
                p = stats.t.sf(t, df)
            else:
                p = stats.t.cdf(t, df)
            if not _close(r["p"], p):
                problems.append(f"{where}: the p-value does not follow from t and its df")
            q = stats.t.isf((1 - float(r["level"])) / 2, df)
            if not (_close(r["ci_low"], est - q * se) and _close(r["ci_high"], est + q * se)):
                problems.append(f"{where}: the interval does not follow from the estimate")
            if not _close(r["level"], spec.level):
                problems.append(f"{where}: the confidence level is not the plan's")
            if r["n"] != r["n_treatment"] + r["n_control"]:
                problems.append(f"{where}: n is not the sum of the arms")
            g = r.get("hedges_g")
            if g is not None:
                j = hedges_j(int(r["n"]))
                sd = float(g["sd_pooled"])
                if not (
                    _close(g["j"], j)
                    and _close(g["estimate"], j * est / sd)
                    and _close(g["ci_low"], j * float(r["ci_low"]) / sd)
                ):
                    problems.append(f"{where}: Hedges' g does not follow from the estimate")
            flow = r["flow"]
            for arm in ("treatment", "control"):
                a = flow[arm]
                if a["randomised"] - a["lost"] != a["analysed"] or not _close(
                    a["attrition"], a["lost"] / a["randomised"]
                ):
                    problems.append(f"{where}: the {arm} arm's flow does not add up")
            if flow["treatment"]["analysed"] != r["n_treatment"]:
                problems.append(f"{where}: the treatment arm analysed is not n_treatment")
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            problems.append(f"{where}: the result lacks figures or holds non-numbers")
    if not problems and bundle.get("results") != registry_results(bundle):
        problems.append("the registry rows do not follow from the outcomes' results")
    return problems


def plan_from_version(version: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A protocol version's JSON (``/research/<id>/v<n>.json``) -> (plan, identity)."""
    content = version.get("content") or {}
    plan = content.get("trial_analysis")
    if not isinstance(plan, dict):
        raise TrialInputError(["this protocol version has no trial analysis plan"])
    sha = hashlib.sha256(canonical_json(content)).hexdigest()
    if version.get("sha256") and version["sha256"] != sha:
        raise TrialInputError(
            ["the protocol version's SHA-256 does not match its content: it was altered"]
        )
    identity = {
        "project": version.get("id"),
        "protocol_version": version.get("version"),
        "version_sha256": sha,
    }
    return plan, identity


def outcome_keys(bundle: Mapping[str, Any]) -> Sequence[str]:
    return [item["outcome"] for item in bundle.get("outcomes") or []]
