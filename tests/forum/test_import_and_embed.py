"""Importing a Pol.is export from the staff pages, and embedding a conversation on
partners' sites (an allow-list for frame-ancestors, off by default, with the headers)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.factories import user_with_role
from tests.forum.factories import make_conversation
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.forum.embed import parse_origins
from whatworks.forum.models import Conversation, Vote

pytestmark = pytest.mark.django_db

COMMENTS = (
    "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    "1600000000000,,0,0,2,0,1,Models should be explained to families\n"
    "1600000001000,,1,1,1,1,1,Social workers should decide\n"
)
VOTES = (
    "timestamp,datetime,comment-id,voter-id,vote\n"
    "1600000002000,,0,0,1\n1600000003000,,0,1,1\n1600000004000,,1,0,-1\n1600000005000,,1,1,1\n"
)


def _editor(client: Client) -> User:
    user = user_with_role(Role.EDITOR)
    from tests.factories import verify_second_factor

    client.force_login(user)
    verify_second_factor(client, user)
    return user


def _zip(files: dict[str, str]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, text in files.items():
            zipped.writestr(name, text)
    return SimpleUploadedFile("export.zip", buffer.getvalue(), content_type="application/zip")


def test_staff_import_a_zip_of_an_export(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _editor(client)
    url = reverse("forum:conversation_import")
    assert client.get(url).status_code == 200
    archive = _zip({"export/comments.csv": COMMENTS, "export/votes.csv": VOTES, "notes.txt": "x"})
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"slug": "imported", "archive": archive})
    assert response.status_code == 302, response.content.decode()[:2000]
    conversation = Conversation.objects.get(slug="imported")
    assert conversation.statements.count() == 2
    assert Vote.objects.filter(conversation=conversation).count() == 4
    assert not conversation.is_open()  # a record of a past conversation


def test_staff_import_two_csv_files_and_every_problem_at_once(client: Client) -> None:
    _editor(client)
    url = reverse("forum:conversation_import")
    make_conversation(slug="taken")
    bad = client.post(
        url,
        {
            "slug": "taken",
            "comments": SimpleUploadedFile("comments.csv", b"not,a,polis\nfile\n"),
            "votes": SimpleUploadedFile("votes.csv", VOTES.encode()),
        },
    )
    assert bad.status_code == 400
    assert "already a conversation called “taken”" in bad.content.decode()
    bad = client.post(
        url,
        {
            "slug": "fresh",
            "comments": SimpleUploadedFile("comments.csv", b"not,a,polis\nfile\n"),
            "votes": SimpleUploadedFile("votes.csv", VOTES.encode()),
        },
    )
    assert bad.status_code == 400 and "The export cannot be read" in bad.content.decode()
    assert not Conversation.objects.filter(slug="fresh").exists()
    half = client.post(url, {"slug": "fresh", "comments": SimpleUploadedFile("c.csv", b"x")})
    assert "Choose this file too" in half.content.decode()
    not_zip = client.post(url, {"slug": "fresh", "archive": SimpleUploadedFile("e.zip", b"no")})
    assert "is not a ZIP archive" in not_zip.content.decode()
    ok = client.post(
        url,
        {
            "slug": "fresh",
            "comments": SimpleUploadedFile("comments.csv", COMMENTS.encode()),
            "votes": SimpleUploadedFile("votes.csv", VOTES.encode()),
        },
    )
    assert ok.status_code == 302
    assert Conversation.objects.get(slug="fresh").statements.count() == 2


def test_a_zip_cannot_write_outside_its_folder(client: Client, tmp_path: Path) -> None:
    _editor(client)
    archive = _zip({"../../comments.csv": COMMENTS, "/abs/votes.csv": VOTES})
    response = client.post(
        reverse("forum:conversation_import"), {"slug": "safe", "archive": archive}
    )
    # only the base names are used, inside the private temporary folder
    assert response.status_code == 302
    assert not (tmp_path.parent / "comments.csv").exists()


def test_origins_are_checked() -> None:
    origins, problems = parse_origins(
        "https://partner.org.uk\nhttps://partner.org.uk/\nhttp://plain.org\n"
        "https://a.org/page\nhttps://*.org\nhttps://b.org:8443"
    )
    assert origins == ["https://partner.org.uk", "https://b.org:8443"]
    assert len(problems) == 3


def test_embedding_is_off_by_default_and_follows_the_allow_list(client: Client) -> None:
    conversation = make_conversation()
    page = reverse("forum:conversation", kwargs={"slug": conversation.slug})
    response = client.get(page)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    _editor(client)
    url = reverse("forum:conversation_embed", kwargs={"slug": conversation.slug})
    bad = client.post(url, {"origins": "http://partner.org.uk"})
    assert bad.status_code == 400 and "not a secure web address" in bad.content.decode()
    ok = client.post(url, {"origins": "https://partner.org.uk\nhttps://la.gov.uk"})
    assert ok.status_code == 302
    client.logout()
    for name in ("forum:conversation", "forum:report"):
        response = client.get(reverse(name, kwargs={"slug": conversation.slug}))
        policy = response["Content-Security-Policy"]
        assert "frame-ancestors https://partner.org.uk https://la.gov.uk" in policy, policy
        assert "X-Frame-Options" not in response
        assert "default-src 'self'" in policy  # the rest of the policy stays
    # other pages of the platform stay unframeable
    other = client.get(reverse("forum:index"))
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
    # in a partner's frame, voting opens a new tab (the cookies stay first-party)
    framed = client.get(page, headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"})
    text = framed.content.decode()
    assert "Vote on this conversation" in text and 'target="_blank"' in text
    # switched off again: no site may frame it
    _editor(client)
    client.post(url, {"origins": ""})
    client.logout()
    assert "frame-ancestors 'none'" in client.get(page)["Content-Security-Policy"]
