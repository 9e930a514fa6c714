"""Background analysis: debounced recompute, moderation effects, determinism, Pol.is
import and export."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from tests.factories import UserFactory
from tests.fixturetypes import ClientFor
from tests.forum.factories import make_conversation
from tests.forum.synthetic import fill
from whatworks.core.roles import Role
from whatworks.core.tasks_support import make_worker
from whatworks.forum import analytics
from whatworks.forum.models import AnalysisRun, AnalysisState, Conversation, Statement, Vote
from whatworks.forum.services.analysis import analysis_inputs, analysis_run, replay_votes
from whatworks.forum.services.polis import conversation_export
from whatworks.forum.services.statements import statement_moderate
from whatworks.forum.services.votes import vote_cast


def _forum_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="analysis_recompute").count()


@pytest.mark.django_db(transaction=True)
def test_several_votes_queue_one_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    conversation = make_conversation()
    statements = list(conversation.statements.all())
    for i in range(4):
        user = UserFactory.create()
        for statement in statements:
            vote_cast(actor=user, conversation=conversation, statement=statement, value=1 - i % 3)
    assert Vote.objects.count() == 20
    assert _forum_tasks() == 1, "twenty votes, one queued analysis"
    task = DBTaskResult.objects.get(task_path__endswith="analysis_recompute")
    assert task.run_after > task.enqueued_at, "it runs after the debounce interval"
    # once the debounce interval has passed, a worker runs it and the flag is cleared
    DBTaskResult.objects.update(run_after=task.enqueued_at)
    make_worker(worker_id="test-worker", batch=True, interval=0).run()
    run = AnalysisRun.objects.get(conversation=conversation)
    assert run.n_votes == 20 and run.seed == conversation.analysis_seed
    assert run.code_version == analytics.ANALYTICS_VERSION
    assert not AnalysisState.objects.get(conversation=conversation).queued
    vote_cast(
        actor=UserFactory.create(), conversation=conversation, statement=statements[0], value=1
    )
    assert _forum_tasks() == 2, "a vote after the run queues the next one"


@pytest.mark.django_db
def test_rejected_and_meta_statements_leave_the_analysis() -> None:
    conversation = make_conversation()
    fill(conversation)
    editor = UserFactory.create(roles=frozenset({Role.EDITOR}))
    full = analysis_run(conversation_id=conversation.pk).result
    assert full["n_statements_analysed"] == 5
    assert len(full["analysis"]["groups"]) == 2
    assert [s["tid"] for s in full["analysis"]["consensus"]["agree"]][:1] == [4]
    statement_moderate(
        actor=editor,
        statement=conversation.statements.get(number=4),
        status=Statement.Status.REJECTED,
    )
    statement_moderate(actor=editor, statement=conversation.statements.get(number=0), is_meta=True)
    moderated = analysis_run(conversation_id=conversation.pk).result
    assert moderated["moderation"] == {"rejected": [4], "meta": [0]}
    assert moderated["n_statements_analysed"] == 3
    analysis = moderated["analysis"]
    mentioned = {
        s["tid"] for s in analysis["consensus"]["agree"] + analysis["consensus"]["disagree"]
    }
    mentioned |= {s["tid"] for items in analysis["representative"].values() for s in items}
    mentioned |= {s["tid"] for s in analysis["group_informed_consensus"]}
    assert mentioned and not mentioned & {0, 4}
    # the vote counts of the table still show every statement
    assert moderated["counts"]["4"]["n_agree"] == 40


@pytest.mark.django_db
def test_stored_analysis_is_reproducible_from_votes_moderation_and_seed() -> None:
    conversation = make_conversation()
    fill(conversation, people=30, seed=3)
    first = analysis_run(conversation_id=conversation.pk)
    again = analysis_run(conversation_id=conversation.pk)
    assert first.result == again.result
    # more votes later: the first run is still reproducible from the log up to its last vote
    fill(conversation, people=10, seed=4)
    log, numbers, rejected, meta, last, n = analysis_inputs(
        conversation=conversation, last_vote_id=first.last_vote_id
    )
    assert n == first.n_votes and last == first.last_vote_id
    # the groups: Pol.is's state replayed from the first vote to the run's last
    replay = analytics.replay_load(None, seed=first.seed)
    replayed, upto = replay_votes(conversation, upto=first.last_vote_id)
    assert upto == first.last_vote_id
    analytics.replay_step(replay, votes=replayed, excluded=[*rejected, *meta])
    rerun = analytics.run_analysis(
        votes=log, statements=numbers, rejected=rejected, meta=meta, seed=first.seed, replay=replay
    )
    assert rerun == first.result
    assert first.result["grouping"] == "replay"


@pytest.mark.django_db
def test_polis_export_import_round_trip(tmp_path: Path) -> None:
    conversation = make_conversation()
    fill(conversation, people=24)
    user = UserFactory.create()
    statement = conversation.statements.get(number=1)
    vote_cast(actor=user, conversation=conversation, statement=statement, value=1)
    vote_cast(actor=user, conversation=conversation, statement=statement, value=-1)
    editor = UserFactory.create(roles=frozenset({Role.EDITOR}))
    statement_moderate(
        actor=editor, statement=conversation.statements.get(number=3), status="rejected"
    )
    statement_moderate(actor=editor, statement=conversation.statements.get(number=2), is_meta=True)
    original = analysis_run(conversation_id=conversation.pk)
    conversation_export(actor=editor, conversation=conversation, directory=tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]
    call_command(
        "forum_import", str(tmp_path / "out"), conversation="imported", stdout=io.StringIO()
    )
    imported = Conversation.objects.get(slug="imported")
    assert list(imported.statements.values_list("number", "text", "status", "is_meta")) == list(
        conversation.statements.values_list("number", "text", "status", "is_meta")
    )
    assert imported.votes.count() == conversation.votes.count()
    copy = AnalysisRun.objects.get(conversation=imported)

    def shape(result: dict[str, Any]) -> tuple[object, ...]:
        analysis = result["analysis"]
        return (
            result["counts"],
            result["moderation"],
            sorted(len(g["members"]) for g in analysis["groups"]),
            analysis["consensus"],
            [s["tid"] for s in analysis["group_informed_consensus"]],
        )

    assert shape(copy.result) == shape(original.result)
    # and exporting the import gives the same comments and votes but for participant ids
    conversation_export(actor=None, conversation=imported, directory=tmp_path / "again")

    def rows(folder: str, name: str, drop: int) -> list[list[str]]:
        with (tmp_path / folder / name).open(newline="") as handle:
            return [row[:drop] + row[drop + 1 :] for row in csv.reader(handle)]

    assert rows("out", "comments.csv", 3) == rows("again", "comments.csv", 3)
    assert rows("out", "votes.csv", 3) == rows("again", "votes.csv", 3)


@pytest.mark.django_db
def test_export_download_is_a_zip_for_moderators(client_for: ClientFor) -> None:
    import zipfile

    conversation = make_conversation()
    fill(conversation, people=6)
    response = client_for("researcher").get(f"/forum/{conversation.slug}/export.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert f"{conversation.slug}/votes.csv" in names


@pytest.mark.django_db
def test_report_and_own_view_show_groups_and_counts(client: Client) -> None:
    conversation = make_conversation()
    fill(conversation)
    analysis_run(conversation_id=conversation.pk)
    page = client.get(f"/forum/{conversation.slug}/report/").content.decode()
    assert (
        "<svg" in page
        and '<title id="map-title">Opinion map of 40 placed participants in 2 groups' in page
    )
    assert "Group A" in page and "Group B" in page and "40 agree" not in page
    assert "40 (100%)" in page, "the statement table shows counts"
    client.cookies["forum_participant"] = ""
    mine = client.get(f"/forum/{conversation.slug}/me/").content.decode()
    assert "You have not voted" in mine


@pytest.mark.django_db
def test_own_view_places_the_participant_on_the_map(client: Client) -> None:
    conversation = make_conversation()
    fill(conversation)
    user = UserFactory.create()
    for statement in conversation.statements.all():
        value = 1 if statement.number % 2 == 0 or statement.number == 4 else -1
        vote_cast(actor=user, conversation=conversation, statement=statement, value=value)
    analysis_run(conversation_id=conversation.pk)
    client.force_login(user)
    page = client.get(f"/forum/{conversation.slug}/me/").content.decode()
    assert "You are in Group" in page and ">You</text>" in page
    assert "Your latest votes on 5 statements" in page
