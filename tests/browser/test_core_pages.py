"""Every part's landing page and the core's pages, in a real browser, with axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.factories import PASSWORD, UserFactory
from whatworks.core.models import TaskRecord
from whatworks.core.parts import PARTS
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

HOME = re.compile(r"^https?://[^/]+/$")
PUBLIC_PAGES = [
    "/",
    "/accessibility/",
    "/privacy/",
    "/account/sign-in/",
    "/account/password-reset/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible(visit: Any, path: str) -> None:
    visit(path)


def test_not_found_page_is_accessible(visit: Any) -> None:
    page = visit("/no-such-page/", expect_status=404)
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"


def test_home_reaches_every_part_from_the_header(visit: Any, page: Any) -> None:
    visit("/")
    nav = page.get_by_role("navigation", name="Main")
    for part in PARTS:
        nav.get_by_role("link", name=str(part.nav_label), exact=True).click()
        page.wait_for_url(f"**{part.url}")
        assert page.get_by_role("heading", level=1).inner_text() == str(part.title)
        link = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=str(part.nav_label), exact=True
        )
        assert link.get_attribute("aria-current") == "page"
        visit(part.url)
        page.go_back()


def test_skip_link_is_first_and_moves_focus_to_main(visit: Any, page: Any) -> None:
    visit("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_sign_in_with_the_keyboard_and_sign_out(visit: Any, page: Any) -> None:
    UserFactory.create(email="kay@example.test", full_name="Kay Keyboard")
    visit("/account/sign-in/")
    page.get_by_label("E-mail address").focus()
    page.keyboard.type("kay@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(HOME)
    assert page.get_by_text("Kay", exact=True).is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()


def test_a_failed_sign_in_shows_a_focused_error_summary(visit: Any, page: Any) -> None:
    visit("/account/sign-in/")
    page.get_by_label("E-mail address").fill("nobody@example.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    assert page.evaluate("document.activeElement.dataset.module") == "error-summary"
    assert_accessible(page)


def test_audit_log_and_task_page_for_an_admin(visit: Any, page: Any, sign_in: Any) -> None:
    admin = UserFactory.create(email="root@example.test", roles=frozenset({Role.ADMIN}))
    sign_in("root@example.test", PASSWORD)
    visit("/staff/audit/")
    page.get_by_label("From date").fill("not a date")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert "Enter a date as YYYY-MM-DD" in page.get_by_role("alert").inner_text()
    record = TaskRecord.objects.create(kind="x", label="A long job", owner=admin, progress=0.25)
    visit(f"/tasks/{record.pk}/")
    expect(page.locator("#task-status")).to_contain_text("Waiting for a worker")
    TaskRecord.objects.filter(pk=record.pk).update(message="Three quarters there", progress=0.75)
    expect(page.locator("#task-status")).to_contain_text("Three quarters there", timeout=5000)
    assert_accessible(page)


def test_pages_fit_a_phone_screen(phone_page: Any) -> None:
    for path in ["/", "/evidence/", "/account/sign-in/"]:
        phone_page.goto(path)
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"


def test_setting_up_the_second_factor(visit: Any, page: Any, sign_in: Any) -> None:
    """A person who opts in: QR code and the key as text, then recovery codes."""
    import base64

    from django_otp.oath import totp

    UserFactory.create(email="kim@example.test")
    sign_in("kim@example.test", PASSWORD)
    visit("/account/security/")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert page.locator("svg title").text_content() == "QR code for your authenticator app"
    key = base64.b32decode(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page)
