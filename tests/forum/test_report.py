"""The report's common ground (group-informed consensus) and majority views."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.forum.factories import make_conversation
from tests.forum.synthetic import fill
from whatworks.forum.models import AnalysisRun, Statement
from whatworks.forum.report import build_report
from whatworks.forum.services.analysis import analysis_run


def _run(analysis: dict[str, Any]) -> AnalysisRun:
    return AnalysisRun(result={"counts": {}, "positions": {}, "analysis": analysis})


def _statements() -> list[Statement]:
    return [Statement(number=n, text=f"Statement {n}") for n in range(3)]


def test_common_ground_is_group_informed_consensus_that_every_group_shares() -> None:
    # Hand-computed (Pol.is conversation.clj :group-aware-consensus): statement 0 is agreed
    # by 3 of 3 in group A and 2 of 2 in group B: (3+1)/(3+2) x (2+1)/(2+2) = 0.8 x 0.75 = 0.6.
    # Statement 1 is agreed by all of A and none of B: 0.8 x (0+1)/(2+2) = 0.2, B's chance is
    # below a half, so it is no common ground although it ranks second.
    analysis = {
        "groups": [{"id": 0, "members": [1, 2, 3]}, {"id": 1, "members": [4, 5]}],
        "representative": {},
        "consensus": {"agree": [], "disagree": []},
        "group_informed_consensus": [
            {
                "tid": 0,
                "consensus": 0.6,
                "groups": [
                    {"group": 0, "n_agree": 3, "n_disagree": 0, "n_seen": 3, "p_agree": 0.8},
                    {"group": 1, "n_agree": 2, "n_disagree": 0, "n_seen": 2, "p_agree": 0.75},
                ],
            },
            {
                "tid": 1,
                "consensus": 0.2,
                "groups": [
                    {"group": 0, "n_agree": 3, "n_disagree": 0, "n_seen": 3, "p_agree": 0.8},
                    {"group": 1, "n_agree": 0, "n_disagree": 2, "n_seen": 2, "p_agree": 0.25},
                ],
            },
        ],
    }
    report = build_report(run=_run(analysis), statements=_statements())
    assert [item.number for item in report.common_ground] == [0]
    (item,) = report.common_ground
    assert item.consensus == pytest.approx(0.6)
    assert [(g.label, g.n_agree, g.n_seen, g.percent) for g in item.groups] == [
        ("Group A", 3, 3, 100),
        ("Group B", 2, 2, 100),
    ]


def test_majority_disagreement_shows_the_disagree_share() -> None:
    # 6 of 10 disagree, 4 agree: under "disagree" the share is 60% disagree, not 40% agree.
    item = {"tid": 2, "n_agree": 4, "n_disagree": 6, "n_seen": 10, "p_success": 7 / 12}
    analysis = {
        "groups": [],
        "consensus": {"agree": [], "disagree": [item]},
        "group_informed_consensus": [],
    }
    report = build_report(run=_run(analysis), statements=_statements())
    (shown,) = report.consensus_disagree
    assert shown["percent"] == 60 and shown["repful_for"] == "disagree"


@pytest.mark.django_db
def test_report_page_shows_common_ground_and_labels_majority_views(client: Client) -> None:
    conversation = make_conversation()
    fill(conversation)  # two groups of 20; everyone agrees with statement 4
    analysis_run(conversation_id=conversation.pk)
    page = client.get(f"/forum/{conversation.slug}/report/").content.decode()
    common = page[page.index("Common ground") : page.index("Majority views of all participants")]
    text = conversation.statements.get(number=4).text
    assert text in common
    assert "Group A: 100% agree (20 of 20 who voted)" in common
    assert "Group B: 100% agree (20 of 20 who voted)" in common
    # (20 + 1) / (20 + 2) squared = 0.911...
    assert "group-informed consensus 0.91" in common
    start = page.index("Majority views of all participants")
    majority = page[start : page.index("Every statement")]
    assert "A majority of all participants agree" in majority
    assert "A majority of all participants disagree" in majority
    assert "Most participants" not in page
