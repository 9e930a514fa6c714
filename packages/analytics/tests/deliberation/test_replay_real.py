"""The replay against Pol.is's own groups on four public conversations (compdemocracy/openData).

Pol.is's groups are the ``group-id`` column of each export's participants-votes.csv.  The
replay runs with the command line's default schedule (one update per ten minutes of the vote
log).
Agreement is the adjusted Rand index (scikit-learn's ``adjusted_rand_score``) over the
participants both place.  Measured when written (docs/adr/0010-polis-replay.md has every
conversation), stateless ``find_groups`` first, then the replay:

=========================  =========  ==============  ==============
conversation               Pol.is k   stateless (k)   replay (k)
=========================  =========  ==============  ==============
15-per-hour-seattle        2          0.584 (2)       0.884 (2)
canadian-electoral-reform  2          0.838 (2)       0.964 (2)
scoop-hivemind.taxes       2          0.858 (2)       0.927 (2)
brexit-consensus           2          0.876 (2)       0.474 (4)
=========================  =========  ==============  ==============

The thresholds sit just below the replay's figures.  On brexit-consensus the replay finds
four groups where Pol.is shows two (and the stateless analysis agrees better): the test
records that miss rather than hide it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from whatworks_analytics.deliberation import GroupResult, read_export
from whatworks_analytics.deliberation.cli import DEFAULT_REPLAY_SECONDS
from whatworks_analytics.deliberation.replay import replay_export

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[4]
SEATTLE = REPO / ".." / "shared" / "data" / "external" / "polis" / "15-per-hour-seattle"

CASES = {
    # folder: (Pol.is's number of groups, replay's number of groups, lowest ARI accepted)
    "15-per-hour-seattle": (2, 2, 0.85),
    "canadian-electoral-reform": (2, 2, 0.95),
    "scoop-hivemind.taxes": (2, 2, 0.90),
    "brexit-consensus": (2, 4, 0.45),
}


def folder(name: str) -> Path:
    path = SEATTLE if name == "15-per-hour-seattle" else DATA / name
    if not (path / "votes.csv").exists():
        pytest.skip(f"the Pol.is {name} export is not at {path}")
    return path


def replayed(name: str) -> tuple[GroupResult, np.ndarray]:
    export = read_export(folder(name))
    matrix = export.matrix()
    result = replay_export(export, matrix=matrix, interval_ms=DEFAULT_REPLAY_SECONDS * 1000)
    theirs = np.array([export.groups.get(int(p), -1) for p in matrix.participant_ids])
    return result, theirs


@pytest.mark.parametrize("name", list(CASES))
def test_replay_agrees_with_pol_is_groups(name: str) -> None:
    polis_k, replay_k, lowest = CASES[name]
    result, theirs = replayed(name)
    assert len(set(theirs[theirs >= 0].tolist())) == polis_k
    assert result.k == replay_k
    both = (theirs >= 0) & (result.labels >= 0)
    # nearly everyone Pol.is placed is placed by the replay too
    assert both.sum() >= 0.95 * (theirs >= 0).sum()
    assert adjusted_rand_score(theirs[both], result.labels[both]) > lowest
