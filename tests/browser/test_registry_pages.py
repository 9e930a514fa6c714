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
    from whatworks.registry.services.projects import project_withdraw

    project = registered_project()
    project_withdraw(actor=editor(), project=project, reason="The partner left.")
    visit(f"/research/{project.reference}/")
    assert "The partner left." in page.locator("main").inner_text()
    visit("/research/?status=withdrawn")
    from datetime import timedelta

    from django.utils import timezone

    stub = registered_project(embargo_until=timezone.localdate() + timedelta(days=30))
    visit(f"/research/{stub.reference}/")
    assert "Under embargo" in page.locator("main").inner_text()


def test_a_researcher_drafts_and_registers_in_the_browser(
    visit: Any, page: Any, sign_in: Any
) -> None:
    author = UserFactory.create(email="rae@example.test", roles=frozenset({Role.RESEARCHER}))
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
    assert "The protocol as it will be registered" in page.locator("main").inner_text()
    page.get_by_role("button", name="Register").click()
    project.refresh_from_db()
    assert ref.startswith("DRAFT-") and project.reference.startswith("WWC-")
    ref = project.reference  # the identifier comes with the registration
    page.wait_for_url(f"**/research/{ref}/v1/")
    assert_accessible(page)
    visit(f"/research/{ref}/")
    visit(f"/research/{ref}/results/import/")
    page.get_by_label("Result bundle (JSON)").fill("{not json")
    page.get_by_role("button", name="Import as draft results").click()
    page.wait_for_load_state()
    assert "not valid JSON" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_a_researcher_deletes_a_draft(visit: Any, page: Any, sign_in: Any) -> None:
    author = UserFactory.create(email="dee@example.test", roles=frozenset({Role.RESEARCHER}))
    project = draft_project(author=author)
    sign_in("dee@example.test", PASSWORD)
    visit(f"/research/{project.reference}/")
    page.get_by_role("link", name="Delete this draft").click()
    page.wait_for_load_state()
    visit(f"/research/{project.reference}/delete/")
    page.get_by_role("button", name="Delete the draft for good").click()
    page.wait_for_url("**/research/workspace/")
    assert "is deleted" in page.locator("body").inner_text()
    registered = registered_project(author=author)
    visit(f"/research/{registered.reference}/delete/")
    assert "cannot be deleted" in page.locator("main").inner_text()


