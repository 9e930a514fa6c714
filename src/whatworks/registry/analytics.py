"""The registry's one adapter to ``whatworks_analytics``: the only module of the registry
that imports the package (an import-linter contract holds it to that).

Trials (issue #18): the power calculation on a protocol draft, the check of a trial bundle
made where the data live, the trial data the platform keeps (reading and checking an
upload against the registered plan, names and counts only in every message, never a
value), running the plan, and the package's specification of a planned outcome
(``TrialSpec``, built by ``analysis_plan.trial_spec``).  Pilots: a protocol's pilot
experiment is checked, normalised and hashed by the pilots' config (``parse_config``,
``config_hash``), and its criteria may name the pilots' metrics (``METRIC_NAMES``).

Polars frames and plain mappings cross here; no model does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext

from whatworks_analytics.pilots.config import ConfigError, config_hash, parse_config
from whatworks_analytics.pilots.verdict import METRIC_NAMES
from whatworks_analytics.trials import (
    PowerInputError,
    TrialSpec,
    mdes_cluster,
    n_per_arm,
    power_individual,
)
from whatworks_analytics.trials.bundle import (
    BUNDLE_SCHEMA as TRIAL_BUNDLE_SCHEMA,
)
from whatworks_analytics.trials.bundle import (
    check_bundle,
    data_fingerprint,
    plan_sha256,
    read_data_csv,
    registry_results,
    run_plan,
)
from whatworks_analytics.trials.errors import TrialInputError

__all__ = [
    "METRIC_NAMES",
    "TRIAL_BUNDLE_SCHEMA",
    "ConfigError",
    "PowerAnswer",
    "PowerInputError",
    "TrialInputError",
    "TrialSpec",
    "check_bundle",
    "config_hash",
    "data_fingerprint",
    "parse_config",
    "plan_columns",
    "plan_sha256",
    "power_answer",
    "read_trial_data",
    "registry_results",
    "run_trial_plan",
    "trial_data_problems",
]


@dataclass(frozen=True)
class PowerAnswer:
    """The answer in words for the page, and the sentence to paste into the protocol."""

    headline: str
    sentence: str
    method: str


def power_answer(data: dict[str, Any]) -> PowerAnswer:
    """Answer the question of a valid :class:`~whatworks.registry.forms_trials.PowerForm`."""
    alpha, sides = float(data["alpha"]), int(data["sides"])
    test = "two-sided" if sides == 2 else "one-sided"
    if data["question"] == "n_per_arm":
        size = n_per_arm(effect=data["effect"], power=data["power"], alpha=alpha, sides=sides)  # type: ignore[arg-type]
        return PowerAnswer(
            headline=f"{size.n:,} participants per arm ({2 * size.n:,} in all)",
            sentence=(
                f"With {size.n:,} participants per arm, the trial has "
                f"{100 * size.achieved_power:.1f}% power to detect a standardised effect of "
                f"{data['effect']:g} in a {test} test at alpha {alpha:g}."
            ),
            method="The noncentral t, as R's pwr.t.test (two samples), rounded up.",
        )
    if data["question"] == "power":
        value = power_individual(
            n_per_arm=data["n_per_arm"],
            effect=data["effect"],
            alpha=alpha,
            sides=sides,  # type: ignore[arg-type]
        )
        return PowerAnswer(
            headline=f"{100 * value:.1f}% power",
            sentence=(
                f"With {data['n_per_arm']:,} participants per arm, the trial has "
                f"{100 * value:.1f}% power to detect a standardised effect of "
                f"{data['effect']:g} in a {test} test at alpha {alpha:g}."
            ),
            method="The noncentral t, as R's pwr.t.test (two samples).",
        )
    p_treated = data.get("p_treated") or 0.5
    r2 = data.get("r2") or 0.0
    result = mdes_cluster(
        clusters=data["clusters"],
        cluster_size=data["cluster_size"],
        icc=data["icc"],
        power=data["power"],
        alpha=alpha,
        p_treated=p_treated,
        r2_cluster=r2,
        sides=sides,  # type: ignore[arg-type]
    )
    return PowerAnswer(
        headline=f"Minimum detectable effect {result.mdes:.3f} SD",
        sentence=(
            f"With {data['clusters']} clusters of {data['cluster_size']:g} participants "
            f"(intra-cluster correlation {data['icc']:g}, {100 * p_treated:g}% of clusters "
            f"treated, cluster-level R² {r2:g}), the minimum detectable effect is "
            f"{result.mdes:.2f} standard deviations at {100 * data['power']:g}% power in a "
            f"{test} test at alpha {alpha:g}."
        ),
        method=(
            f"PowerUp!'s two-level cluster design (Dong and Maynard, 2013), the multiplier "
            f"from t with {result.df} degrees of freedom."
        ),
    )


# --- trial data kept by the platform -----------------------------------------------------


def plan_columns(plan: Mapping[str, Any]) -> list[str]:
    """Every column the plan's analyses use, in the order the plan names them."""
    names: list[str] = []
    for row in plan.get("outcomes") or []:
        for name in (
            row.get("arm_variable"),
            row.get("variable"),
            *(row.get("covariates") or ()),
            row.get("cluster_variable"),
            row.get("block_variable"),
        ):
            if name and name not in names:
                names.append(str(name))
    return names


