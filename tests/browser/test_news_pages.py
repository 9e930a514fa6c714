"""The blog and newsletter pages in a real browser, each checked with axe."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.browser.axe import assert_accessible
from tests.factories import PASSWORD, UserFactory
from tests.news import factories as f
from whatworks.core.roles import Role
from whatworks.news.models import Issue, Subscriber, Topic
from whatworks.news.services import posts as posts_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def blog() -> dict[str, Any]:
    director = f.author(slug="executive-director", display_name="Dana Director")
    post = f.post(
        by=director,
        title="Monthly blog: November",
        body="## What we learnt\n\nSome *findings* and [a link](https://example.org).\n\n"
        "| Site | Families |\n|---|---|\n| North | 12 |",
        tags=["Leadership"],
    )
    posts_services.post_image_add(
        actor=None,
        post=post,
        upload=SimpleUploadedFile("team.png", f.PNG),
        alt_text="The practice team at a workshop",
    )
    issue = f.sent_issue()
    return {"post": post, "author": director, "issue": issue}


def test_public_blog_pages_are_accessible(visit: Any, page: Any, blog: dict[str, Any]) -> None:
    visit("/news/")
    feeds = page.locator('head link[rel="alternate"]')
    assert feeds.count() == 2
    page.get_by_role("link", name="Monthly blog: November").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Monthly blog: November"
    assert_accessible(page)
    visit(blog["post"].get_absolute_url())
    visit(blog["author"].get_absolute_url())
    visit("/news/tags/leadership/")
    visit("/news/newsletter/archive/")
    visit(blog["issue"].get_absolute_url())
    visit("/news/posts/no-such-post/", expect_status=404)


def test_subscribe_confirm_and_unsubscribe_in_the_browser(visit: Any, page: Any) -> None:
    visit("/news/newsletter/")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert page.evaluate("document.activeElement.dataset.module") == "error-summary"
    assert_accessible(page)

    page.get_by_label("E-mail address").fill("reader@example.test")
    page.get_by_label("I agree to the statement above").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/news/newsletter/check-your-email/")
    assert_accessible(page)

    body = str(mail.outbox[-1].body)
    confirm = re.search(r"(/news/newsletter/confirm/[^\s]+)", body)
    assert confirm
    visit(confirm.group(1))
    page.get_by_role("button", name="Confirm my subscription").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Subscription confirmed"
    assert_accessible(page)

    subscriber = Subscriber.objects.get()
    visit(f"/news/newsletter/unsubscribe/{f.unsubscribe_token(subscriber)}/")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "You have unsubscribed"
    assert_accessible(page)


def test_your_data_pages(visit: Any, page: Any) -> None:
    Topic.objects.create(name="Research", slug="research")
    subscriber = f.subscriber()
    visit("/news/newsletter/your-data/")
    visit("/news/newsletter/")  # with topics to choose
    visit(f"/news/newsletter/your-data/{f.manage_token(subscriber)}/")
    page.get_by_label("Research").check()
    page.get_by_role("button", name="Save your topics").click()
    page.wait_for_load_state()
    assert "Your topics are saved" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Erase my data").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation page
    page.get_by_role("button", name="Yes, erase my data").click()
    page.wait_for_load_state()
    assert "We have erased" in page.get_by_role("status").inner_text()
    assert_accessible(page)


def test_editor_pages(visit: Any, page: Any, sign_in: Any, blog: dict[str, Any]) -> None:
    UserFactory.create(email="eden@example.test", roles=frozenset({Role.EDITOR}))
    f.post(title="Next month", publish_at=timezone.now() + timedelta(days=20))
    sign_in("eden@example.test", PASSWORD)
    visit("/news/manage/")
    visit("/news/manage/posts/new/")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    post = blog["post"]
    visit(f"/news/manage/posts/{post.pk}/")
    page.get_by_label("Title").fill("Monthly blog: December")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert "Preview (not saved yet)" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    visit(f"/news/manage/posts/{post.pk}/images/")
    visit(f"/news/manage/posts/{post.pk}/revisions/")
    assert "Revision 2" in page.content()

    visit("/news/manage/")
    page.get_by_role("button", name="Draft this month's issue").click()
    page.wait_for_load_state()
    issue = Issue.objects.get(status=Issue.Status.DRAFT)
    assert page.get_by_label("Body").input_value().startswith("Welcome")
    assert_accessible(page)
    page.get_by_label("Send at").fill("2001-01-01 09:00")
    page.get_by_role("button", name="Schedule the send").click()
    page.wait_for_load_state()
    assert "Choose a time in the future" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    later = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    page.get_by_label("Send at").fill(later)
    page.get_by_role("button", name="Schedule the send").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the confirmation page, naming the number of subscribers
    page.get_by_role("button", name="Schedule the e-mail").click()
    page.wait_for_load_state()
    assert "Scheduled: it will be sent by itself" in page.content()
    assert_accessible(page)
    visit(f"/news/manage/issues/{issue.pk}/preview/")


def test_news_fits_a_phone_screen(phone_page: Any, blog: dict[str, Any]) -> None:
    for path in ["/news/", blog["post"].get_absolute_url(), "/news/newsletter/"]:
        phone_page.goto(path)
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"


def test_an_editor_manages_the_topics(visit: Any, page: Any, sign_in: Any) -> None:
    page.set_default_timeout(60_000)
    UserFactory.create(email="topics@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("topics@example.test", PASSWORD)
    kept = f.topic(name="Research findings")
    visit("/news/manage/topics/")
    page.get_by_role("button", name="Add the topic").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").first.inner_text()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Practice guides")
    page.get_by_role("button", name="Add the topic").click()
    page.wait_for_url("**/news/manage/topics/")
    added = Topic.objects.get(name="Practice guides")
    visit(f"/news/manage/topics/{added.pk}/")
    page.get_by_label("Description", exact=True).fill("Guides for practitioners")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/news/manage/topics/")
    page.get_by_role("button", name="Retire Research findings").click()
    page.wait_for_url("**/news/manage/topics/")
    assert_accessible(page)
    kept.refresh_from_db()
    assert kept.retired_at is not None
    assert page.get_by_role("button", name="Bring back Research findings").count() == 1
    visit("/news/newsletter/")  # the subscribe page offers only what is not retired
    assert page.get_by_label("Practice guides").count() == 1
    assert page.get_by_label("Research findings").count() == 0
