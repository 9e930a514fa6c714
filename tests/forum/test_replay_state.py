"""The forum's groups as Pol.is finds them (issue 20): the conversation's Pol.is state is
stepped with each analysis run's new votes and gives what the analytics package's replay of
the whole vote log gives offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from tests.factories import UserFactory
from tests.forum.factories import make_conversation
from tests.forum.synthetic import fill
from whatworks.forum import analytics
from whatworks.forum.models import AnalysisReplay, AnalysisRun, Conversation, Statement, Vote
from whatworks.forum.services.analysis import analysis_run
from whatworks.forum.services.importing import conversation_for_export
from whatworks.forum.services.polis import conversation_import
from whatworks.forum.services.statements import statement_moderate
from whatworks_analytics.deliberation import build_matrix, read_export, replay_groups

DATA = (
    Path(__file__).resolve().parents[2]
    / "packages/analytics/tests/deliberation/data/brexit-consensus"
)


def _imported() -> Conversation:
    data = analytics.export_read(DATA)
    conversation = conversation_for_export(actor=None, slug="brexit", data=data)
    conversation_import(actor=None, conversation=conversation, data=data)
    return conversation


def _hold_back(conversation: Conversation, cuts_ms: list[int]) -> list[list[Vote]]:
    """Remove the votes after the first cut (milliseconds from the first vote) and return
    them, in log order, as the batches between the cuts, unsaved."""
    votes = list(Vote.objects.filter(conversation=conversation).order_by("pk"))
    first = votes[0].created_at
    offset = [(v.created_at - first).total_seconds() * 1000 for v in votes]
    batches: list[list[Vote]] = [[] for _ in cuts_ms]
    for vote, ms in zip(votes, offset, strict=True):
        step = sum(ms >= cut for cut in cuts_ms)
        if step:
            batches[step - 1].append(
                Vote(
                    conversation=conversation,
                    participant_id=vote.participant_id,
                    statement_id=vote.statement_id,
                    value=vote.value,
                    created_at=vote.created_at,
                )
            )
    Vote.objects.filter(
        pk__in=[v.pk for v, ms in zip(votes, offset, strict=True) if ms >= cuts_ms[0]]
    ).delete()
    return batches


def _membership(run: AnalysisRun) -> list[tuple[int, ...]]:
    return [tuple(g["members"]) for g in run.result["analysis"]["groups"]]


@pytest.mark.slow
@pytest.mark.django_db
def test_runs_in_batches_give_the_offline_replay_of_the_same_votes() -> None:
    conversation = _imported()
    window = analytics.REPLAY_INTERVAL_MS
    # cut at window boundaries: a third and two thirds of the way through the log
    times = sorted(
        Vote.objects.filter(conversation=conversation).values_list("created_at", flat=True)
    )
    span = (times[-1] - times[0]).total_seconds() * 1000
    cuts = [int(span * f) // window * window for f in (1 / 3, 2 / 3)]
    later = _hold_back(conversation, cuts)
    runs = [analysis_run(conversation_id=conversation.pk)]
    for batch in later:
        Vote.objects.bulk_create(batch)
        runs.append(analysis_run(conversation_id=conversation.pk))
    stored = AnalysisReplay.objects.get(conversation=conversation)
    assert stored.version == analytics.replay_version(conversation.analysis_seed)
    assert stored.last_vote_id == Vote.objects.filter(conversation=conversation).latest("pk").pk
    assert runs[-1].result["grouping"] == "replay"
    assert runs[-1].result["replay_updates"] == stored.n_updates > runs[0].result["replay_updates"]

    # offline: the package's replay of the export, participants by their platform ids
    export = read_export(DATA)
    pk_of = dict(conversation.participants.values_list("anon_key", "pk"))
    votes = export.votes
    pid = np.array([pk_of[f"polis-{p}"] for p in votes["pid"].to_list()])
    excluded = [*export.rejected, *export.meta]
    log = {
        "participant": pid,
        "statement": votes["tid"].to_numpy(),
        "vote": votes["vote"].to_numpy(),
        "timestamp": votes["timestamp"].to_numpy(),
    }
    matrix = build_matrix(**log, rejected=excluded)
    expected = replay_groups(
        participant=log["participant"],
        statement=log["statement"],
        vote=log["vote"],
        timestamp=log["timestamp"],
        excluded=excluded,
        matrix=matrix,
        interval_ms=window,
        seed=conversation.analysis_seed,
    )
    assert len(expected.groups) >= 2
    assert _membership(runs[-1]) == [g.members for g in expected.groups]
    positions = runs[-1].result["positions"]
    for row, participant in enumerate(matrix.participant_ids.tolist()):
        if expected.labels[row] >= 0:
            assert positions[str(participant)]["group"] == int(expected.labels[row])


@pytest.mark.slow
@pytest.mark.django_db
def test_a_new_code_version_or_the_rebuild_command_replays_from_the_first_vote() -> None:
    conversation = _imported()
    first = analysis_run(conversation_id=conversation.pk)
    AnalysisReplay.objects.filter(conversation=conversation).update(version="old", n_updates=0)
    again = analysis_run(conversation_id=conversation.pk)
    assert again.result == first.result | {"replay_updates": first.result["replay_updates"]}
    stored = AnalysisReplay.objects.get(conversation=conversation)
    assert stored.n_updates == first.result["replay_updates"] > 0
    # no new votes: a run steps nothing and changes nothing
    assert analysis_run(conversation_id=conversation.pk).result == first.result
    call_command("forum_replay_rebuild", conversation.slug)
    assert AnalysisReplay.objects.get(conversation=conversation).n_updates == stored.n_updates
    assert AnalysisRun.objects.filter(conversation=conversation).latest().result == first.result


@pytest.mark.django_db
def test_moderation_after_the_state_reaches_the_groups_of_the_next_run() -> None:
    conversation = make_conversation()
    fill(conversation, people=20)
    before = analysis_run(conversation_id=conversation.pk)
    assert before.result["grouping"] == "replay"
    statement = conversation.statements.get(number=1)
    statement_moderate(
        actor=UserFactory.create(), statement=statement, status=Statement.Status.REJECTED
    )
    fill(conversation, people=4, seed=2)
    run = analysis_run(conversation_id=conversation.pk)
    assert run.result["replay_updates"] > before.result["replay_updates"]
    assert run.result["moderation"]["rejected"].count(statement.number) == 1
    assert str(statement.number) not in run.result["extremity"]
