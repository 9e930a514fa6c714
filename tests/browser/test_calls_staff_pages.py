"""The staff's call pages, the reviewers' and deciders' pages and the applicant's account
pages in a real browser: axe and the phone-width checks on each (``visit``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from tests.browser.axe import assert_accessible
from tests.calls.factories import make_call, scored, submitted_application
from tests.factories import PASSWORD, UserFactory
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_files(settings: Settings, tmp_path: Path) -> None:
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"


def _as_editor(sign_in: Any, page: Any) -> None:
    page.set_default_timeout(60_000)  # the shared machine is loaded
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
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
    UserFactory.create(
        email="rae@example.test", full_name="Rae Reviewer", roles=frozenset({Role.RESEARCHER})
    )
    UserFactory.create(
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


def test_an_editor_decides_in_bulk_with_feedback(sign_in: Any, visit: Any, page: Any) -> None:
    call = make_call()
    for _ in range(2):
        scored(submitted_application(call), 4)
    _as_editor(sign_in, page)
    visit(f"/calls/{call.slug}/review/")
    for box in page.get_by_label("Choose").all():
        box.check()
    page.get_by_label("Decision").select_option("shortlisted")
    page.get_by_label("Feedback to the applicant").fill("A strong data plan.")
    page.get_by_role("button", name="Decide on the chosen applications").click()
    page.wait_for_load_state()
    assert "Shortlist 2 applications?" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Shortlist and e-mail the applicants").click()
    page.wait_for_load_state()
    assert "2 applicants have been told" in page.locator("main").inner_text()


def test_someone_new_makes_an_account_asks_to_join_and_a_member_approves(
    visit: Any, page: Any, sign_in: Any
) -> None:
    from urllib.parse import urlsplit

    from django.core import mail

    from tests.calls.factories import eligibility_call, screening_question
    from tests.factories import OrganisationFactory

    page.set_default_timeout(60_000)
    organisation = OrganisationFactory.create(name="Leeds City Council")
    UserFactory.create(email="member@example.test", organisation=organisation)
    call = eligibility_call()
    visit("/calls/account/new/")
    page.get_by_label("Full name").fill("Jo Bloggs")
    page.get_by_label("E-mail address").fill("jo@example.test")
    page.get_by_label("Your organisation").select_option(label="Leeds City Council")
    page.get_by_role("button", name="E-mail me a link to finish").click()
    page.wait_for_url("**/calls/account/new/sent/")
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/calls/account/" in line)
    visit(urlsplit(link.strip()).path)
    page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
    page.get_by_label("Password again").fill("a long enough passphrase 42")
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_url("**/calls/account/organisation/")
    assert "You asked to join Leeds City Council" in page.locator("main").inner_text()
    assert_accessible(page)
    visit("/calls/account/organisation/")
    page.context.clear_cookies()
    sign_in("member@example.test", PASSWORD)
    visit("/calls/organisation-requests/")
    page.get_by_role("button", name="Approve Jo Bloggs").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Approve and e-mail them").click()
    page.wait_for_load_state()
    assert "Jo Bloggs now belongs to Leeds City Council" in page.locator("main").inner_text()
    page.context.clear_cookies()
    sign_in("jo@example.test", "a long enough passphrase 42")
    visit(f"/calls/{call.slug}/apply/eligibility/")
    question = screening_question(call)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Go on to the application").click()
    page.wait_for_load_state()
    assert "not open to you" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Go on to the application").click()
    page.wait_for_url(f"**/calls/{call.slug}/apply/")
    assert question.label not in page.locator("main").inner_text()


def test_an_applicant_changes_and_withdraws_a_submitted_application(
    visit: Any, page: Any, sign_in: Any
) -> None:
    page.set_default_timeout(60_000)
    application = submitted_application()
    application.applicant.set_password(PASSWORD)
    application.applicant.save()
    sign_in(application.applicant.email, PASSWORD)
    visit(f"/calls/{application.call.slug}/apply/")
    assert "Already attached:" in page.locator("main").inner_text()
    page.get_by_label("Lead contact").fill("Sam Smith")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/calls/applications/{application.pk}/")
    assert "Sam Smith" in page.locator("main").inner_text()
    page.get_by_role("button", name="Withdraw the application").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw the application").click()
    page.wait_for_load_state()
    assert "Withdrawn" in page.locator("main").inner_text()
