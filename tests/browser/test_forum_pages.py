"""Forum pages in a real browser with axe on every page type; voting by keyboard alone
and on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory
from tests.forum.factories import make_conversation
from tests.forum.synthetic import fill
from whatworks.core.roles import Role
from whatworks.forum.models import Vote
from whatworks.forum.services.analysis import analysis_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_forum_page_type_passes_axe(visit: Any, page: Any, sign_in: Any) -> None:
    conversation = make_conversation()
    fill(conversation)
    analysis_run(conversation_id=conversation.pk)
    slug = conversation.slug
    visit("/forum/")
    visit(f"/forum/{slug}/")
    page.get_by_role("button", name="Agree", exact=True).click()
    page.wait_for_load_state()
    visit(f"/forum/{slug}/me/")
    visit(f"/forum/{slug}/report/")
    assert (page.locator("svg.opinion-map title").text_content() or "").startswith(
        "Opinion map of 40"
    )
    visit(f"/forum/{slug}/write/")
    page.get_by_role("button", name="Add my statement").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    UserFactory.create(email="moderator@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("moderator@example.test", PASSWORD)
    visit(f"/forum/{slug}/dashboard/")


def test_confirming_an_email_address_passes_axe(visit: Any, page: Any) -> None:
    from django.core import mail

    conversation = make_conversation(anonymous_must_verify=True)
    slug = conversation.slug
    visit(f"/forum/{slug}/")
    page.get_by_role("link", name="Confirm my e-mail address").click()
    page.wait_for_load_state()
    visit(f"/forum/{slug}/confirm-email/")
    page.get_by_role("button", name="Send me the link").click()
    page.wait_for_load_state()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)  # the error summary
    page.get_by_label("Your e-mail address").fill("someone@example.org")
    page.get_by_role("button", name="Send me the link").click()
    page.wait_for_load_state()
    assert "We have sent a link" in page.content()
    link = next(line for line in mail.outbox[0].body.splitlines() if "/confirm-email/" in line)
    visit(link.strip().split("localhost:8000", 1)[1])
    page.get_by_role("button", name="Confirm and take part").click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Agree", exact=True)).to_be_visible()


def test_voting_with_the_keyboard_alone(visit: Any, page: Any) -> None:
    conversation = make_conversation()
    visit(f"/forum/{conversation.slug}/")
    first = page.locator("#statement-text").inner_text()
    for _ in range(40):  # Tab from the top of the page until the Agree button has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Agree":
            break
    else:
        pytest.fail("Tab never reached the Agree button")
    page.keyboard.press("Enter")
    expect(page.locator("#statement-text")).not_to_have_text(first)
    expect(page.locator("#vote-status")).to_have_text("Vote recorded.")
    # focus moves to the new statement (once htmx settles); Tab reaches its buttons next
    expect(page.locator("#statement-text")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Disagree"
    page.keyboard.press("Enter")
    expect(page.locator(".vote-card__progress")).to_contain_text("voted on 2 of 5")
    assert list(Vote.objects.order_by("pk").values_list("value", flat=True)) == [1, -1]


def test_voting_on_a_phone(phone_page: Any) -> None:
    conversation = make_conversation()
    phone_page.goto(f"/forum/{conversation.slug}/")
    button = phone_page.get_by_role("button", name="Pass / unsure")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    button.click()
    expect(phone_page.locator(".vote-card__progress")).to_contain_text("voted on 1 of 5")
    assert Vote.objects.get().value == 0


def test_staff_set_up_edit_and_open_conversations(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible

    voted = make_conversation()
    fill(voted)
    UserFactory.create(email="facilitator@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("facilitator@example.test", PASSWORD)
    visit("/forum/staff/")
    visit("/forum/staff/new/")
    page.get_by_label("Question").fill("Should risk scores be shown to families?")
    page.get_by_label("Opens at").fill("2099-01-10 09:00")
    page.get_by_label("Closes at (optional)").fill("2099-01-01 09:00")
    page.get_by_label("Opening statements").fill("Too short\nFamilies have a right to see it.")
    page.get_by_role("button", name="Set up the conversation").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").inner_text()
    assert "The closing date must be after the opening date." in summary
    assert "Line 1: write a statement of at least 10 characters." in summary
    assert_accessible(page)
    page.get_by_label("Closes at (optional)").fill("2099-02-01 09:00")
    page.get_by_label("Opening statements").fill(
        "Families have a right to see it.\nScores shown to families would frighten them."
    )
    page.get_by_role("button", name="Set up the conversation").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Should risk scores be shown to families?")
    page.get_by_role("button", name="Open the conversation now").click()
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Close the conversation now")).to_be_visible()
    visit("/forum/should-risk-scores-be-shown-to-families/edit/")
    visit(f"/forum/{voted.slug}/edit/")
    expect(page.get_by_label("Question")).to_be_disabled()


def test_staff_import_and_embedding_pages_pass_axe(visit: Any, page: Any, sign_in: Any) -> None:
    conversation = make_conversation()
    UserFactory.create(email="importer@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("importer@example.test", PASSWORD)
    visit("/forum/staff/import/")
    page.get_by_role("button", name="Import the conversation").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    from tests.browser.axe import assert_accessible

    assert_accessible(page)
    visit(f"/forum/{conversation.slug}/embed/")
    page.get_by_label("Sites that may embed the conversation (optional)").fill("http://x.org")
    page.get_by_role("button", name="Save the list").click()
    page.wait_for_load_state()
    assert "not a secure web address" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Sites that may embed the conversation (optional)").fill(
        "https://partner.org.uk"
    )
    page.get_by_role("button", name="Save the list").click()
    page.wait_for_load_state()
    assert "<iframe" in page.locator("pre").inner_text()
    assert_accessible(page)


def test_report_group_bars_fit_a_phone(visit: Any, page: Any) -> None:
    conversation = make_conversation()
    fill(conversation)
    analysis_run(conversation_id=conversation.pk)
    visit(f"/forum/{conversation.slug}/report/")
    assert page.locator(".group-votes__group").count() > 0
