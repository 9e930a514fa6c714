"""What each role may see of unpublished things: editors and admins yes, others 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ROLES
from tests.fixturetypes import ClientFor
from tests.news import factories as f
from whatworks.news.services import posts

EDITORS = {"editor", "admin"}


def _draft_post() -> str:
    return reverse("news:post", args=[f.post(publish_at=None).slug])


def _scheduled_post() -> str:
    return reverse("news:post", args=[f.post(publish_at=timezone.now() + timedelta(days=1)).slug])


def _draft_issue() -> str:
    return reverse("news:archive_issue", args=[f.draft_issue().slug])


def _private_author() -> str:
    return reverse("news:author", args=[f.author(is_public=False).slug])


def _image_of_a_draft() -> str:
    image = posts.post_image_add(
        actor=None,
        post=f.post(publish_at=None),
        upload=SimpleUploadedFile("x.png", f.PNG),
        alt_text="A diagram",
    )
    return reverse("news:image", args=[image.pk])


UNPUBLISHED: dict[str, Any] = {
    "draft post": _draft_post,
    "scheduled post": _scheduled_post,
    "draft issue": _draft_issue,
    "private author": _private_author,
    "image of a draft": _image_of_a_draft,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", sorted(UNPUBLISHED))
def test_unpublished_things_are_404_except_for_editors(
    client_for: ClientFor, role: str, what: str
) -> None:
    client = client_for(role)
    url = UNPUBLISHED[what]()
    assert client.get(url).status_code == (200 if role in EDITORS else 404)
