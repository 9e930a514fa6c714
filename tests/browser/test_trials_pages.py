"""The trial analysis plan and power pages in a real browser, with the axe check (issue #18)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.registry.factories import draft_project
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_researcher_sets_the_plan_and_works_out_power(
    visit: Any, page: Any, sign_in: Any
) -> None:
    author = UserFactory.create(email="tia@example.test", roles=frozenset({Role.RESEARCHER}))
    project = draft_project(author=author)
    sign_in("tia@example.test", PASSWORD)
    ref = project.reference
    visit(f"/research/{ref}/protocol/power/")
    visit(f"/research/{ref}/protocol/power/?question=mdes&alpha=0.05&sides=2")
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    visit(
        f"/research/{ref}/protocol/power/?question=mdes&alpha=0.05&sides=2&power=0.8"
        "&clusters=40&cluster_size=25&icc=0.2&p_treated=0.5&r2=0"
    )
    assert "Minimum detectable effect 0.438 SD" in page.locator("main").inner_text()
    visit(f"/research/{ref}/protocol/analysis-plan/")
    page.get_by_label("Arm column").fill("arm")
    page.get_by_label("Treatment value").fill("fgc")
    page.get_by_label("Control value").fill("usual")
    page.get_by_label("Outcome column").fill("entered care")
    page.get_by_role("button", name="Save and review for registration").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert "outcome column: Use the column" in alert
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    page.get_by_label("Outcome column").fill("entered_care")
    page.get_by_label("Effect size to report").select_option("risk_difference")
    page.get_by_label("Type of outcome").select_option("binary")
    page.get_by_role("button", name="Save and review for registration").click()
    page.wait_for_load_state()
    assert "Trial analysis plan" in page.locator("main").inner_text()
    assert "entered_care" in page.locator("main").inner_text()


@pytest.fixture
def _registered_rows_lifted(transactional_db: Any) -> Any:
    from tests.registry.trial_factories import lift_registry_guard

    yield
    lift_registry_guard()


@pytest.mark.usefixtures("_registered_rows_lifted")
def test_the_team_uploads_trial_data_analyses_it_and_links_the_evidence_store(
    visit: Any, page: Any, sign_in: Any, tmp_path: Any
) -> None:
    from tests.evidence import factories as evidence
    from tests.registry.trial_factories import trial_csv, trial_project
    from whatworks.registry import trial_tasks
    from whatworks.registry.models import TrialAnalysis, TrialDataset

    evidence.intervention(slug="family-group-conferences", name="Family group conferences")
    author = UserFactory.create(email="tia@example.test", roles=frozenset({Role.RESEARCHER}))
    project = trial_project(author=author)
    sign_in("tia@example.test", PASSWORD)
    ref = project.reference
    visit(f"/research/{ref}/trial-data/")
    page.get_by_label("Trial data (CSV)").set_input_files(str(trial_csv(tmp_path)))
    page.get_by_label("Identifier column").fill("child")
    page.get_by_role("button", name="Check and upload").click()
    page.wait_for_load_state()
    dataset = TrialDataset.objects.get()
    assert "Waiting to be checked" in page.locator("main").inner_text()
    trial_tasks.trial_dataset_check.call(str(dataset.pk), str(dataset.task_record_id))
    visit(dataset.get_absolute_url())
    assert "Passed every check and stored" in page.locator("main").inner_text()
    page.get_by_role("button", name="Run the registered analysis plan").click()
    page.wait_for_load_state()
    analysis = TrialAnalysis.objects.get()
    trial_tasks.trial_analysis_run.call(str(analysis.pk), str(analysis.task_record_id))
    visit(dataset.get_absolute_url())
    assert "results r1, filled from this analysis" in page.locator("main").inner_text()
    page.get_by_role("button", name="Delete these data now").click()
    page.wait_for_load_state()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)  # the confirmation page names the rows
    assert "600 pseudonymised rows" in page.locator("main").inner_text()
    visit(f"/research/{ref}/evidence-link/")
    page.get_by_label("Evidence Store intervention this trial evaluates").select_option(
        "family-group-conferences"
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Choose the outcome domain" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Outcome domain of “Entry to care”").select_option("entering-care")
    page.get_by_label("Which way is better for “Entry to care”").select_option("lower")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "family-group-conferences" in page.locator("main").inner_text()
