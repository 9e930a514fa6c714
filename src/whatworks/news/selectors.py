"""Reads of the blog and newsletter, with their visibility rules.

Visitors see published posts (``publish_at`` passed), public authors and sent issues;
people with ``news.change_post`` / ``news.change_issue`` also see drafts and scheduled
posts.  Anything a reader may not know exists is a 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from whatworks.news.models import AuthorProfile, Issue, Post, PostImage, Subscriber, Tag
from whatworks.news.tokens import (
    CONFIRM_MAX_AGE,
    CONFIRM_SALT,
    MANAGE_MAX_AGE,
    MANAGE_SALT,
    UNSUBSCRIBE_SALT,
    BadTokenError,
    read_token,
)


def _may_edit_posts(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("news.change_post"))


def _may_edit_issues(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("news.change_issue"))


def posts_published(*, now: datetime | None = None) -> QuerySet[Post]:
    return (
        Post.objects.published(now=now)
        .select_related("author")
        .prefetch_related("tags")
        .order_by("-publish_at", "-id")
    )


def posts_published_between(*, since: datetime, until: datetime) -> QuerySet[Post]:
    return posts_published(now=until).filter(publish_at__gt=since)


def post_get_for_user(*, user: Any, slug: str) -> Post:
    post = Post.objects.select_related("author").prefetch_related("tags").filter(slug=slug).first()
    if post is None or not (post.is_published() or _may_edit_posts(user)):
        raise Http404("No such post.")
    return post


def post_get_for_editing(*, user: Any, post_id: int) -> Post:
    post = Post.objects.filter(pk=post_id).first() if _may_edit_posts(user) else None
    if post is None:
        raise Http404("No such post.")
    return post


def posts_for_editors() -> QuerySet[Post]:
    return Post.objects.select_related("author").order_by("-created_at", "-id")


def author_get_for_user(*, user: Any, slug: str) -> AuthorProfile:
    author = AuthorProfile.objects.filter(slug=slug).first()
    if author is None or not (author.is_public or _may_edit_posts(user)):
        raise Http404("No such author.")
    return author


def authors_with_posts() -> QuerySet[AuthorProfile]:
    """Public authors with at least one published post."""
    now = timezone.now()
    return (
        AuthorProfile.objects.filter(is_public=True)
        .annotate(published=Count("posts", filter=Q(posts__publish_at__lte=now)))
        .filter(published__gt=0)
    )


def tag_get_for_user(*, user: Any, slug: str) -> Tag:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def tags_in_use() -> QuerySet[Tag]:
    now = timezone.now()
    return (
        Tag.objects.annotate(published=Count("posts", filter=Q(posts__publish_at__lte=now)))
        .filter(published__gt=0)
        .order_by("name")
    )


def image_get_for_user(*, user: Any, image_id: uuid.UUID) -> PostImage:
    """An image is visible when its post is."""
    image = PostImage.objects.select_related("post").filter(pk=image_id).first()
    if image is None or not (image.post.is_published() or _may_edit_posts(user)):
        raise Http404("No such image.")
    return image


# --- newsletter ----------------------------------------------------------------------------


def issues_archive() -> QuerySet[Issue]:
    return Issue.objects.filter(status=Issue.Status.SENT).order_by("-sent_at", "-id")


def issue_get_for_user(*, user: Any, slug: str) -> Issue:
    """A sent issue for anyone; drafts and issues being sent only for editors."""
    issue = Issue.objects.filter(slug=slug).first()
    if issue is None or not (issue.status == Issue.Status.SENT or _may_edit_issues(user)):
        raise Http404("No such issue.")
    return issue


def issue_get_for_editing(*, user: Any, issue_id: int) -> Issue:
    issue = Issue.objects.filter(pk=issue_id).first() if _may_edit_issues(user) else None
    if issue is None:
        raise Http404("No such issue.")
    return issue


def issues_for_editors() -> QuerySet[Issue]:
    return Issue.objects.order_by("-created_at", "-id")


def issue_delivery_counts(*, issue: Issue) -> dict[str, int]:
    rows = issue.deliveries.order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)


def last_sent_issue() -> Issue | None:
    return Issue.objects.filter(status=Issue.Status.SENT).order_by("-covers_until").first()


def subscriber_for_token(*, token: str, purpose: str) -> Subscriber:
    """The subscriber a signed link names; tampered, expired or dead links are a 404."""
    salt, max_age = {
        "confirm": (CONFIRM_SALT, CONFIRM_MAX_AGE),
        "unsubscribe": (UNSUBSCRIBE_SALT, None),
        "manage": (MANAGE_SALT, MANAGE_MAX_AGE),
    }[purpose]
    key = read_token(token, salt=salt, max_age=max_age)
    subscriber = Subscriber.objects.filter(key=key).first()
    if subscriber is None:
        raise BadTokenError("This link is not valid.")
    return subscriber
