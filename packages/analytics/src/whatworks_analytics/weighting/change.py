"""Pre/post change for paired respondents, per site, with a t interval.

>>> import polars as pl
>>> frame = pl.DataFrame({"site": ["a"] * 3, "pre": [10.0, 12.0, 14.0], "post": [12.0, 13.0, 17.0]})
>>> [round(c.mean_change, 3) for c in paired_change(frame)]
[2.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    import polars as pl

__all__ = ["SiteChange", "paired_change"]


@dataclass(frozen=True)
class SiteChange:
    site: str
    n: int
    mean_pre: float
    mean_post: float
    mean_change: float
    ci_low: float
    ci_high: float


def paired_change(
    frame: pl.DataFrame,
    *,
    site: str = "site",
    pre: str = "pre",
    post: str = "post",
    level: float = 0.95,
) -> list[SiteChange]:
    """Mean of ``post - pre`` per site (and overall, site ``"all"``), with a t interval.

    Rows are respondents present in both waves.  A site with one pair has no interval (NaN).
    """
    out: list[SiteChange] = []
    groups = [(str(key), sub) for (key,), sub in frame.group_by(site, maintain_order=True)]
    groups.sort(key=lambda item: item[0])
    if len(groups) > 1:
        groups.append(("all", frame))
    for name, sub in groups:
        before = sub[pre].to_numpy().astype(float)
        after = sub[post].to_numpy().astype(float)
        diff = after - before
        n = int(diff.size)
        mean = float(diff.mean()) if n else math.nan
        if n > 1:
            se = float(diff.std(ddof=1)) / math.sqrt(n)
            half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
        else:
            half = math.nan
        out.append(
            SiteChange(
                site=name,
                n=n,
                mean_pre=float(np.mean(before)) if n else math.nan,
                mean_post=float(np.mean(after)) if n else math.nan,
                mean_change=mean,
                ci_low=mean - half,
                ci_high=mean + half,
            )
        )
    return out
