"""News objects for tests, made through the services as the app makes them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tests.factories import user_with_role
from whatworks.core.roles import Role
from whatworks.news.models import AuthorProfile, Issue, Post, Subscriber, Topic
from whatworks.news.selectors import subscriber_for_token  # noqa: F401 - re-exported for tests
from whatworks.news.services import issues, posts, subscribers, topics
from whatworks.news.tokens import CONFIRM_SALT, MANAGE_SALT, UNSUBSCRIBE_SALT, make_token

_counter = itertools.count(1)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def author(**kwargs: Any) -> AuthorProfile:
    n = next(_counter)
    user = user_with_role(Role.EDITOR)
    return posts.author_profile_create(
        actor=None,
        user=user,
        slug=str(kwargs.pop("slug", f"author-{n}")),
        display_name=str(kwargs.pop("display_name", f"Author {n}")),
        job_title=str(kwargs.pop("job_title", "Practice lead")),
        **kwargs,
    )


def post(
    *,
    publish_at: datetime | str | None = "past",
    body: str = "Some **text**.",
    tags: list[str] | None = None,
    by: AuthorProfile | None = None,
    title: str | None = None,
) -> Post:
    n = next(_counter)
    when = timezone.now() - timedelta(days=1) if publish_at == "past" else publish_at
    assert not isinstance(when, str), "publish_at is a datetime, None or 'past'"
    return posts.post_create(
        actor=None,
        author=by or author(),
        title=title or f"Post number {n}",
        slug=f"post-{n}",
        summary=f"Summary of post {n}.",
        body=body,
        publish_at=when,
        tag_names=tags or [],
    )


def subscriber(*, confirmed: bool = True, email: str | None = None) -> Subscriber:
    n = next(_counter)
    sub = subscribers.subscriber_subscribe(
        actor=None, email=email or f"reader{n}@example.test", source="test"
    )
    if confirmed:
        sub = subscribers.subscriber_confirm(actor=None, subscriber=sub, source="test")
    return sub


def draft_issue() -> Issue:
    return issues.issue_draft(actor=None)


def confirm_token(sub: Subscriber) -> str:
    return make_token(sub.key, salt=CONFIRM_SALT)


def unsubscribe_token(sub: Subscriber) -> str:
    return make_token(sub.key, salt=UNSUBSCRIBE_SALT)


def manage_token(sub: Subscriber) -> str:
    return make_token(sub.key, salt=MANAGE_SALT)


# --- kwargs for the permission matrix ---------------------------------------------------


def published_post_kwargs() -> dict[str, object]:
    return {"slug": post().slug}


def author_kwargs() -> dict[str, object]:
    return {"slug": author().slug}


def tag_kwargs() -> dict[str, object]:
    post(tags=["Practice"])
    return {"slug": "practice"}


def image_kwargs() -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = posts.post_image_add(
        actor=None,
        post=post(),
        upload=SimpleUploadedFile("x.png", PNG, content_type="image/png"),
        alt_text="A chart",
    )
    return {"image_id": image.pk}


def post_id_kwargs() -> dict[str, object]:
    return {"post_id": post().pk}


def issue_id_kwargs() -> dict[str, object]:
    return {"issue_id": draft_issue().pk}


def sent_issue() -> Issue:
    issue = draft_issue()
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENT, sent_at=timezone.now())
    issue.refresh_from_db()
    return issue


def sent_issue_kwargs() -> dict[str, object]:
    return {"slug": sent_issue().slug}


def confirm_kwargs() -> dict[str, object]:
    return {"token": confirm_token(subscriber(confirmed=False))}


def unsubscribe_kwargs() -> dict[str, object]:
    return {"token": unsubscribe_token(subscriber())}


def manage_kwargs() -> dict[str, object]:
    return {"token": manage_token(subscriber())}


def topic(**kwargs: Any) -> Topic:
    n = next(_counter)
    return topics.topic_create(
        actor=None,
        name=str(kwargs.pop("name", f"Topic {n}")),
        slug=str(kwargs.pop("slug", f"topic-{n}")),
        **kwargs,
    )


def topic_id_kwargs() -> dict[str, object]:
    return {"topic_id": topic().pk}
