"""Every kind of research registry page in a real browser, with the axe check."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.registry.factories import (
    draft_project,
    project_with_results,
    registered_project,
)
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_pages_of_a_reported_and_amended_project(visit: Any, page: Any) -> None:
    project = project_with_results(amended=True)
    ref = project.reference
    visit("/research/")
    assert page.get_by_role("link", name=project.title).is_visible()
    visit("/research/?verdict=inconclusive&type=randomised-trial&q=family")
    assert page.get_by_role("link", name=project.title).is_visible()
    visit("/research/?status=nonsense")
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    visit(f"/research/{ref}/")
    visit(f"/research/{ref}/v1/")
    assert "superseded" in page.locator("main").inner_text()
    visit(f"/research/{ref}/v2/")
    assert ref + " v2" in page.locator(".citation").inner_text()
    visit(f"/research/{ref}/diff/")
    assert "Outcome or criterion changed" in page.locator("main").inner_text()
    visit(f"/research/{ref}/diff/?from=2&to=1")
    visit(f"/research/{ref}/results/")
    assert "We cannot yet say whether it worked" in page.locator("main").inner_text()
    visit("/research/overdue/")


def test_tombstone_and_overdue_list(visit: Any, page: Any) -> None:
    from tests.registry.factories import editor
    from whatworks.registry.services import project_withdraw

    project = registered_project()
    project_withdraw(actor=editor(), project=project, reason="The partner left.")
    visit(f"/research/{project.reference}/")
    assert "The partner left." in page.locator("main").inner_text()
    visit("/research/?status=withdrawn")


def test_a_researcher_drafts_and_registers_in_the_browser(
    visit: Any, page: Any, sign_in: Any
) -> None:
    author = UserFactory(email="rae@example.test", roles=frozenset({Role.RESEARCHER}))
    sign_in("rae@example.test", PASSWORD)
    visit("/research/workspace/")
    visit("/research/new/")
    page.get_by_role("button", name="Create the project").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    project = draft_project(author=author)
    ref = project.reference
    visit(f"/research/{ref}/edit/")
    visit(f"/research/{ref}/protocol/draft/")
    visit(f"/research/{ref}/protocol/register/")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"**/research/{ref}/v1/")
    assert_accessible(page)
    visit(f"/research/{ref}/")
    visit(f"/research/{ref}/results/import/")
    page.get_by_label("Result bundle (JSON)").fill("{not json")
    page.get_by_role("button", name="Import as draft results").click()
    page.wait_for_load_state()
    assert "not valid JSON" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_an_editor_sees_drafts_and_the_withdraw_form(visit: Any, page: Any, sign_in: Any) -> None:
    UserFactory(email="eden@example.test", roles=frozenset({Role.EDITOR}))
    project = project_with_results(publish_results=False, published=False)
    sign_in("eden@example.test", PASSWORD)
    visit("/research/workspace/")
    visit(f"/research/{project.reference}/")
    page.get_by_role("button", name="Publish on the register").click()
    page.wait_for_load_state()
    visit(f"/research/{project.reference}/results/")
    assert "Draft" in page.locator("main").inner_text()
    visit(f"/research/{project.reference}/withdraw/")
