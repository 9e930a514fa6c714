"""Editing posts: a preview that saves nothing, revisions saying who changed what, one
picture placed once, and titles and tags that are plain text."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_role
from tests.news import factories as f
from whatworks.core.roles import Role
from whatworks.news.errors import NewsError
from whatworks.news.models import Post, PostRevision, Tag
from whatworks.news.services import posts as posts_services

pytestmark = pytest.mark.django_db


def _form(post: Post, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": post.title,
        "slug": post.slug,
        "summary": post.summary,
        "body": post.body,
        "author": post.author_id,
        "tags": "",
        "publish_at": "",
    }
    data.update(changes)
    return data


def test_a_preview_shows_the_post_and_saves_nothing(client: Client) -> None:
    post = f.post(title="Before")
    client.force_login(user_with_role(Role.EDITOR))
    page = client.post(
        reverse("news:post_edit", args=[post.pk]),
        _form(post, title="After", body="A **bold** claim.", action="preview"),
    ).content.decode()
    assert "Preview (not saved yet)" in page and "<strong>bold</strong>" in page
    post.refresh_from_db()
    assert post.title == "Before"
    assert post.revisions.count() == 1


def test_each_save_keeps_a_revision_saying_who_changed_what(client: Client) -> None:
    post = f.post(title="First title", body="line one\nline two\n", publish_at=None)
    editor = user_with_role(Role.EDITOR, full_name="Ada Editor")
    client.force_login(editor)
    client.post(
        reverse("news:post_edit", args=[post.pk]),
        _form(post, title="Second title", body="line one\nline 2\n", tags="Practice"),
    )
    client.post(
        reverse("news:post_edit", args=[post.pk]),
        _form(Post.objects.get(pk=post.pk), tags="Practice"),
    )
    revisions = list(PostRevision.objects.filter(post=post).order_by("number"))
    assert [r.number for r in revisions] == [1, 2]  # the unchanged save made none
    assert revisions[1].edited_by == editor
    assert revisions[1].changed == ["title", "body", "tags"]
    page = client.get(reverse("news:post_revisions", args=[post.pk])).content.decode()
    assert "Revision 2" in page and "Ada Editor" in page
    assert "What changed" in page and "Title, Body, Tags" in page
    assert "<del>First title</del> <ins>Second title</ins>" in page
    assert "<del>\u2212 line two</del>" in page and "<ins>+ line 2</ins>" in page


def test_an_image_used_in_the_body_is_not_shown_again_above_it(client: Client) -> None:
    post = f.post()
    image = posts_services.post_image_add(
        actor=None,
        post=post,
        upload=SimpleUploadedFile("x.png", f.PNG, content_type="image/png"),
        alt_text="A chart of referrals",
    )
    page = client.get(post.get_absolute_url()).content.decode()
    assert page.count(image.get_absolute_url()) == 1  # the lead picture
    posts_services.post_update(
        actor=None, post=post, title=post.title, slug=post.slug, summary=post.summary,
        body=f"Look: ![A chart of referrals]({image.get_absolute_url()})",
        publish_at=post.publish_at, tag_names=[],
    )  # fmt: skip
    page = client.get(post.get_absolute_url()).content.decode()
    assert page.count(image.get_absolute_url()) == 1  # in the body only


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "title",
            "Practice notes <i>family</i>",
            "The title cannot contain HTML such as &lt;i&gt;",
        ),
        ("tags", "practice, <b>family</b>", "A tag cannot contain HTML such as &lt;b&gt;"),
    ],
)
def test_markup_in_titles_and_tags_is_refused_with_a_message(
    client: Client, field: str, value: str, message: str
) -> None:
    author = f.author()
    client.force_login(user_with_role(Role.EDITOR))
    page = client.post(
        reverse("news:post_new"),
        {"title": "Plain", "summary": "S", "body": "B", "author": author.pk, field: value},
    ).content.decode()
    assert message in page
    assert not Post.objects.exists() and not Tag.objects.filter(slug__contains="family").exists()


def test_the_services_refuse_markup_too_so_no_slug_is_made_from_it() -> None:
    with pytest.raises(NewsError, match="HTML"):
        f.post(title="Practice notes <i>family</i> courts")
    with pytest.raises(NewsError, match="HTML"):
        f.post(tags=["<em>family</em>"])
    assert not Post.objects.filter(slug__contains="ifamilyi").exists()


def test_a_long_title_makes_a_slug_cut_at_a_word() -> None:
    title = "A very long title " * 10
    post = posts_services.post_create(
        actor=None, author=f.author(), title=title, slug="", summary="S", body="B"
    )
    full = "-".join(["a-very-long-title"] * 10)
    assert len(post.slug) <= 100 and not post.slug.endswith("-")
    assert full.startswith(post.slug + "-")  # whole words only
