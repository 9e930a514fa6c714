"""A frozen model's scores of a later extract, downloaded as CSV: by those who may see the
pilot (404 for everyone else), pseudonymised ids only, every cell spreadsheet-safe, every
download in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrganisationFactory, user_with_role
from tests.pilots.factories import analyst_of, shadow_scores_kwargs
from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.pilots.models import Pilot, ShadowScores
from whatworks.pilots.services.shadow import shadow_scores_delete_expired
from whatworks.pilots.services.storage import data_root

pytestmark = pytest.mark.django_db

ROWS = {
    "referral_id": ["r-7f3a", "=HYPERLINK(1)", "r-0b21"],
    "decision_date": [date(2026, 3, 2), date(2026, 3, 9), date(2026, 4, 1)],
    "score": [0.81, 0.12, 0.4],
    "flag": [True, False, True],
    "model": ["abc123def456"] * 3,
    # a column the file may hold but the download never shows
    "child_id": ["c-1", "c-2", "c-3"],
}


def _scores_with_file() -> ShadowScores:
    ids = shadow_scores_kwargs()
    scores = ShadowScores.objects.select_related("model__pilot").get(pk=str(ids["scores_id"]))
    relative = f"{scores.model.pilot_id}/scores/{scores.pk}.parquet"
    path = data_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(ROWS).write_parquet(path)
    scores.path = relative
    scores.scored_at = scores.created_at
    scores.delete_after = date(2027, 3, 1)
    scores.save()
    return scores


def _url(scores: ShadowScores) -> str:
    return reverse(
        "pilots:shadow_scores_download",
        kwargs={"pilot_id": scores.model.pilot_id, "scores_id": scores.pk},
    )


def _people(pilot: Pilot) -> dict[str, tuple[Any, bool]]:
    researcher = pilot.project.team.get()
    return {
        "own LA analyst": (analyst_of(pilot), True),
        "named researcher": (researcher, True),
        "other LA analyst": (
            user_with_role(Role.LA_ANALYST, organisation=OrganisationFactory.create()),
            False,
        ),
        "other researcher": (user_with_role(Role.RESEARCHER), False),
        "editor": (user_with_role(Role.EDITOR), False),
        "admin": (user_with_role(Role.ADMIN), False),
        "own org, no analyst role": (user_with_role(None, organisation=pilot.organisation), False),
    }


def test_who_may_download_the_scores_is_who_may_see_the_shadow_page() -> None:
    scores = _scores_with_file()
    pilot = scores.model.pilot
    shadow = reverse("pilots:shadow", kwargs={"pilot_id": pilot.pk})
    for who, (user, sees) in _people(pilot).items():
        client = Client()
        client.force_login(user)
        page = client.get(shadow)
        download = client.get(_url(scores))
        assert page.status_code == (200 if sees else 404), who
        assert download.status_code == page.status_code, who
        if sees:
            assert _url(scores) in page.content.decode(), who
    downloads = AuditEntry.objects.filter(action=AuditAction.PILOT_SHADOW_SCORES_DOWNLOADED)
    assert downloads.count() == 2
    assert set(downloads.values_list("object_id", flat=True)) == {str(scores.pk)}
    visitor = Client().get(_url(scores))
    assert visitor.status_code == 302 and reverse("core:login") in visitor["Location"]


def test_the_csv_holds_the_scores_columns_only_and_is_safe_in_a_spreadsheet(
    client: Client,
) -> None:
    scores = _scores_with_file()
    analyst = analyst_of(scores.model.pilot)
    client.force_login(analyst)
    response = client.get(_url(scores))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="shadow-scores-{scores.pk}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["referral_id", "decision_date", "score", "flag", "model"],
        ["r-7f3a", "2026-03-02", "0.81", "true", "abc123def456"],
        ["'=HYPERLINK(1)", "2026-03-09", "0.12", "false", "abc123def456"],
        ["r-0b21", "2026-04-01", "0.4", "true", "abc123def456"],
    ]
    assert "c-1" not in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.PILOT_SHADOW_SCORES_DOWNLOADED)
    assert entry.actor == analyst and entry.changes == {"rows": 3}


def test_deleted_or_unknown_scores_are_404(client: Client) -> None:
    scores = _scores_with_file()
    client.force_login(analyst_of(scores.model.pilot))
    other = reverse(
        "pilots:shadow_scores_download",
        kwargs={"pilot_id": scores.model.pilot_id, "scores_id": scores.model.pk},
    )
    assert client.get(other).status_code == 404
    assert shadow_scores_delete_expired(today=date(2027, 3, 1)) == 1
    assert client.get(_url(scores)).status_code == 404
    page = client.get(reverse("pilots:shadow", kwargs={"pilot_id": scores.model.pilot_id}))
    assert _url(scores) not in page.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.PILOT_SHADOW_SCORES_DOWNLOADED).exists()