def test_a_request_is_asked_queued_and_decided(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible

    author = UserFactory.create(email="ria@example.test", roles=frozenset({Role.RESEARCHER}))
    UserFactory.create(email="eli@example.test", roles=frozenset({Role.EDITOR}))
    project = registered_project(author=author, published=False)
    ref = project.reference
    sign_in("ria@example.test", PASSWORD)
    visit(f"/research/{ref}/")
    assert "Who can do what" in page.locator("main").inner_text()
    visit(f"/research/{ref}/ask/publish/")
    page.get_by_role("button", name="Send the request to the editors").click()
    page.wait_for_url(f"**/research/{ref}/")
    visit(f"/research/{ref}/ask/withdraw/")
    page.get_by_role("button", name="Send the request to the editors").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.context.clear_cookies()
    sign_in("eli@example.test", PASSWORD)
    from whatworks.registry.models import ProjectRequest

    visit("/research/requests/")
    assert ref in page.locator("main").inner_text()
    visit(ProjectRequest.objects.get(project=project).get_absolute_url())
    page.get_by_label("Decline").check()
    page.get_by_label("Reason for your decision").fill("Add the analysis plan first.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/research/requests/")
    assert "Add the analysis plan first." in page.locator("main").inner_text()
    assert_accessible(page)


def test_the_review_page_and_the_draft_form_explain(visit: Any, page: Any, sign_in: Any) -> None:
    author = UserFactory.create(email="rev@example.test", roles=frozenset({Role.RESEARCHER}))
    project = draft_project(author=author)
    sign_in("rev@example.test", PASSWORD)
    visit(f"/research/{project.reference}/protocol/draft/")
    assert "Met when the whole interval" in page.locator("main").inner_text()
    page.get_by_role("button", name="Save and review for registration").click()
    page.wait_for_url(f"**/research/{project.reference}/protocol/register/")
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    assert "Review for registration" in page.locator("h1").inner_text()


def test_an_editor_sees_drafts_and_the_withdraw_form(visit: Any, page: Any, sign_in: Any) -> None:
    UserFactory.create(email="eden@example.test", roles=frozenset({Role.EDITOR}))
    project = project_with_results(publish_results=False, published=False)
    sign_in("eden@example.test", PASSWORD)
    visit("/research/workspace/")
    visit(f"/research/{project.reference}/")
    page.get_by_role("button", name="Publish on the register").click()
    page.wait_for_load_state()
    visit(f"/research/{project.reference}/results/")
    assert "Draft" in page.locator("main").inner_text()
    visit(f"/research/{project.reference}/withdraw/")


def test_withdrawing_a_project_with_results_warns(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible

    UserFactory.create(email="ewan@example.test", roles=frozenset({Role.EDITOR}))
    project = project_with_results()
    sign_in("ewan@example.test", PASSWORD)
    visit(f"/research/{project.reference}/withdraw/")
    page.get_by_label("Reason for withdrawal").fill("The partner left.")
    page.get_by_role("button", name="Withdraw the project").click()
    page.wait_for_load_state()
    assert "stay public on the tombstone" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("I understand that the published results stay public").check()
    page.get_by_role("button", name="Withdraw the project").click()
    page.wait_for_url(f"**/research/{project.reference}/")
    assert "Withdrawn on" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="The results against protocol v1").is_visible()


def test_a_researcher_enters_corrects_and_manages_the_team(
    visit: Any, page: Any, sign_in: Any
) -> None:
    from tests.browser.axe import assert_accessible
    from tests.calls.factories import make_call
    from tests.registry.factories import editor
    from whatworks.registry.models import ResultsReport
    from whatworks.registry.services.results import results_publish

    author = UserFactory.create(email="ren@example.test", roles=frozenset({Role.RESEARCHER}))
    UserFactory.create(email="newcomer@example.test", roles=frozenset({Role.RESEARCHER}))
    project = registered_project(author=author)
    ref = project.reference
    make_call(project_ref=ref, title="Partners for the conference trial")
    sign_in("ren@example.test", PASSWORD)
    visit(f"/research/{ref}/")
    assert "Partners for the conference trial" in page.locator("main").inner_text()

    visit(f"/research/{ref}/results/enter/")
    page.get_by_label("Estimate").first.fill("0.1")
    page.get_by_label("Interval: lower end").first.fill("0.2")
    page.get_by_label("Interval: upper end").first.fill("0.3")
    page.get_by_role("button", name="Save as draft results").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").inner_text()
    assert "is above the estimate" in alert and "Proceedings issued: give the estimate" in alert
    assert_accessible(page)
    page.get_by_label("Estimate").first.fill("-0.06")
    page.get_by_label("Interval: lower end").first.fill("-0.1")
    page.get_by_label("Interval: upper end").first.fill("-0.02")
    page.get_by_label("Not reported").nth(1).check()
    page.get_by_role("button", name="Save as draft results").click()
    page.wait_for_url(f"**/research/{ref}/results/1/")
    assert "left unreported" in page.locator("main").inner_text()
    assert_accessible(page)

    results_publish(actor=editor(), report=ResultsReport.objects.get(project=project))
    visit(f"/research/{ref}/results/correct/")
    page.get_by_label("Why do the results need correcting?").fill("Proceedings were found.")
    page.get_by_role("button", name="Start the correction").click()
    page.wait_for_url(f"**/research/{ref}/results/2/")
    assert "Correction r2" in page.locator("main").inner_text()
    assert_accessible(page)
    visit(f"/research/{ref}/results/correct/")  # with a draft: offers to discard it
    page.get_by_role("button", name="Discard draft correction r2").click()
    page.wait_for_url(f"**/research/{ref}/results/1/")
    assert "discarded" in page.locator("main").inner_text()
    visit(f"/research/{ref}/results/correct/")
    page.get_by_label("Why do the results need correcting?").fill("Proceedings were found.")
    page.get_by_role("button", name="Start the correction").click()
    page.wait_for_url(f"**/research/{ref}/results/2/")
    visit(f"/research/{ref}/results/enter/")
    results_publish(actor=editor(), report=ResultsReport.objects.get(project=project, number=2))
    visit(f"/research/{ref}/results/")
    assert "History of these results" in page.locator("main").inner_text()
    visit(f"/research/{ref}/results/1/")
    assert "Superseded" in page.locator("main").inner_text()

    visit(f"/research/{ref}/team/")
    page.get_by_label("E-mail address of the researcher to add").fill("nobody@example.test")
    page.get_by_role("button", name="Add to the team").click()
    page.wait_for_load_state()
    assert "researcher role" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("E-mail address of the researcher to add").fill("newcomer@example.test")
    page.get_by_role("button", name="Add to the team").click()
    page.wait_for_load_state()
    assert "newcomer@example.test" in page.locator("main").inner_text()
    assert_accessible(page)


def test_an_editor_corrects_published_results(visit: Any, page: Any, sign_in: Any) -> None:
    UserFactory.create(email="edie@example.test", roles=frozenset({Role.EDITOR}))
    project = project_with_results()
    sign_in("edie@example.test", PASSWORD)
    visit(f"/research/{project.reference}/results/")
    page.get_by_role("link", name="Correct these results").click()
    page.wait_for_load_state()
    visit(f"/research/{project.reference}/results/correct/")
    page.get_by_role("button", name="Start the correction").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
