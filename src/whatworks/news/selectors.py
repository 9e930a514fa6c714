"""Reads of the blog and newsletter, with their visibility rules.

Visitors see published posts (``publish_at`` passed), public authors and sent issues;
people with ``news.change_post`` / ``news.change_issue`` also see drafts and scheduled
posts.  Anything a reader may not know exists is a 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from whatworks.news.errors import BadTokenError
from whatworks.news.models import (
    AuthorProfile,
    Delivery,
    Issue,
    Post,
    PostImage,
    PostRevision,
    Subscriber,
    Tag,
    Topic,
)
from whatworks.news.tokens import (
    CONFIRM_MAX_AGE,
    CONFIRM_SALT,
    MANAGE_MAX_AGE,
    MANAGE_SALT,
    UNSUBSCRIBE_SALT,
    read_token,
)


def can_edit_posts(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("news.change_post"))


def can_edit_issues(user: Any) -> bool:
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
    if post is None or not (post.is_published() or can_edit_posts(user)):
        raise Http404("No such post.")
    return post


def post_get_for_editing(*, user: Any, post_id: int) -> Post:
    post = Post.objects.filter(pk=post_id).first() if can_edit_posts(user) else None
    if post is None:
        raise Http404("No such post.")
    return post


def posts_for_editors() -> QuerySet[Post]:
    return Post.objects.select_related("author").order_by("-created_at", "-id")


def author_get_for_user(*, user: Any, slug: str) -> AuthorProfile:
    author = AuthorProfile.objects.filter(slug=slug).first()
    if author is None or not (author.is_public or can_edit_posts(user)):
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
    if image is None or not (image.post.is_published() or can_edit_posts(user)):
        raise Http404("No such image.")
    return image


# --- newsletter ----------------------------------------------------------------------------


def issues_archive() -> QuerySet[Issue]:
    return Issue.objects.filter(status=Issue.Status.SENT).order_by("-sent_at", "-id")


def issue_get_for_user(*, user: Any, slug: str) -> Issue:
    """A sent issue for anyone; drafts and issues being sent only for editors."""
    issue = Issue.objects.filter(slug=slug).first()
    if issue is None or not (issue.status == Issue.Status.SENT or can_edit_issues(user)):
        raise Http404("No such issue.")
    return issue


def issue_get_for_editing(*, user: Any, issue_id: int) -> Issue:
    issue = Issue.objects.filter(pk=issue_id).first() if can_edit_issues(user) else None
    if issue is None:
        raise Http404("No such issue.")
    return issue


def issues_for_editors() -> QuerySet[Issue]:
    return Issue.objects.order_by("-created_at", "-id")


def issue_delivery_counts(*, issue: Issue) -> dict[str, int]:
    """The issue's deliveries by state, keyed by the state's label ("Sent", not "sent"),
    in the states' order; states with none are left out.  Deliveries outlive an erased
    subscriber, so these counts never go down."""
    rows = dict(issue.deliveries.order_by().values_list("status").annotate(n=Count("id")))
    return {str(label): rows[value] for value, label in Delivery.Status.choices if value in rows}


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
        raise BadTokenError(gettext("This link is not valid."))
    return subscriber


def post_lead_image(*, post: Post) -> PostImage | None:
    """The picture shown above a post: its first image that the body does not already
    show (an image placed in the body appears there, once)."""
    body = post.body or ""
    for image in post.images.all():
        if image.get_absolute_url() not in body and str(image.pk) not in body:
            return image
    return None


@dataclass(frozen=True)
class SubscriberCounts:
    by_status: list[tuple[str, int]]  # (label, n), every status, in order
    confirmed: int
    by_topic: list[tuple[Topic, int]]  # confirmed subscribers who chose each topic


def topics_for_editors(*, user: Any) -> QuerySet[Topic]:
    """Every topic, retired ones too, with how many confirmed subscribers chose each."""
    if not user.has_perm("news.change_topic"):
        return Topic.objects.none()
    return Topic.objects.annotate(
        n=Count("subscribers", filter=Q(subscribers__status=Subscriber.Status.CONFIRMED))
    ).order_by("retired_at", "position", "name")


def topic_get_for_editing(*, user: Any, topic_id: int) -> Topic:
    """A topic for an editor who may change topics; 404 for anyone else or no such topic."""
    topic = (
        Topic.objects.filter(pk=topic_id).first() if user.has_perm("news.change_topic") else None
    )
    if topic is None:
        raise Http404("No such topic.")
    return topic


def subscriber_counts() -> SubscriberCounts:
    """How many subscribers there are in each state, and per topic (for editors)."""
    rows = dict(Subscriber.objects.order_by().values_list("status").annotate(n=Count("id")))
    topics = Topic.objects.annotate(
        n=Count("subscribers", filter=Q(subscribers__status=Subscriber.Status.CONFIRMED))
    )
    return SubscriberCounts(
        by_status=[(str(label), rows.get(value, 0)) for value, label in Subscriber.Status.choices],
        confirmed=rows.get(Subscriber.Status.CONFIRMED, 0),
        by_topic=[(t, t.n) for t in topics],
    )


def issue_recipient_count(*, issue: Issue) -> int:
    """How many people the issue would be sent to now (its topic's, or every confirmed)."""
    from whatworks.news.services.sending import recipients

    return int(recipients(issue=issue).count())


@dataclass(frozen=True)
class RevisionView:
    revision: PostRevision
    changed_labels: list[str]
    body_diff: list[tuple[str, str]]  # (kind: "add" | "remove" | "same" | "gap", line)
    before: PostRevision | None


_REVISION_LABELS = {
    "title": _("Title"),
    "summary": _("Summary"),
    "body": _("Body"),
    "tags": _("Tags"),
    "publish_at": _("Publish at"),
}


def post_revision_history(*, post: Post) -> list[RevisionView]:
    """A post's revisions, newest first, each with what it changed from the one before
    (the body as a line-by-line difference, three lines of context)."""
    import difflib

    revisions = list(post.revisions.select_related("edited_by").order_by("number"))
    views = []
    for index, revision in enumerate(revisions):
        before = revisions[index - 1] if index else None
        diff: list[tuple[str, str]] = []
        if before is not None and "body" in revision.changed:
            lines = difflib.unified_diff(
                before.body.splitlines(), revision.body.splitlines(), lineterm="", n=3
            )
            for line in list(lines)[2:]:  # drop the ---/+++ header
                if line.startswith("@@"):
                    diff.append(("gap", "…"))
                elif line.startswith("+"):
                    diff.append(("add", line[1:]))
                elif line.startswith("-"):
                    diff.append(("remove", line[1:]))
                else:
                    diff.append(("same", line[1:]))
        views.append(
            RevisionView(
                revision=revision,
                changed_labels=[str(_REVISION_LABELS.get(c, c)) for c in revision.changed],
                body_diff=diff,
                before=before,
            )
        )
    return views[::-1]
