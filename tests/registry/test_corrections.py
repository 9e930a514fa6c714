"""Corrections of published results: a new report supersedes, nothing published changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import (
    amend,
    bundle,
    editor,
    project_with_results,
    researcher,
)
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ResultsReport
from whatworks.registry.services.projects import project_withdraw
from whatworks.registry.services.results import (
    results_correct,
    results_correction_discard,
    results_import_bundle,
    results_publish,
    results_save,
)

pytestmark = pytest.mark.django_db

REASON = "The proceedings figure double-counted siblings."


def _published(project: Project) -> ResultsReport:
    return ResultsReport.objects.get(project=project, number=1)


def _corrected(author: Any = None, **kwargs: Any) -> tuple[Project, ResultsReport, ResultsReport]:
    author = author or researcher()
    project = project_with_results(author=author, **kwargs)
    old = _published(project)
    correction = results_correct(actor=author, report=old, justification=REASON)
    fixed = bundle(project.versions.count())
    fixed["results"][0]["upper"] = 0.01  # the interval now straddles 0: inconclusive
    results_import_bundle(actor=author, project=project, bundle=fixed)
    correction = results_publish(actor=editor(), report=correction)
    return project, old, correction


def test_a_correction_supersedes_without_changing_the_published_row() -> None:
    author = researcher()
    project = project_with_results(author=author)
    old = _published(project)
    snapshot = ResultsReport.objects.filter(pk=old.pk).values().get()
    correction = results_correct(actor=author, report=old, justification=f"  {REASON} ")
    assert (correction.number, correction.corrects, correction.justification) == (2, old, REASON)
    assert correction.published_at is None
    assert correction.results == old.results and correction.protocol_version == old.protocol_version
    assert old.superseding() is None  # a draft supersedes nothing yet
    assert project.results == old  # the public still sees the published results
    results_publish(actor=editor(), report=correction)
    assert ResultsReport.objects.filter(pk=old.pk).values().get() == snapshot
    assert _published(project).superseding() == correction
    assert project.results == correction
    actions = AuditEntry.objects.filter(object_id=str(correction.pk)).values_list(
        "action", flat=True
    )
    assert {"registry.results_correction_started", "registry.results_published"} <= set(actions)


def test_the_published_row_stays_guarded_by_the_database() -> None:
    _project, old, correction = _corrected()
    for report in (old, correction):
        with pytest.raises(IntegrityError), transaction.atomic():
            ResultsReport.objects.filter(pk=report.pk).update(summary="rewritten")
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM registry_resultsreport WHERE id = %s", [report.pk])


def test_a_correction_needs_a_reason_and_the_current_published_results() -> None:
    author = researcher()
    project = project_with_results(author=author)
    old = _published(project)
    with pytest.raises(RegistryError, match="Say why"):
        results_correct(actor=author, report=old, justification="  ")
    results_correct(actor=author, report=old, justification=REASON)
    with pytest.raises(RegistryError, match="already in draft"):
        results_correct(actor=author, report=old, justification=REASON)
    draft_only = project_with_results(author=author, publish_results=False)
    with pytest.raises(RegistryError, match="still a draft"):
        results_correct(
            actor=author, report=ResultsReport.objects.get(project=draft_only), justification="x"
        )


def test_only_the_current_results_can_be_corrected() -> None:
    project, old, correction = _corrected()
    author = project.team.get()
    with pytest.raises(RegistryError, match="already been corrected"):
        results_correct(actor=author, report=old, justification=REASON)
    second = results_correct(actor=editor(), report=correction, justification="Typo in n.")
    assert (second.number, second.corrects) == (3, correction)


def test_who_may_correct() -> None:
    project = project_with_results()
    old = _published(project)
    for outsider in (researcher(), user_with_role(None), user_with_role(Role.LA_ANALYST)):
        with pytest.raises(PermissionDeniedError):
            results_correct(actor=outsider, report=old, justification=REASON)
    assert results_correct(actor=editor(), report=old, justification=REASON).corrects == old


def test_a_withdrawn_project_is_not_corrected() -> None:
    project = project_with_results()
    project_withdraw(actor=editor(), project=project, reason="Stopped.", keep_results=True)
    with pytest.raises(RegistryError, match="withdrawn"):
        results_correct(actor=editor(), report=_published(project), justification=REASON)


def test_a_correction_keeps_the_protocol_version() -> None:
    author = researcher()
    project = project_with_results(author=author)
    results_correct(actor=author, report=_published(project), justification=REASON)
    amend(project, author=author)
    with pytest.raises(RegistryError, match="same protocol version"):
        results_import_bundle(actor=author, project=project, bundle=bundle(2))


def test_saving_published_results_points_to_a_correction() -> None:
    author = researcher()
    project = project_with_results(author=author)
    with pytest.raises(RegistryError, match="Issue a correction"):
        results_save(
            actor=author,
            project=project,
            protocol_version=project.versions.get(),
            summary="",
            results=[],
        )


def test_the_pages_show_the_current_results_and_the_history(client: Any) -> None:
    project, old, correction = _corrected()
    ref = project.reference
    current = client.get(reverse("registry:results", kwargs={"reference": ref}))
    assert current.context["report"] == correction
    text = current.content.decode()
    assert "Corrects" in text and REASON in text and "History of these results" in text
    earlier = client.get(old.get_absolute_url()).content.decode()
    assert "Superseded" in earlier and f"correction r{correction.number}" in earlier
    page = client.get(reverse("registry:project", kwargs={"reference": ref})).content.decode()
    assert "1 correction" in page


def test_a_draft_correction_is_only_for_insiders(client: Any) -> None:
    author = researcher()
    project = project_with_results(author=author)
    correction = results_correct(actor=author, report=_published(project), justification=REASON)
    assert client.get(correction.get_absolute_url()).status_code == 404
    assert client.get(correction.json_url()).status_code == 404
    assert client.get(reverse("registry:results", args=[project.reference])).context[
        "report"
    ] == _published(project)
    client.force_login(author)
    assert client.get(correction.get_absolute_url()).status_code == 200
    page = client.get(reverse("registry:project", args=[project.reference])).content.decode()
    assert "Correction in draft" in page


def test_open_data_carries_the_corrections(client: Any) -> None:
    project, _old, correction = _corrected()
    rows = client.get(reverse("registry:register_json")).json()["projects"]
    row = next(r for r in rows if r["id"] == project.reference)
    assert [h["number"] for h in row["results_history"]] == [1, 2]
    assert row["results_history"][1]["corrects"] == 1
    assert row["results_history"][1]["justification"] == REASON
    assert row["verdict"] == correction.overall_verdict
    current = client.get(row["results"]).json()
    assert current["number"] == 2 and current["current"] is True
    assert current["corrects"]["number"] == 1
    assert current["correction_justification"] == REASON
    earlier = client.get(current["corrects"]["url"]).json()
    assert earlier["current"] is False and earlier["superseded_by"]["number"] == 2


def test_the_register_filters_by_the_current_verdict(client: Any) -> None:
    project, old, correction = _corrected()
    assert (old.overall_verdict, correction.overall_verdict) == ("met", "inconclusive")
    for verdict, listed in (("inconclusive", True), ("met", False)):
        response = client.get(reverse("registry:index"), {"verdict": verdict})
        assert (project in list(response.context["page"].object_list)) is listed


def test_the_correction_page(client: Any) -> None:
    author = researcher()
    project = project_with_results(author=author)
    url = reverse("registry:results_correct", kwargs={"reference": project.reference})
    client.force_login(author)
    empty = client.post(url, {"justification": ""})
    assert empty.status_code == 200 and "There is a problem" in empty.content.decode()
    response = client.post(url, {"justification": REASON})
    correction = ResultsReport.objects.get(project=project, number=2)
    assert response["Location"] == correction.get_absolute_url()
    assert "already in draft" in client.get(url).content.decode()
    client.force_login(researcher())
    assert client.get(url).status_code == 403


def test_a_draft_correction_can_be_discarded_and_the_published_results_stand(
    client: Any,
) -> None:
    author = researcher()
    project = project_with_results(author=author)
    old = _published(project)
    correction = results_correct(actor=author, report=old, justification=REASON)
    with pytest.raises(PermissionDeniedError):
        results_correction_discard(actor=researcher(), report=correction)
    with pytest.raises(RegistryError, match="still in draft"):
        results_correction_discard(actor=author, report=old)
    url = reverse("registry:results_correct", kwargs={"reference": project.reference})
    client.force_login(author)
    response = client.post(url, {"action": "discard"})
    assert response["Location"] == old.get_absolute_url()
    assert list(ResultsReport.objects.filter(project=project)) == [old]
    entry = AuditEntry.objects.get(action="registry.results_correction_discarded")
    assert entry.changes == {"number": 2, "corrects": 1}
    # Nothing left to discard; a new correction can be started.
    assert client.post(url, {"action": "discard"}).status_code == 404
    assert results_correct(actor=author, report=old, justification=REASON).number == 2
