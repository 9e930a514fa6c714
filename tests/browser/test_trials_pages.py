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
    author = UserFactory(email="tia@example.test", roles=frozenset({Role.RESEARCHER}))
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
