"""Browser tests: Playwright driving Debian's Chromium, with axe-core on every page.

Where Chromium is absent these tests are skipped with a message, except in CI (CI=1),
where they fail: there they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.axe import assert_accessible

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
# between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"Chromium is missing at {CHROMIUM}; CI must run the browser tests "
            "(apt-get install -y chromium)."
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def visit(page: Any) -> Callable[[str], Any]:
    """Open a path and check it with axe: the one line every page's test needs."""

    def _visit(path: str, *, expect_status: int = 200) -> Any:
        response = page.goto(path)
        assert response is not None and response.status == expect_status, (
            f"{path}: {response.status if response else 'no response'}"
        )
        assert_accessible(page)
        return page

    return _visit


def type_second_factor(page: Any, email: str) -> None:
    """On the verify page, type the code of an app added to the account, as a person does."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from whatworks.core.models import User

    user = User.objects.get(email__iexact=email)
    device = TOTPDevice.objects.create(user=user, name="browser test app", confirmed=True)
    assert_accessible(page)
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


@pytest.fixture
def sign_in(page: Any) -> Callable[[str, str], None]:
    """Sign in through the pages; roles that need a second factor type a code too."""

    def _sign_in(email: str, password: str) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from whatworks.core import mfa
        from whatworks.core.models import User

        user = User.objects.filter(email__iexact=email).first()
        needs_code = user is not None and mfa.mfa_required(user)
        if user is not None and needs_code and not mfa.has_app(user):
            TOTPDevice.objects.create(user=user, name="browser test app", confirmed=True)
        page.goto("/account/sign-in/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if needs_code:
            assert "/account/security/verify/" in page.url, page.url
            type_second_factor(page, email)

    return _sign_in
