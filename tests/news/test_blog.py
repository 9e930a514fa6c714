"""Posts: scheduling, author and tag pages, feeds, images and the editors' pages."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import user_with_role
from tests.news import factories as f
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.news.errors import NewsError
from whatworks.news.models import Post
from whatworks.news.selectors import posts_published
from whatworks.news.services import posts
from whatworks.news.uploads import MAX_IMAGE_BYTES

pytestmark = pytest.mark.django_db


def test_a_scheduled_post_is_invisible_until_its_time(client: Client) -> None:
    soon = timezone.now() + timedelta(hours=2)
    scheduled = f.post(publish_at=soon, title="Coming soon")
    draft = f.post(publish_at=None, title="Just a draft")
    live = f.post(title="Already out")
    url = reverse("news:post", args=[scheduled.slug])

    assert client.get(url).status_code == 404
    assert client.get(reverse("news:post", args=[draft.slug])).status_code == 404
    index = client.get(reverse("news:index")).content.decode()
    assert "Already out" in index and "Coming soon" not in index and "Just a draft" not in index
    assert list(posts_published()) == [live]

    # Nothing flips a flag: once the time has passed, the post is simply there.
    assert posts_published(now=soon + timedelta(seconds=1)).first() == scheduled
    Post.objects.filter(pk=scheduled.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 200
    feed = client.get(reverse("news:feed_rss")).content.decode()
    assert "Coming soon" in feed


def test_editors_see_drafts_and_scheduled_posts(client: Client) -> None:
    scheduled = f.post(publish_at=timezone.now() + timedelta(days=3))
    client.force_login(user_with_role(Role.EDITOR))
    page = client.get(reverse("news:post", args=[scheduled.slug])).content.decode()
    assert "Scheduled: visible to everyone from" in page


def test_author_and_tag_pages_list_published_posts(client: Client) -> None:
    director = f.author(slug="executive-director", display_name="Dana Director")
    f.post(by=director, title="Monthly blog: November", tags=["Leadership", "Practice"])
    f.post(by=director, title="Future blog", publish_at=timezone.now() + timedelta(days=1))
    page = client.get(reverse("news:author", args=["executive-director"])).content.decode()
    assert "Dana Director" in page and "Monthly blog: November" in page
    assert "Future blog" not in page
    tag_page = client.get(reverse("news:tag", args=["leadership"])).content.decode()
    assert "Monthly blog: November" in tag_page
    assert client.get(reverse("news:tag", args=["nothing"])).status_code == 404


def test_a_private_author_has_no_public_page(client: Client) -> None:
    hidden = f.author(is_public=False)
    assert client.get(reverse("news:author", args=[hidden.slug])).status_code == 404


def test_feeds_are_valid_and_announced_in_the_head(client: Client) -> None:
    f.post(title="Evidence & practice", body="<script>x()</script> **bold**", tags=["Research"])
    f.post(title="Hidden", publish_at=timezone.now() + timedelta(days=1))
    rss = client.get(reverse("news:feed_rss"))
    assert rss["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(rss.content).find("channel")  # noqa: S314
    assert channel is not None
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles == ["Evidence & practice"]
    description = channel.find("item/description")
    assert description is not None and "<strong>bold</strong>" in (description.text or "")
    assert "<script" not in (description.text or "")

    atom = client.get(reverse("news:feed_atom"))
    assert atom["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(atom.content)  # noqa: S314
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == ["Evidence & practice"]

    head = client.get(reverse("news:index")).content.decode().split("</head>")[0]
    rss_link = 'rel="alternate" type="application/rss+xml" title="whatworks news (RSS)"'
    assert f'{rss_link} href="{reverse("news:feed_rss")}"' in head
    assert 'type="application/atom+xml"' in head and reverse("news:feed_atom") in head


@pytest.mark.parametrize(
    ("content", "kind"), [(f.PNG, "image/png"), (f.JPEG, "image/jpeg"), (f.WEBP, "image/webp")]
)
def test_images_are_typed_by_their_content(client: Client, content: bytes, kind: str) -> None:
    post = f.post()
    upload = SimpleUploadedFile("photo.gif", content, content_type="application/octet-stream")
    image = posts.post_image_add(actor=None, post=post, upload=upload, alt_text="A team")
    assert image.content_type == kind
    assert not image.file.name.endswith(".gif")
    response = client.get(image.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == kind
    assert response.content == content


@pytest.mark.parametrize(
    ("content", "alt", "field"),
    [
        (b"<html><script>alert(1)</script></html>", "Text", "file"),
        (b"GIF89a" + b"\x00" * 20, "Text", "file"),
        (b"", "Text", "file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES, "Text", "file"),
        (f.PNG, "   ", "alt_text"),
    ],
)
def test_bad_uploads_are_refused_before_storing(content: bytes, alt: str, field: str) -> None:
    post = f.post()
    upload = SimpleUploadedFile("x.png", content, content_type="image/png")
    with pytest.raises(NewsError) as caught:
        posts.post_image_add(actor=None, post=post, upload=upload, alt_text=alt)
    assert caught.value.field == field
    assert post.images.count() == 0


def test_images_of_unpublished_posts_are_hidden(client: Client) -> None:
    post = f.post(publish_at=None)
    image = posts.post_image_add(
        actor=None, post=post, upload=SimpleUploadedFile("x.png", f.PNG), alt_text="Plan"
    )
    assert client.get(image.get_absolute_url()).status_code == 404


def test_markdown_images_need_alt_text() -> None:
    with pytest.raises(NewsError) as caught:
        f.post(body="Look: ![](chart.png)")
    assert caught.value.field == "body"


def test_an_editor_writes_schedules_and_edits_a_post(client: Client) -> None:
    editor = user_with_role(Role.EDITOR)
    writer = f.author(display_name="Pat Practice")
    client.force_login(editor)
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    response = client.post(
        reverse("news:post_new"),
        {
            "title": "Family group conferences",
            "slug": "",
            "summary": "What we learnt.",
            "body": "## Findings\n\nIt <script>x</script> works.",
            "author": writer.pk,
            "tags": "Practice, Family support",
            "publish_at": when,
        },
    )
    post = Post.objects.get(slug="family-group-conferences")
    assert response.status_code == 302
    assert response["Location"] == reverse("news:post_edit", args=[post.pk])
    assert not post.is_published()
    assert sorted(post.tags.values_list("slug", flat=True)) == ["family-support", "practice"]
    entry = AuditEntry.objects.get(action="post.created")
    assert entry.actor == editor and entry.object_id == str(post.pk)

    response = client.post(
        reverse("news:post_edit", args=[post.pk]),
        {
            "title": "Family group conferences",
            "slug": "family-group-conferences",
            "summary": "What we learnt.",
            "body": "![](no-alt.png)",
            "author": writer.pk,
            "tags": "",
            "publish_at": when,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "Give every image alternative text" in page


def test_editor_pages_show_form_errors_in_a_summary(client: Client) -> None:
    client.force_login(user_with_role(Role.EDITOR))
    f.author()
    page = client.post(reverse("news:post_new"), {"title": ""}).content.decode()
    assert "There is a problem" in page and 'href="#id_title"' in page
