"""The report's per-statement bars: each opinion group's agree / disagree / pass, with
counts, computed with the analysis (as Pol.is's report shows them)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.forum.factories import make_conversation
from tests.forum.synthetic import fill
from whatworks.forum.models import AnalysisRun, Vote
from whatworks.forum.report import BAR_WIDTH, build_report
from whatworks.forum.services.analysis import analysis_run


@pytest.mark.django_db
def test_report_shows_each_group_s_votes(client: Client) -> None:
    conversation = make_conversation()
    fill(conversation)
    analysis_run(conversation_id=conversation.pk)
    run = AnalysisRun.objects.filter(conversation=conversation).latest("pk")
    tallies = run.result["group_counts"]
    groups = {int(g["id"]): set(g["members"]) for g in run.result["analysis"]["groups"]}
    assert len(groups) >= 2
    # by hand from the vote log: each participant's latest vote, counted in their group
    latest: dict[tuple[int, int], int] = {}
    for pid, tid, value in (
        Vote.objects.filter(conversation=conversation)
        .order_by("pk")
        .values_list("participant_id", "statement__number", "value")
    ):
        latest[(pid, tid)] = value
    statement = next(iter(tallies))
    for row in tallies[statement]:
        members = groups[row["group"]]
        values = [v for (pid, tid), v in latest.items() if tid == int(statement) and pid in members]
        assert row["n_agree"] == values.count(1)
        assert row["n_disagree"] == values.count(-1)
        assert row["n_pass"] == values.count(0)
        assert row["n_seen"] == len(values)
    statements = list(conversation.statements.all())
    report = build_report(run=run, statements=statements)
    first = next(r for r in report.statements if r.groups)
    bar = first.groups[0]
    assert bar.agree_width + bar.disagree_width + bar.pass_width == pytest.approx(
        BAR_WIDTH, abs=0.2
    )
    page = client.get(reverse("forum:report", kwargs={"slug": conversation.slug})).content.decode()
    assert "How each group voted" in page
    assert f"{bar.n_agree} agree ({bar.agree_percent}%), {bar.n_disagree} disagree" in page
