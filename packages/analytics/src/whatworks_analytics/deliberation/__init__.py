"""Opinion-group analysis of a deliberative forum, after Pol.is.

Participants vote agree (1), disagree (-1) or pass (0) on short statements.  From the vote
log this package builds the latest-vote matrix (:mod:`.matrix`), places participants on a
two-dimensional opinion map and finds opinion groups (:mod:`.groups`), and reports each
group's representative statements, the consensus statements and the group-informed consensus
(:mod:`.repness`), following the published Pol.is method: the compdemocracy/polis source
(``math/src/polismath/math``: conversation.clj, pca.clj, clusters.clj, repness.clj,
stats.clj) and Small, Bjorkegren, Erkkilä, Shaw & Megill (2021), "Polis: Scaling
Deliberation by Mapping High Dimensional Opinion Spaces", RECERCA 26(2),
doi:10.6035/recerca.5516.
:mod:`.replay` finds the groups instead by replaying a timestamped vote log through Pol.is's
stateful updates.
:mod:`.routing` chooses which statement to show a participant next; :mod:`.polis_io` reads
and writes the Pol.is open-data export layout.  Each module's docstring says which published
step it follows and where it departs.

>>> from whatworks_analytics.deliberation import build_matrix, consensus_statements
>>> matrix = build_matrix(participant=[1, 2, 3, 1], statement=[7, 7, 7, 7], vote=[1, 1, 1, -1])
>>> matrix.statement_counts().n_agree.tolist()
[2]
>>> [item.tid for item in consensus_statements(matrix).agree]
[]
"""

from whatworks_analytics.deliberation.groups import (
    DEFAULT_BASE_K,
    DEFAULT_MIN_PARTICIPANTS,
    DEFAULT_MIN_VOTES,
    Group,
    GroupResult,
    PCAResult,
    base_clusters,
    find_groups,
    fit_pca,
    groups_from_labels,
    placed_mask,
    project_participants,
    statement_extremity,
)
from whatworks_analytics.deliberation.matrix import (
    AGREE,
    DISAGREE,
    PASS,
    DeliberationInputError,
    StatementCounts,
    VoteMatrix,
    build_matrix,
    event_counts,
)
from whatworks_analytics.deliberation.polis_io import (
    PolisExport,
    PolisFormatError,
    read_export,
    write_export,
)
from whatworks_analytics.deliberation.replay import ReplayState, replay_export, replay_groups
from whatworks_analytics.deliberation.repness import (
    Z_90,
    Z_95,
    Analysis,
    Consensus,
    ConsensusStatement,
    GroupCount,
    GroupInformedStatement,
    GroupVoteCounts,
    RepresentativeStatement,
    analyse,
    consensus_statements,
    group_informed_consensus,
    group_vote_counts,
    prop_test,
    representative_statements,
    two_prop_test,
)
from whatworks_analytics.deliberation.routing import (
    META_PRIORITY,
    next_statement,
    statement_priorities,
)

__all__ = [
    "AGREE",
    "DEFAULT_BASE_K",
    "DEFAULT_MIN_PARTICIPANTS",
    "DEFAULT_MIN_VOTES",
    "DISAGREE",
    "META_PRIORITY",
    "PASS",
    "Z_90",
    "Z_95",
    "Analysis",
    "Consensus",
    "ConsensusStatement",
    "DeliberationInputError",
    "Group",
    "GroupCount",
    "GroupInformedStatement",
    "GroupResult",
    "GroupVoteCounts",
    "PCAResult",
    "PolisExport",
    "PolisFormatError",
    "ReplayState",
    "RepresentativeStatement",
    "StatementCounts",
    "VoteMatrix",
    "analyse",
    "base_clusters",
    "build_matrix",
    "consensus_statements",
    "event_counts",
    "find_groups",
    "fit_pca",
    "group_informed_consensus",
    "group_vote_counts",
    "groups_from_labels",
    "next_statement",
    "placed_mask",
    "project_participants",
    "prop_test",
    "read_export",
    "replay_export",
    "replay_groups",
    "representative_statements",
    "statement_extremity",
    "statement_priorities",
    "two_prop_test",
    "write_export",
]
