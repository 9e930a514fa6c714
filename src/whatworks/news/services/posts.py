"""Writes of the blog: author profiles, tags, posts and their images."""

from __future__ import annotations

from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.services.audit import NOT_RECORDED, audit_record, diff_fields
from whatworks.core.text import markup_in
from whatworks.news.errors import NewsError, UploadError
from whatworks.news.markdown import images_without_alt
from whatworks.news.models import (
    PROFILE_PERSONAL,
    AuthorProfile,
    Post,
    PostImage,
    PostRevision,
    Tag,
)
from whatworks.news.uploads import check_image

POST_AUDITED = ["title", "slug", "summary", "author", "publish_at"]


@transaction.atomic
def author_profile_create(
    *,
    actor: User | None,
    user: User,
    slug: str,
    display_name: str,
    job_title: str = "",
    bio: str = "",
    is_public: bool = True,
) -> AuthorProfile:
    profile = AuthorProfile(
        user=user,
        slug=slug,
        display_name=display_name,
        job_title=job_title,
        bio=bio,
        is_public=is_public,
    )
    full_clean_or_raise(profile, NewsError)
    profile.save()
    audit_record(
        actor=actor,
        action=AuditAction.AUTHOR_PROFILE_CREATED,
        target=profile,
        # The name (and the slug made from it), title and biography are personal data:
        # the log says they were set, not what to.
        changes={
            **{name: {"before": None, "after": NOT_RECORDED} for name in PROFILE_PERSONAL},
            **diff_fields(None, profile, ["is_public"]),
        },
    )
    return profile


@transaction.atomic
def tag_get_or_create(*, actor: User | None, name: str) -> Tag:
    _check_plain(name, field="tags")
    name = " ".join(name.split())[:60]
    slug = slugify(name)[:60]
    if not slug:
        raise NewsError(
            _("A tag needs letters or numbers: %(name)s") % {"name": name}, field="tags"
        )
    tag = Tag.objects.filter(slug=slug).first()
    if tag is not None:
        return tag
    tag = Tag(name=name, slug=slug)
    full_clean_or_raise(tag, NewsError)
    tag.save()
    audit_record(actor=actor, action=AuditAction.TAG_CREATED, target=tag, changes={"name": name})
    return tag


def _slug_from(title: str, limit: int = 100) -> str:
    """The title's slug, cut at a word (a hyphen) when it is longer than ``limit``."""
    slug = slugify(title)
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    return cut[: cut.rfind("-")] if "-" in cut else slug[:limit]


def _check_plain(text: str, *, field: str) -> None:
    if (found := markup_in(text)) is not None:
        what = _("The title") if field == "title" else _("A tag")
        raise NewsError(
            _("%(what)s cannot contain HTML such as %(found)s: write it as plain text")
            % {"what": what, "found": found},
            field=field,
        )


def _check_body(body: str) -> None:
    if missing := images_without_alt(body):
        raise NewsError(
            _("Give every image alternative text, like ![what it shows](%(src)s).")
            % {"src": missing[0]},
            field="body",
        )


REVISED_FIELDS = ("title", "summary", "body", "tags", "publish_at")


def _revision_record(*, actor: User | None, post: Post) -> PostRevision | None:
    """Keep what the post says now, and who saved it, if it differs from the last revision."""
    tags = ", ".join(sorted(post.tags.values_list("name", flat=True)))
    now = {"title": post.title, "summary": post.summary, "body": post.body, "tags": tags,
           "publish_at": post.publish_at}  # fmt: skip
    last = post.revisions.order_by("-number").first()
    if last is None:
        changed = list(REVISED_FIELDS)
    else:
        changed = [name for name in REVISED_FIELDS if getattr(last, name) != now[name]]
        if not changed:
            return None
    return PostRevision.objects.create(
        post=post,
        number=(last.number + 1) if last else 1,
        edited_by=actor,
        changed=changed,
        **now,
    )


def _set_tags(*, actor: User | None, post: Post, tag_names: list[str]) -> None:
    tags = [tag_get_or_create(actor=actor, name=n) for n in tag_names if n.strip()]
    post.tags.set(tags)


@transaction.atomic
def post_create(
    *,
    actor: User | None,
    author: AuthorProfile,
    title: str,
    slug: str,
    summary: str,
    body: str,
    publish_at: datetime | None = None,
    tag_names: list[str] | None = None,
) -> Post:
    """Create a post; ``publish_at`` None keeps it a draft, a future time schedules it."""
    _check_plain(title, field="title")
    _check_body(body)
    post = Post(
        author=author,
        title=title,
        slug=slug or _slug_from(title),
        summary=summary,
        body=body,
        publish_at=publish_at,
    )
    full_clean_or_raise(post, NewsError)
    post.save()
    _set_tags(actor=actor, post=post, tag_names=tag_names or [])
    _revision_record(actor=actor, post=post)
    audit_record(
        actor=actor,
        action=AuditAction.POST_CREATED,
        target=post,
        changes={
            **diff_fields(None, post, POST_AUDITED),
            "tags": sorted(post.tags.values_list("slug", flat=True)),
        },
    )
    return post


@transaction.atomic
def post_update(
    *,
    actor: User | None,
    post: Post,
    title: str,
    slug: str,
    summary: str,
    body: str,
    publish_at: datetime | None,
    tag_names: list[str],
    author: AuthorProfile | None = None,
) -> Post:
    _check_plain(title, field="title")
    _check_body(body)
    before = Post.objects.get(pk=post.pk)
    tags_before = sorted(post.tags.values_list("slug", flat=True))
    post.title, post.slug, post.summary, post.body = title, slug, summary, body
    post.publish_at = publish_at
    if author is not None:
        post.author = author
    post.updated_at = timezone.now()
    full_clean_or_raise(post, NewsError)
    post.save()
    _set_tags(actor=actor, post=post, tag_names=tag_names)
    revision = _revision_record(actor=actor, post=post)
    changes = diff_fields(before, post, [*POST_AUDITED, "body"])
    if "body" in changes:
        changes["body"] = {"before": "…", "after": "…"}  # the text itself stays in the post
    tags_after = sorted(post.tags.values_list("slug", flat=True))
    if tags_before != tags_after:
        changes["tags"] = {"before": tags_before, "after": tags_after}
    if revision is not None:
        changes["revision"] = revision.number
    audit_record(actor=actor, action=AuditAction.POST_UPDATED, target=post, changes=changes)
    return post


@transaction.atomic
def post_image_add(
    *, actor: User | None, post: Post, upload: UploadedFile, alt_text: str
) -> PostImage:
    """Store an image for a post after checking its size, real type and alt text."""
    alt_text = " ".join((alt_text or "").split())
    if not alt_text:
        raise NewsError(_("Describe the image for people who cannot see it."), field="alt_text")
    try:
        checked = check_image(upload)
    except UploadError as exc:
        raise NewsError(exc.message, field="file") from None
    image = PostImage(
        post=post, alt_text=alt_text, content_type=checked.content_type, size=checked.size
    )
    upload.name = f"{image.pk}.{checked.extension}"
    image.file.save(upload.name, upload, save=False)
    full_clean_or_raise(image, NewsError)
    image.save()
    audit_record(
        actor=actor,
        action=AuditAction.POST_IMAGE_ADDED,
        target=image,
        changes={"post": str(post.pk), "type": checked.content_type, "size": checked.size},
    )
    return image
