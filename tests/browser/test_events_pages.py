"""Event pages in a real browser, with axe on every page type, and check-in on a phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import type_second_factor
from tests.events.factories import add_questions, make_event, register
from tests.factories import PASSWORD, UserFactory
from whatworks.core.roles import Role
from whatworks.events.models import Registration

pytestmark = pytest.mark.django_db(transaction=True)


def test_public_event_pages_and_registration(visit: Any, page: Any) -> None:
    event = make_event(capacity=1, title="Deliberative forum on machine learning")
    add_questions(event)
    past = make_event(
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=3),
        registration_opens_at=timezone.now() - timedelta(days=60),
        registration_closes_at=timezone.now() - timedelta(days=31),
        project_ref="WWC-2019-0007",  # so axe checks the project link too
    )
    visit("/events/")
    page.get_by_role("link", name=event.title).click()
    page.wait_for_load_state()
    visit(f"/events/{event.slug}/")
    visit(f"/events/{past.slug}/")
    visit("/events/past/")
    visit(f"/events/{event.slug}/register/")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    page.get_by_label("Full name").fill("Sam Smith")
    page.get_by_label("E-mail address").fill("sam@example.test")
    page.get_by_label("Workshop").select_option("B")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert "Check your e-mail" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    # the link in the e-mail: a button confirms the address and the place
    from django.core import mail

    link = next(line for line in mail.outbox[-1].body.splitlines() if "/registration/" in line)
    visit(link.strip().split("localhost:8000", 1)[1])
    page.get_by_role("button", name="Confirm my registration").click()
    page.wait_for_url("**/events/registration/**")
    assert "Confirmed" in page.get_by_role("heading", level=1).locator("..").inner_text()
    assert_accessible(page)
    # someone else joins the waiting list and sees their place in the queue
    waiting = register(event, "w")
    from whatworks.events.tokens import registration_token

    visit(f"/events/registration/{registration_token(waiting.key)}/")
    assert "number 1 on the waiting list" in page.locator("main").inner_text()
    page.get_by_role("button", name="Cancel my registration").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation page
    page.get_by_role("button", name="Cancel my registration").click()
    page.wait_for_load_state()
    assert_accessible(page)
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CANCELLED


def test_offer_page(visit: Any, page: Any) -> None:
    from whatworks.events.services import registrations
    from whatworks.events.tokens import registration_token

    event = make_event(capacity=1)
    first, second = register(event, 1), register(event, 2)
    registrations.registration_cancel(actor=None, registration=first)
    visit(f"/events/registration/{registration_token(second.key)}/")
    page.get_by_role("button", name="Accept the place").click()
    page.wait_for_load_state()
    assert "Your place is confirmed" in page.locator("main").inner_text()


def test_staff_attendees_and_check_in_on_a_phone(
    visit: Any, page: Any, sign_in: Any, phone_page: Any
) -> None:
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    event = make_event(capacity=3)
    add_questions(event)
    register(event, 1)
    sign_in("ed@example.test", PASSWORD)
    visit(f"/events/{event.slug}/attendees/")
    visit(f"/events/{event.slug}/check-in/")
    # the same page on a phone
    phone_page.goto("/account/sign-in/")
    phone_page.get_by_label("E-mail address").fill("ed@example.test")
    phone_page.get_by_label("Password").fill(PASSWORD)
    phone_page.get_by_role("button", name="Sign in").click()
    phone_page.wait_for_load_state()
    type_second_factor(phone_page, "ed@example.test")  # editors sign in with a second factor
    phone_page.goto(f"/events/{event.slug}/check-in/")
    phone_page.get_by_label("Find by name or e-mail").fill("Person 1")
    phone_page.get_by_role("button", name="Find").click()
    phone_page.wait_for_load_state()
    phone_page.get_by_role("button", name="Check in Person 1").click()
    phone_page.wait_for_load_state()
    assert "Checked in at" in phone_page.locator("main").inner_text()
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
