"""Calls close on time; drafts, single submission and uploads checked by their content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from tests.calls.factories import (
    PDF_BYTES,
    answers_for,
    applicant,
    docx_bytes,
    file_question,
    make_call,
    odt_bytes,
    submitted_application,
    upload,
)
from tests.fixturetypes import MakeUser
from whatworks.calls import errors, filetypes, selectors
from whatworks.calls.models import Application
from whatworks.calls.services import applications

pytestmark = pytest.mark.django_db


def test_a_call_is_open_only_between_its_dates() -> None:
    call = make_call()
    assert call.is_open(call.opens_at)
    assert not call.is_open(call.opens_at - timedelta(seconds=1))
    assert call.is_open(call.closes_at - timedelta(seconds=1))
    assert not call.is_open(call.closes_at)


def test_a_call_closes_by_itself(client: Client) -> None:
    now = timezone.now()
    call = make_call(opens_at=now - timedelta(days=2), closes_at=now + timedelta(minutes=5))
    user = applicant()
    applications.application_save(actor=user, call=call, answers=answers_for(call))
    with pytest.raises(errors.CallError, match="closed"):
        applications.application_save(
            actor=user, call=call, answers=answers_for(call), now=call.closes_at
        )
    anybody = applicant()
    with pytest.raises(errors.CallError, match="closed"):
        applications.application_save(
            actor=anybody, call=call, answers={}, now=call.closes_at + timedelta(days=1)
        )
    # the lists follow the clock, not a flag
    assert call in selectors.calls_open(user=anybody)
    make_call(slug="gone", opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    assert [c.slug for c in selectors.calls_closed(user=anybody)] == ["gone"]


def test_draft_then_submit_once_then_edit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    call = make_call()
    user = applicant()
    draft = applications.application_save(actor=user, call=call, answers={})
    assert draft.status == Application.Status.DRAFT
    with pytest.raises(errors.ApplicationIncompleteError) as info:
        applications.application_save(actor=user, call=call, answers={}, submit=True)
    assert set(info.value.missing) == {q.pk for q in call.questions.filter(required=True)}
    applications.application_save(
        actor=user, call=call, answers={}, files={file_question(call).pk: upload()}
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted = applications.application_save(
            actor=user, call=call, answers=answers_for(call), submit=True
        )
    assert submitted.pk == draft.pk
    assert submitted.status == Application.Status.RECEIVED
    assert submitted.attachments.get().content_type == filetypes.PDF
    assert mail.outbox[-1].to == [user.email]
    # submitted once: later saves are edits (no second receipt), never a draft again
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        applications.application_save(actor=user, call=call, answers={}, submit=True)
    assert len(mail.outbox) == sent
    with pytest.raises(errors.CallError, match="save your changes instead"):
        applications.application_save(actor=user, call=call, answers={})


def test_applicants_need_an_organisation(make_user: MakeUser) -> None:
    with pytest.raises(errors.NoOrganisationError, match="belong to an organisation"):
        applications.application_save(actor=make_user(None), call=make_call(), answers={})


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, filetypes.PDF),
        (docx_bytes(), filetypes.DOCX),
        (odt_bytes(), filetypes.ODT),
        ("Plain notes, with ünïcode.\n".encode(), filetypes.TEXT),
    ],
)
def test_accepted_types_are_recognised_by_content(content: bytes, expected: str) -> None:
    assert applications.check_upload(upload("whatever.bin", content)) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00executable"),  # a Windows program named .pdf
        ("plan.docx", b"PK\x03\x04not really a zip"),
        ("plan.pdf", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("notes.txt", b"\x00\x01\x02binary"),
        ("empty.txt", b""),
    ],
)
def test_disguised_files_are_refused(name: str, content: bytes) -> None:
    with pytest.raises(errors.CallError, match="must be a PDF"):
        applications.check_upload(upload(name, content))


def test_a_zip_without_a_document_is_not_docx() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", b"MZ")
    with pytest.raises(errors.CallError):
        applications.check_upload(upload("plan.docx", buffer.getvalue()))


def test_large_files_are_refused(settings: Settings) -> None:
    settings.WHATWORKS_CALLS_MAX_UPLOAD_MB = 0.001
    with pytest.raises(errors.CallError, match="smaller than"):
        applications.check_upload(upload("big.txt", b"a" * 2000))


def test_apply_page_saves_a_draft_and_reports_missing_answers(client: Client) -> None:
    call = make_call()
    user = applicant()
    client.force_login(user)
    url = reverse("calls:apply", args=[call.slug])
    text_q = call.questions.get(kind="text")
    response = client.post(url, {f"q_{text_q.pk}": "Jo", "action": "draft"})
    assert response.status_code == 302
    assert Application.objects.get(applicant=user).answers[str(text_q.pk)] == "Jo"
    response = client.post(url, {f"q_{text_q.pk}": "Jo", "action": "submit"})
    assert response.status_code == 200
    assert "Attach a file." in response.content.decode()
    bad = upload("plan.pdf", b"MZ\x90\x00")
    response = client.post(
        url, {f"q_{text_q.pk}": "Jo", f"q_{file_question(call).pk}": bad, "action": "submit"}
    )
    assert "must be a PDF" in response.content.decode()
    good = upload("plan.pdf")
    response = client.post(
        url, {f"q_{text_q.pk}": "Jo", f"q_{file_question(call).pk}": good, "action": "submit"}
    )
    application = Application.objects.get(applicant=user)
    assert response.status_code == 302 and response["Location"] == application.get_absolute_url()
    assert application.status == Application.Status.RECEIVED
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Received" in page
    download = client.get(
        reverse("calls:attachment", args=[application.pk, application.attachments.get().pk])
    )
    assert download.content.startswith(b"%PDF")
    assert download["Content-Disposition"] == 'attachment; filename="plan.pdf"'


def test_others_cannot_see_an_application(client: Client) -> None:
    application = submitted_application()
    client.force_login(applicant())
    assert client.get(application.get_absolute_url()).status_code == 404
