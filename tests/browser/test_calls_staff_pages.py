"""The staff's call pages, the reviewers' and deciders' pages and the applicant's account
pages in a real browser: axe and the phone-width checks on each (``visit``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.calls.factories import make_call, scored, submitted_application
from tests.factories import PASSWORD, UserFactory
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"


def _as_editor(sign_in: Any, page: Any) -> None:
    page.set_default_timeout(60_000)  # the shared machine is loaded
    UserFactory(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed@example.test", PASSWORD)


def test_an_editor_sets_up_a_call(sign_in: Any, visit: Any, page: Any) -> None:
    _as_editor(sign_in, page)
    call = make_call(title="Pilot sites")
    visit("/calls/staff/")
    visit("/calls/staff/new/")
    page.get_by_role("button", name="Save the call").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    visit(f"/calls/staff/{call.slug}/")
    visit(f"/calls/staff/{call.slug}/questions/")
    page.get_by_label("Question", exact=True).fill("Social workers in post")
    page.get_by_label("Kind", exact=True).select_option("number")
    page.get_by_role("button", name="Add the question").click()
    page.wait_for_load_state()
    assert "was added" in page.locator("main").inner_text()
    question = call.questions.get(label="Social workers in post")
    visit(f"/calls/staff/{call.slug}/questions/{question.pk}/")
    visit(f"/calls/staff/{call.slug}/criteria/")
    page.get_by_label("Criterion", exact=True).fill("Fidelity")
    page.get_by_label("Weight", exact=True).fill("2")
    page.get_by_role("button", name="Add the criterion").click()
    page.wait_for_load_state()
    assert "50%" in page.locator("main").inner_text()  # 2 of the weights 1, 1 and 2
    criterion = call.criteria.get(label="Fidelity")
    visit(f"/calls/staff/{call.slug}/criteria/{criterion.pk}/")


def test_an_editor_assigns_a_reviewer_who_scores_corrects_and_another_declares_a_conflict(
    sign_in: Any, visit: Any, page: Any
) -> None:
    application = scored(submitted_application(), 4)
    UserFactory(
        email="rae@example.test", full_name="Rae Reviewer", roles=frozenset({Role.RESEARCHER})
    )
    UserFactory(
        email="cal@example.test", full_name="Cal Conflict", roles=frozenset({Role.RESEARCHER})
    )
    _as_editor(sign_in, page)
    visit(f"/calls/applications/{application.pk}/")
    page.get_by_label("Reviewer").select_option(label="Rae Reviewer (rae@example.test)")
    page.get_by_role("button", name="Assign the reviewer").click()
    page.wait_for_load_state()
    assert "Rae Reviewer is assigned" in page.locator("main").inner_text()
    assert_accessible(page)
    page.context.clear_cookies()
    sign_in("rae@example.test", PASSWORD)
    visit(f"/calls/applications/{application.pk}/")
    for criterion in application.call.criteria.all():
        page.get_by_label(criterion.label).fill("1")
    page.get_by_role("button", name="Save my scores").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "Reviewers disagree" in text  # 80 and 20
    for criterion in application.call.criteria.all():
        page.get_by_label(criterion.label).fill("3")
    page.get_by_role("button", name="Save my corrected scores").click()
    page.wait_for_load_state()
    assert "corrected scores are saved" in page.locator("main").inner_text()
    assert "Reviewers disagree" not in page.locator("main").inner_text()  # 80 and 60
    visit(f"/calls/{application.call.slug}/review/")
    page.context.clear_cookies()
    sign_in("cal@example.test", PASSWORD)
    visit(f"/calls/applications/{application.pk}/")
    page.get_by_text("Declare a conflict of interest").click()
    page.get_by_label("What is the conflict?").fill("I worked there until 2024.")
    page.get_by_role("button", name="Declare the conflict").click()
    page.wait_for_url(f"**/calls/{application.call.slug}/review/")
    assert "conflict of interest is recorded" in page.locator("main").inner_text()
    assert_accessible(page)
