"""Which statement to show a participant next (Pol.is comment routing), as a pure function.

Published step followed (compdemocracy/polis ``conversation.clj``, ``importance-metric`` and
``priority-metric``; the server then draws the next comment at random, weighted by priority,
among those the participant has not voted on):

* importance = ``(1 - p) * (E + 1) * a`` with the pseudo-counted pass rate
  ``p = (P + 1) / (S + 2)`` and agree rate ``a = (A + 1) / (S + 2)`` and the statement's
  extremity ``E`` on the opinion map (0 when unknown);
* priority = ``(importance * (1 + 8 * 2 ** (-S / 5))) ** 2``; the factor lets statements with
  few votes (and brand-new ones, S = 0, factor 9) come first, and fades as votes accumulate;
* meta statements get the fixed priority ``7 ** 2``.

Departure: :func:`next_statement` returns the highest-priority unseen statement (ties to the
lowest id), so the choice is reproducible; give it a ``seed`` to draw weighted by priority as
Pol.is does.  Both forms are pure: same inputs, same answer.  Rejected and meta statements
are not in the analysis matrix, so :func:`next_statement` never offers them; a caller who
does route meta statements can rank them with ``statement_priorities(is_meta=...)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from whatworks_analytics.deliberation.matrix import AGREE, PASS, VoteMatrix

__all__ = ["META_PRIORITY", "next_statement", "statement_priorities"]

META_PRIORITY = 7.0


def statement_priorities(
    *,
    n_agree: npt.ArrayLike,
    n_pass: npt.ArrayLike,
    n_seen: npt.ArrayLike,
    extremity: npt.ArrayLike | None = None,
    is_meta: npt.ArrayLike | None = None,
) -> npt.NDArray[np.float64]:
    """Pol.is routing priority per statement from its vote counts (and extremity, meta flag)."""
    a_count = np.asarray(n_agree, dtype=np.float64)
    p_count = np.asarray(n_pass, dtype=np.float64)
    seen = np.asarray(n_seen, dtype=np.float64)
    e = np.zeros_like(seen) if extremity is None else np.asarray(extremity, dtype=np.float64)
    pass_rate = (p_count + 1.0) / (seen + 2.0)
    agree_rate = (a_count + 1.0) / (seen + 2.0)
    importance = (1.0 - pass_rate) * (e + 1.0) * agree_rate
    priority = (importance * (1.0 + 8.0 * 2.0 ** (-seen / 5.0))) ** 2
    if is_meta is not None:
        priority = np.where(np.asarray(is_meta, dtype=bool), META_PRIORITY**2, priority)
    return np.asarray(priority, dtype=np.float64)


def next_statement(
    *,
    matrix: VoteMatrix,
    participant: int,
    extremity: npt.ArrayLike | None = None,
    seed: int | None = None,
) -> int | None:
    """The statement id to show ``participant`` next, or ``None`` when they have seen them all.

    Counts come from the matrix (latest votes of everyone); ``extremity`` (per statement, in
    ``matrix.statement_ids`` order, e.g. from :func:`~.groups.statement_extremity`) is
    optional.  Without ``seed`` the highest priority wins; with it, a priority-weighted draw.
    A participant id not in the matrix is a newcomer who has seen nothing.
    """
    n_statements = matrix.shape[1]
    if n_statements == 0:
        return None
    m = n_statements
    priority = statement_priorities(
        n_agree=np.bincount(matrix.col[matrix.value == AGREE], minlength=m),
        n_pass=np.bincount(matrix.col[matrix.value == PASS], minlength=m),
        n_seen=np.bincount(matrix.col, minlength=m),
        extremity=extremity,
    )
    unseen = np.ones(m, dtype=bool)
    position = int(np.searchsorted(matrix.participant_ids, participant))
    if position < len(matrix.participant_ids) and matrix.participant_ids[position] == participant:
        unseen[matrix.col[matrix.row == position]] = False
    candidates = np.flatnonzero(unseen)
    if candidates.size == 0:
        return None
    if seed is None:
        best = candidates[int(np.argmax(priority[candidates]))]
        return int(matrix.statement_ids[best])
    weights = priority[candidates]
    total = weights.sum()
    rng = np.random.default_rng(seed)
    if total <= 0:
        chosen = candidates[int(rng.integers(candidates.size))]
    else:
        chosen = candidates[int(rng.choice(candidates.size, p=weights / total))]
    return int(matrix.statement_ids[chosen])
