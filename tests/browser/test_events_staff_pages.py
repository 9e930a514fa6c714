"""The staff's event pages, the attendee's own pages and the check-in page in a real
browser: axe and the phone-width checks on each (``visit``), and the camera scanner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.events.factories import add_questions, checked_in, make_event, past_event, register
from tests.factories import PASSWORD, UserFactory
from whatworks.core.roles import Role
from whatworks.events.models import Event, Registration
from whatworks.events.tickets import ticket_code, ticket_url
from whatworks.events.tokens import registration_token

pytestmark = pytest.mark.django_db(transaction=True)


def _as_editor(sign_in: Any, page: Any) -> None:
    # A generous safety net: the shared machine is loaded and the live server's first
    # request loads every part's URLs.
    page.set_default_timeout(60_000)
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed@example.test", PASSWORD)


def test_an_editor_creates_publishes_and_cancels_an_event(
    sign_in: Any, visit: Any, page: Any
) -> None:
    _as_editor(sign_in, page)
    from tests.browser.axe import assert_accessible

    make_event(published=False, title="Old draft")
    visit("/events/staff/")
    visit("/events/staff/new/")
    page.get_by_role("button", name="Save as a draft").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    now = timezone.localtime()
    page.get_by_label("Title", exact=True).fill("Practice day")
    page.get_by_label("Web address name").fill("practice-day")
    page.get_by_label("Summary", exact=True).fill("A day of practice.")
    for label, value in (
        ("Starts", now + timedelta(days=9)),
        ("Ends", now + timedelta(days=9, hours=3)),
        ("Registration opens", now - timedelta(hours=1)),
        ("Registration closes", now + timedelta(days=8)),
    ):
        page.get_by_label(label, exact=True).fill(value.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Format", exact=True).select_option("in-person")
    page.get_by_label("Venue", exact=True).fill("Leeds")
    page.get_by_label("Capacity", exact=True).fill("2")
    page.get_by_role("button", name="Save as a draft").click()
    page.wait_for_url("**/questions/")
    assert_accessible(page)
    page.get_by_label("Question", exact=True).fill("Dietary needs")
    page.get_by_label("Kind", exact=True).select_option("dietary")
    page.get_by_role("button", name="Add the question").click()
    page.wait_for_load_state()
    event = Event.objects.get(slug="practice-day")
    question = event.questions.get()
    visit(f"/events/staff/practice-day/questions/{question.pk}/")
    visit("/events/staff/practice-day/")
    page.get_by_role("button", name="Publish the event").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation page
    page.get_by_role("button", name="Publish the event").click()
    page.wait_for_load_state()
    assert "is published" in page.locator("main").inner_text()
    visit("/events/staff/practice-day/edit/")
    visit("/events/staff/practice-day/duplicate/")
    register(Event.objects.get(pk=event.pk), 1)
    visit("/events/staff/practice-day/")
    page.get_by_label("Why it is cancelled").fill("The venue is closed.")
    page.get_by_role("button", name="Cancel the event").click()
    page.wait_for_load_state()
    assert "e-mails 1 person" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the event").click()
    page.wait_for_load_state()
    assert "is cancelled" in page.locator("main").inner_text()
    visit("/events/practice-day/")


def test_attendee_management_pages(sign_in: Any, visit: Any, page: Any) -> None:
    _as_editor(sign_in, page)
    from tests.browser.axe import assert_accessible

    event = make_event(capacity=1)
    add_questions(event)
    first = register(event, 1)
    register(event, 2)
    visit(f"/events/{event.slug}/attendees/")
    visit(f"/events/staff/{event.slug}/attendees/add/")
    page.get_by_role("button", name="Add them").click()
    page.wait_for_load_state()
    assert_accessible(page)
    visit(f"/events/staff/{event.slug}/attendees/email/")
    visit(f"/events/{event.slug}/attendees/")
    page.get_by_label(f"Choose {first.name}").check()
    page.get_by_role("button", name="E-mail the people chosen").click()
    page.wait_for_load_state()
    assert "1 person chosen" in page.locator("main").inner_text()
    assert_accessible(page)
    visit(f"/events/{event.slug}/attendees/")
    page.get_by_role("button", name=f"Cancel {first.name}'s registration").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the registration").click()
    page.wait_for_load_state()
    first.refresh_from_db()
    assert first.status == Registration.Status.CANCELLED


def test_check_in_with_the_camera_scanner_undo_and_walk_in(
    sign_in: Any, visit: Any, page: Any
) -> None:
    _as_editor(sign_in, page)
    from tests.browser.axe import assert_accessible

    event = make_event(capacity=3)
    person = register(event, 1)
    register(event, 2)
    visit(f"/events/staff/ticket/{ticket_code(person)}/")
    # no BarcodeDetector in this Chromium: the scanner stays hidden, the form is there
    visit(f"/events/{event.slug}/check-in/")
    assert page.locator("[data-scanner]").is_hidden()
    assert "0 of 2" in page.locator("#check-in-count").inner_text()
    # a browser that has it (a stand-in that reads the ticket from a camera stream)
    page.add_init_script(
        f"""
        window.BarcodeDetector = class {{
          static getSupportedFormats() {{ return Promise.resolve(["qr_code"]); }}
          detect() {{ return Promise.resolve([{{ rawValue: {ticket_url(person)!r} }}]); }}
        }};
        navigator.mediaDevices.getUserMedia = () => {{
          const canvas = document.createElement("canvas");
          canvas.width = canvas.height = 16;
          canvas.getContext("2d").fillRect(0, 0, 16, 16);
          return Promise.resolve(canvas.captureStream(10));
        }};
        """
    )
    page.goto(f"/events/{event.slug}/check-in/")
    page.get_by_role("button", name="Scan with the camera").click()
    page.wait_for_url(f"**/check-in/?last={person.pk}")
    assert "Person 1 is checked in." in page.locator("main").inner_text()
    assert "1 of 2" in page.locator("#check-in-count").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Undo the check-in of Person 1").click()
    page.wait_for_load_state()
    assert "0 of 2" in page.locator("#check-in-count").inner_text()
    page.get_by_role("button", name="Register and check in").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Walk In")
    page.get_by_role("button", name="Register and check in").click()
    page.wait_for_load_state()
    assert "1 of 3" in page.locator("#check-in-count").inner_text()


def test_the_attendees_own_pages(visit: Any, page: Any) -> None:
    from tests.browser.axe import assert_accessible

    event = make_event(capacity=1)
    add_questions(event)
    page.set_default_timeout(60_000)  # a safety net, as in _as_editor
    _dietary, workshop = event.questions.all()
    person = register(event, 1, answers={str(workshop.pk): "A"})
    token = registration_token(person.key)
    visit(f"/events/registration/{token}/")
    assert page.get_by_role("img", name="QR code of your ticket").is_visible()
    visit(f"/events/registration/{token}/answers/")
    page.get_by_label("Dietary needs").fill("Vegan")
    page.get_by_role("button", name="Save my answers").click()
    page.wait_for_load_state()
    assert "Vegan" in page.locator("main").inner_text()
    assert_accessible(page)
    visit(f"/events/{event.slug}/register/")  # full: says so before anyone registers
    assert "you will join the waiting list" in page.locator("main").inner_text()
    done = checked_in(past_event(), 2)
    visit(f"/events/registration/{registration_token(done.key)}/")
    assert "certificate of attendance" in page.locator("main").inner_text()


def test_the_feedback_survey_is_made_sent_answered_and_its_results_read(
    sign_in: Any, visit: Any, page: Any
) -> None:
    """The event's feedback page (made from a template, sent after a confirmation), an
    attendee answering through the panel's page, and the results with ten answers."""
    from django.core import mail

    from tests.browser.axe import assert_accessible
    from whatworks.panel.models import Invitation
    from whatworks.panel.services.answering import response_save

    _as_editor(sign_in, page)
    event = past_event(title="Practice day in Leeds", capacity=12)
    for n in range(11):
        checked_in(event, n)
    visit(f"/events/staff/{event.slug}/feedback/")
    page.get_by_role("button", name="Make the feedback survey").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Event feedback (five questions)", exact=False).check()
    page.get_by_role("button", name="Make the feedback survey").click()
    page.wait_for_url(f"**/events/staff/{event.slug}/feedback/")
    assert_accessible(page)
    page.get_by_role("button", name="Send the survey to 11 people").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation
    mail.outbox.clear()
    page.get_by_role("button", name="Send to 11 people").click()
    page.wait_for_url(f"**/events/staff/{event.slug}/feedback/")
    event.refresh_from_db()
    assert event.feedback_survey_id is not None
    invitations = list(Invitation.objects.filter(poll_id=event.feedback_survey_id))
    assert len(invitations) == 11
    poll = invitations[0].poll
    questions = list(poll.questions.all())
    values = ["Agree", "Yes", "Satisfied", 8, ""]
    for invitation in invitations[:10]:
        response_save(
            actor=None,
            invitation=invitation,
            answers={q.pk: v for q, v in zip(questions, values, strict=True)},
            submit=True,
        )
    link = next(line for line in mail.outbox[0].body.splitlines() if "/panel/answer/" in line)
    visit(link[link.index("/panel/answer/") :])  # an attendee's own link: the panel's page
    visit(f"/events/staff/{event.slug}/feedback/")
    assert page.get_by_role("heading", name="The event was useful for my practice.").count() == 1
    visit(f"/events/staff/{event.slug}/")
