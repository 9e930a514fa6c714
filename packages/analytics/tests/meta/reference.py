"""The values that R's metafor computed once for these tests.

``tests/reference/metafor.R`` (the command is in its header) wrote ``metafor.json`` and the
data sets under ``tests/reference/metafor-data/``; nothing here runs R.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from whatworks_analytics.meta import EffectSizes, Measure

REFERENCE = Path(__file__).parents[1] / "reference"
DATA = REFERENCE / "metafor-data"

#: Relative tolerance for closed-form results; iterative ones converge to metafor's
#: threshold (1e-5 on tau2), so they are compared with ITERATIVE_TOL.
EXACT_TOL = 1e-9
ITERATIVE_TOL = 1e-6


@cache
def metafor() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REFERENCE / "metafor.json").read_text(encoding="utf-8"))
    return data


def generic_effects(name: str) -> EffectSizes:
    """``yi``/``vi`` of a data set as metafor's escalc() computed them."""
    entry = metafor()[name]
    k = len(entry["yi"])
    return EffectSizes(
        measure=Measure.GENERIC,
        study=tuple(f"Study {i + 1}" for i in range(k)),
        yi=np.asarray(entry["yi"], dtype=np.float64),
        vi=np.asarray(entry["vi"], dtype=np.float64),
    )


def frame(name: str) -> pl.DataFrame:
    return pl.read_csv(DATA / f"{name}.csv")


def csv_effects(name: str) -> EffectSizes:
    table = frame(name)
    return EffectSizes(
        measure=Measure.GENERIC,
        study=tuple(table["study"].to_list()),
        yi=table["yi"].to_numpy().astype(np.float64),
        vi=table["vi"].to_numpy().astype(np.float64),
    )
