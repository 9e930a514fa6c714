"""Calls and applications for tests, made through the services."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import OrganisationFactory, user_with_role
from whatworks.calls.models import Application, Call, Question
from whatworks.calls.services.accounts import PendingAccount, pending_account_token
from whatworks.calls.services.applications import application_save
from whatworks.calls.services.calls import call_create, criterion_create, question_create
from whatworks.core.models import User

_counter = iter(range(1, 1_000_000))

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(name: str = "plan.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def make_call(**overrides: Any) -> Call:
    n = next(_counter)
    now = timezone.now()
    fields: dict[str, Any] = {
        "slug": f"call-{n}",
        "title": f"Pilot predictive analytics {n}",
        "summary": "Local authorities to pilot a predictive model.",
        "eligibility": "English local authorities with a children's services data team.",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "project_ref": "",
    }
    fields.update(overrides)
    call = call_create(actor=None, **fields)
    criterion_create(actor=None, call=call, label="Readiness", max_score=5)
    criterion_create(actor=None, call=call, label="Data quality", max_score=5)
    question_create(actor=None, call=call, kind=Question.Kind.TEXT, label="Lead contact")
    question_create(actor=None, call=call, kind=Question.Kind.FILE, label="Data plan")
    question_create(
        actor=None, call=call, kind=Question.Kind.NUMBER, label="Caseload", required=False
    )
    return call


def applicant(**kwargs: Any) -> User:
    return user_with_role(None, organisation=OrganisationFactory.create(), **kwargs)


def answers_for(call: Call) -> dict[str, str]:
    text = call.questions.get(kind=Question.Kind.TEXT)
    return {str(text.pk): "Jo Bloggs"}


def file_question(call: Call) -> Question:
    return call.questions.get(kind=Question.Kind.FILE)


def submitted_application(call: Call | None = None, user: User | None = None) -> Application:
    call = call or make_call()
    user = user or applicant()
    return application_save(
        actor=user,
        call=call,
        answers=answers_for(call),
        files={file_question(call).pk: upload()},
        submit=True,
    )


def call_kwargs() -> dict[str, object]:
    return {"slug": make_call().slug}


def application_kwargs() -> dict[str, object]:
    return {"application_id": submitted_application().pk}


def attachment_kwargs() -> dict[str, object]:
    application = submitted_application()
    return {
        "application_id": application.pk,
        "attachment_id": application.attachments.get().pk,
    }


def question_kwargs() -> dict[str, object]:
    call = make_call()
    question = call.questions.first()
    assert question is not None
    return {"slug": call.slug, "question_id": question.pk}


def criterion_kwargs() -> dict[str, object]:
    call = make_call()
    criterion = call.criteria.first()
    assert criterion is not None
    return {"slug": call.slug, "criterion_id": criterion.pk}


def assign(application: Application, reviewer: User) -> None:
    """Assign ``reviewer`` to ``application`` as an editor would."""
    from whatworks.calls.services.review import reviewer_assign
    from whatworks.core.roles import Role

    reviewer_assign(actor=user_with_role(Role.EDITOR), application=application, reviewer=reviewer)


def scored(application: Application, *values: int) -> Application:
    """``application`` scored by one new researcher per value (every criterion that value)."""
    from whatworks.calls.services.review import review_submit
    from whatworks.core.roles import Role

    for value in values or (3,):
        reviewer = user_with_role(Role.RESEARCHER)
        assign(application, reviewer)
        review_submit(
            actor=reviewer,
            application=application,
            scores={c.pk: value for c in application.call.criteria.all()},
        )
    return application


def assignment_kwargs() -> dict[str, object]:
    from whatworks.core.roles import Role

    application = submitted_application()
    assign(application, user_with_role(Role.RESEARCHER))
    return {"application_id": application.pk, "assignment_id": application.assignments.get().pk}


def join_request(organisation: Any = None) -> Any:
    """A registered person without an organisation asking to join ``organisation``."""
    from whatworks.calls.services.accounts import join_request_create

    return join_request_create(
        actor=user_with_role(None), organisation=organisation or OrganisationFactory.create()
    )


def join_request_kwargs() -> dict[str, object]:
    return {"request_id": join_request().pk}


def account_token_kwargs() -> dict[str, object]:
    pending = PendingAccount(full_name="Jo New", email="jo.new@example.test", organisation=None)
    return {"token": pending_account_token(pending)}


def eligibility_call() -> Call:
    """A call whose first question screens: only those who answer yes may apply."""
    call = make_call()
    question_create(
        actor=None,
        call=call,
        kind=Question.Kind.YES_NO,
        label="Are you an English local authority?",
        eligible_answer="yes",
        position=0,
    )
    return call


def screening_question(call: Call) -> Question:
    return call.questions.exclude(eligible_answer="").get()
