"""Marking invitations bounced from pasted addresses or a CSV: the page and the service."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.panel.factories import make_invitation, make_member, make_poll, researcher
from whatworks.core.models import AuditEntry
from whatworks.panel.forms import parse_addresses
from whatworks.panel.services.answering import invitation_open
from whatworks.panel.services.invitations import invitations_mark_bounced

pytestmark = pytest.mark.django_db


def test_parse_addresses_reads_lists_and_csv() -> None:
    found, bad = parse_addresses(
        "A@Example.test, b@example.test; junk\n<c@example.test>", strict=True
    )
    assert found == ["a@example.test", "b@example.test", "c@example.test"]
    assert bad == ["junk"]
    csv_text = 'email,reason\n"d@example.test",550 no such user\nnot@valid@x,full\n'
    found, bad = parse_addresses(csv_text, strict=False)
    assert found == ["d@example.test"]
    assert bad == ["not@valid@x"]


def test_the_service_marks_only_unopened_invitations_and_reports_the_rest() -> None:
    poll = make_poll()
    bounced, _ = make_invitation(poll=poll, member=make_member(email="gone@example.test"))
    opened, _ = make_invitation(poll=poll, member=make_member(email="open@example.test"))
    invitation_open(invitation=opened)
    other_poll_member = make_member(email="elsewhere@example.test")
    make_invitation(member=other_poll_member)  # another poll's invitation is not touched
    report = invitations_mark_bounced(
        actor=None,
        poll=poll,
        emails=["GONE@example.test", "open@example.test", "elsewhere@example.test", "x@y.test"],
    )
    assert report.marked == 1 and report.unchanged == 1
    assert report.unmatched == ("elsewhere@example.test", "x@y.test")
    bounced.refresh_from_db()
    opened.refresh_from_db()
    assert bounced.disposition == "bounced" and opened.disposition == "opened"
    entry = AuditEntry.objects.get(action="panel.invitations_bounced")
    assert entry.changes == {"marked": 1, "unchanged": 1, "unmatched": 2}
    assert "@" not in str(entry.changes)


def test_the_page_takes_a_paste_or_a_csv(client: Client) -> None:
    owner = researcher()
    poll = make_poll(actor=owner)
    first, _ = make_invitation(poll=poll, member=make_member(email="one@example.test"))
    second, _ = make_invitation(poll=poll, member=make_member(email="two@example.test"))
    client.force_login(owner)
    url = reverse("panel:bounces", kwargs={"slug": poll.slug})
    assert client.get(url).status_code == 200

    response = client.post(url, {"addresses": "one@example.test\nnobody@example.test\nhello"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 invitation marked bounced" in text
    assert "1 address matched no invitation" in text and "hello" in text
    assert "nobody@example.test" not in text, "counts only: no address is named"
    first.refresh_from_db()
    assert first.disposition == "bounced"

    upload = SimpleUploadedFile("bounces.csv", b"address\ntwo@example.test\n", "text/csv")
    response = client.post(url, {"addresses": "", "file": upload})
    assert "1 invitation marked bounced" in response.content.decode()
    second.refresh_from_db()
    assert second.disposition == "bounced"

    response = client.post(url, {"addresses": ""})
    assert response.status_code == 400
    assert "Paste some addresses" in response.content.decode()
    upload = SimpleUploadedFile("bad.csv", b"\xff\xfe\x00bad", "text/csv")
    response = client.post(url, {"file": upload})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()


def test_the_page_is_for_researchers_only(client: Client) -> None:
    poll = make_poll()
    member = make_member()
    assert member.user is not None
    client.force_login(member.user)
    url = reverse("panel:bounces", kwargs={"slug": poll.slug})
    assert client.post(url, {"addresses": "a@example.test"}).status_code == 403


def test_only_the_owner_or_a_panel_manager_may_mark_bounces(client: Client) -> None:
    from django.contrib.auth.models import Permission

    poll = make_poll(actor=researcher())
    member_invitation, _ = make_invitation(poll=poll, member=make_member(email="x@example.test"))
    url = reverse("panel:bounces", kwargs={"slug": poll.slug})
    other = researcher()
    client.force_login(other)
    assert client.get(url).status_code == 403
    assert client.post(url, {"addresses": "x@example.test"}).status_code == 403
    member_invitation.refresh_from_db()
    assert member_invitation.disposition == "invited"
    manager = researcher()
    manager.user_permissions.add(Permission.objects.get(codename="change_invitation"))
    client.force_login(manager)
    assert client.get(url).status_code == 200