def read_trial_data(path: Path) -> pl.DataFrame:
    """An uploaded CSV, read as ``whatworks-analytics trial-plan`` reads it."""
    try:
        return read_data_csv(path)
    except (OSError, ValueError, pl.exceptions.PolarsError):
        # The reader's message may quote a cell: say where to look, not what is there.
        raise TrialInputError(
            ["the file cannot be read as CSV with a header row (UTF-8, comma-separated)"]
        ) from None


def _numeric(frame: pl.DataFrame, name: str) -> bool:
    return frame.schema[name].is_numeric() or frame.schema[name] == pl.Boolean


def trial_data_problems(frame: pl.DataFrame, plan: Mapping[str, Any], id_column: str) -> list[str]:
    """Whether the data fit the registered plan; every problem at once, in words that name
    columns and count rows but never repeat a value."""
    problems: list[str] = []
    present = set(frame.columns)
    if id_column not in present:
        problems.append(
            gettext("there is no identifier column “%(id_column)s”") % {"id_column": id_column}
        )
    else:
        ids = frame.get_column(id_column)
        if ids.null_count():
            problems.append(
                gettext("%(null_count)s row(s) have no identifier in “%(id_column)s”")
                % {"null_count": format(ids.null_count(), ","), "id_column": id_column}
            )
        duplicated = frame.height - ids.drop_nulls().n_unique() - ids.null_count()
        if duplicated:
            problems.append(
                gettext(
                    "%(duplicated)s row(s) repeat an identifier of “%(id_column)s”: one row per "
                    "participant"
                )
                % {"duplicated": format(duplicated, ","), "id_column": id_column}
            )
    missing = [name for name in plan_columns(plan) if name not in present]
    if missing:
        problems.append(
            "the plan's columns " + ", ".join(f"“{m}”" for m in missing) + " are not in the file"
        )
    for row in plan.get("outcomes") or []:
        arm, variable = row.get("arm_variable"), row.get("variable")
        if arm in present:
            values = set(frame.get_column(arm).cast(pl.String).drop_nulls().unique().to_list())
            for label in ("treatment", "control"):
                if str(row.get(label)) not in values:
                    problems.append(
                        gettext(
                            "no row of “%(arm)s” holds the %(label)s value the plan names for "
                            "“%(outcome)s”"
                        )
                        % {"arm": arm, "label": label, "outcome": row.get("outcome")}
                    )
        if variable in present:
            if not _numeric(frame, variable):
                problems.append(
                    gettext("the outcome column “%(variable)s” holds values that are not numbers")
                    % {"variable": variable}
                )
            elif row.get("type") == "binary":
                column = frame.get_column(variable).drop_nulls().cast(pl.Float64)
                other = int((~column.is_in([0.0, 1.0])).sum())
                if other:
                    problems.append(
                        gettext(
                            "the binary outcome “%(variable)s” holds %(other)s value(s) other "
                            "than 0 and 1"
                        )
                        % {"variable": variable, "other": format(other, ",")}
                    )
        for name in row.get("covariates") or ():
            if name in present and not _numeric(frame, name):
                problems.append(
                    gettext("the covariate “%(name)s” holds values that are not numbers")
                    % {"name": name}
                )
    return list(dict.fromkeys(problems))


def run_trial_plan(
    plan: Mapping[str, Any],
    frame: pl.DataFrame,
    *,
    project: str,
    protocol_version: int,
    version_sha256: str,
    fingerprint: str,
) -> dict[str, Any]:
    """The registered plan run on kept data: the bundle, with the upload's fingerprint."""
    return run_plan(
        plan,
        frame,
        project=project,
        protocol_version=protocol_version,
        version_sha256=version_sha256,
        fingerprint=fingerprint,
    )


def kept_frame(frame: pl.DataFrame, plan: Mapping[str, Any], *, id_column: str) -> pl.DataFrame:
    """The columns the platform keeps: the identifier (to be pseudonymised), then the plan's."""
    return frame.select([id_column, *(c for c in plan_columns(plan) if c != id_column)])
