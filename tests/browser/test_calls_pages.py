"""Call pages in a real browser, with axe on every page type."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests.browser.axe import assert_accessible
from tests.calls.factories import (
    account_token_kwargs,
    assign,
    make_call,
    scored,
    submitted_application,
)
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from whatworks.calls.models import Application
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_files(settings: Settings, tmp_path: Path) -> None:
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"


def test_call_pages_and_applying(visit: Any, page: Any, sign_in: Any, tmp_path: Any) -> None:
    call = make_call(title="Pilot predictive analytics in children's services")
    closed = make_call(
        opens_at=timezone.now() - timedelta(days=60), closes_at=timezone.now() - timedelta(days=1)
    )
    visit("/calls/")
    visit(f"/calls/{call.slug}/")
    visit(f"/calls/{closed.slug}/")
    UserFactory.create(email="la@example.test", organisation=OrganisationFactory.create())
    sign_in("la@example.test", PASSWORD)
    visit(f"/calls/{call.slug}/apply/")
    page.get_by_label("Lead contact").fill("Jo Bloggs")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_load_state()
    assert "draft is saved" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Submit application").click()
    page.wait_for_load_state()
    assert "Attach a file." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("Data plan").set_input_files(str(plan))
    page.get_by_role("button", name="Submit application").click()
    page.wait_for_url("**/calls/applications/*/")
    assert "Received" in page.locator("main").inner_text()
    assert_accessible(page)
    visit("/calls/applications/")


def test_review_pages(visit: Any, page: Any, sign_in: Any) -> None:
    application = submitted_application()
    rae = UserFactory.create(email="rae@example.test", roles=frozenset({Role.RESEARCHER}))
    assign(application, rae)
    sign_in("rae@example.test", PASSWORD)
    visit(f"/calls/{application.call.slug}/review/")
    visit(f"/calls/applications/{application.pk}/")
    for criterion in application.call.criteria.all():
        page.get_by_label(criterion.label).fill("4")
    page.get_by_role("button", name="Save my scores").click()
    page.wait_for_load_state()
    assert "Reviewers' scores" in page.locator("main").inner_text()
    assert_accessible(page)


def test_decision_buttons(visit: Any, page: Any, sign_in: Any) -> None:
    application = scored(submitted_application())
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed@example.test", PASSWORD)
    visit(f"/calls/applications/{application.pk}/")
    page.get_by_role("button", name="Shortlist").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation page names whom it e-mails
    page.get_by_role("button", name="Shortlist and e-mail the applicant").click()
    page.wait_for_load_state()
    assert_accessible(page)
    application.refresh_from_db()
    assert application.status == Application.Status.SHORTLISTED


def test_creating_an_account_to_apply(visit: Any, page: Any) -> None:
    visit("/calls/account/new/")
    page.get_by_label("Full name").fill("Jo New")
    page.get_by_label("E-mail address").fill("jo.new@example.test")
    page.get_by_role("button", name="E-mail me a link to finish").click()
    page.wait_for_url("**/calls/account/new/sent/")
    assert "Check your e-mail" in page.locator("main").inner_text()
    assert_accessible(page)
    visit(reverse("calls:account_confirm", kwargs=account_token_kwargs()))
    page.get_by_label("Password", exact=True).fill("123")
    page.get_by_label("Password again").fill("123")
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.locator("main").inner_text()
    assert_accessible(page)
