from __future__ import annotations

import pytest

from tests.fixturetypes import MakeUser
from whatworks.core.models import AuditEntry
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import RatingChange, SearchEntry, Synthesis
from whatworks.evidence.scales import RULES_VERSION
from whatworks.evidence.services import store

from .factories import finding, intervention, rating, study

pytestmark = pytest.mark.django_db


def test_creating_an_intervention_is_audited_and_indexed() -> None:
    made = intervention(name="Family group conferences")
    entry = AuditEntry.objects.get(action="evidence.intervention_created")
    assert entry.object_id == str(made.pk) and entry.changes["name"]["after"] == made.name
    assert SearchEntry.objects.get(intervention=made).published is True


def test_invalid_data_raises_a_domain_error() -> None:
    with pytest.raises(EvidenceError):
        intervention(cost_band="priceless")


def test_a_published_stable_id_cannot_change() -> None:
    made = intervention()
    with pytest.raises(EvidenceError, match="stable id"):
        store.intervention_update(actor=None, intervention=made, data={"slug": "new-id"})


def test_first_rating_records_version_rater_and_changelog(make_user: MakeUser) -> None:
    editor = make_user(None, full_name="Eve Editor")
    made = intervention()
    saved = store.rating_set(
        actor=editor,
        intervention=made,
        domain="parenting",
        effectiveness="small-benefit",
        effectiveness_reason="A little better.",
        strength="3-moderate",
        strength_reason="One good trial.",
        departure_reason="no findings are entered yet.",
    )
    assert saved.rules_version == RULES_VERSION and saved.rated_by_label == "Eve Editor"
    change = RatingChange.objects.get()
    assert change.effectiveness_before == "" and change.note == "First rating."
    assert AuditEntry.objects.filter(action="evidence.rating_set", object_id=str(made.pk)).exists()


def test_changing_a_rating_needs_a_note_and_is_logged() -> None:
    made = intervention()
    rating(made)
    with pytest.raises(EvidenceError, match="note is required"):
        rating(made, strength="3-moderate")
    rating(made, strength="3-moderate", note="A new UK trial was published.")
    latest = RatingChange.objects.filter(intervention=made).first()
    assert latest is not None
    assert (latest.strength_before, latest.strength_after) == ("2-limited", "3-moderate")
    assert latest.note == "A new UK trial was published."


def test_rewording_a_reason_needs_no_note() -> None:
    made = intervention()
    rating(made)
    rating(made, effectiveness_reason="Reworded.")
    assert RatingChange.objects.filter(intervention=made).count() == 1


def test_findings_are_computed_and_pooled_per_domain_measure_and_direction() -> None:
    made = intervention()
    first, second = study(made), study(made)
    finding(first)
    finding(second, mean_treatment=11.0)
    finding(second, prespecified=False, mean_treatment=20.0)  # exploratory: not pooled
    finding(
        first,
        domain="entering-care",
        measure_type="RR",
        events_treatment=10,
        events_control=20,
        higher_is_better=False,
    )
    pooled = {(s.domain, s.measure_type): s for s in Synthesis.objects.filter(intervention=made)}
    assert set(pooled) == {("parenting", "SMD"), ("entering-care", "RR")}
    assert pooled[("parenting", "SMD")].k == 2
    assert pooled[("parenting", "SMD")].results["REML"]["estimate"] > 0
    assert pooled[("entering-care", "RR")].results["REML"]["exp_estimate"] == pytest.approx(0.5)


def test_bad_statistics_are_refused() -> None:
    target = study(intervention())
    with pytest.raises(EvidenceError, match="sd_treatment"):
        finding(target, sd_treatment=0.0)


def test_updating_a_finding_recomputes_and_audits() -> None:
    target = study(intervention())
    made = finding(target)
    before = made.effect_size
    store.finding_update(actor=None, finding=made, data={"mean_treatment": 12.0})
    assert made.effect_size > before
    assert AuditEntry.objects.filter(action="evidence.finding_changed").exists()


def test_moving_a_study_refreshes_both_interventions() -> None:
    old, new = intervention(), intervention()
    target = study(old)
    finding(target)
    store.study_update(actor=None, study=target, data={"intervention": new})
    assert not Synthesis.objects.filter(intervention=old).exists()
    assert Synthesis.objects.filter(intervention=new).exists()
