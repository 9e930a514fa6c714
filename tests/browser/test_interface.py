"""The shared interface patterns, measured in a real browser (docs/interface.md)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD, UserFactory
from whatworks.core.parts import PARTS
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_nav_lines_up_with_the_header_and_fits_a_phone(visit: Any, page: Any) -> None:
    visit("/")
    name = page.locator(".site-header__name").bounding_box()
    first = page.locator(".site-nav__list--row a").first.bounding_box()
    assert name and first and first["x"] == pytest.approx(name["x"], abs=1)
    assert first["x"] > 0

    page.set_viewport_size({"width": 390, "height": 844})
    toggle = page.get_by_text("Menu", exact=True)
    height = page.locator(".site-nav").bounding_box()
    assert height and height["height"] < 60, "one row on a phone, not several"
    assert toggle.is_visible()
    assert not page.locator(".site-nav__list--menu").is_visible()
    toggle.click()
    nav = page.get_by_role("navigation", name="Main")
    for part in PARTS:
        assert nav.get_by_role("link", name=str(part.nav_label), exact=True).is_visible()


def test_filters_wait_behind_a_disclosure_on_a_phone(visit: Any, page: Any, sign_in: Any) -> None:
    UserFactory.create(email="root@example.test", roles=frozenset({Role.ADMIN}))
    sign_in("root@example.test", PASSWORD)
    for path, results in (("/research/", "h2"), ("/staff/audit/", "table")):
        visit(path)
        field = page.locator(".filter-disclosure select, .filter-disclosure input").first
        assert field.is_visible(), f"{path}: filters shown on a wide screen"
        assert not page.locator(".filter-disclosure__toggle").is_visible()

        page.set_viewport_size({"width": 390, "height": 844})
        assert not field.is_visible(), f"{path}: filters hidden on a phone"
        assert page.locator(".filter-disclosure__toggle").is_visible()
        where = f"document.querySelector('main').querySelectorAll('{results}')"
        top = f"(() => {{ const all = {where}; const last = all[all.length - 1]; "
        top += "return last.getBoundingClientRect().top + window.scrollY; })()"
        closed = page.evaluate(top)
        page.locator(".filter-disclosure__toggle").click()
        assert field.is_visible()
        opened = page.evaluate(top)
        assert opened - closed > 200, f"{path}: the filters wait behind the disclosure"
        page.set_viewport_size({"width": 1280, "height": 720})
