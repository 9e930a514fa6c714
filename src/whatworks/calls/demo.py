"""Demo calls for partners: two open calls and one closed, with applications.

Idempotent: calls are found by slug, applications by (call, applicant).  Applications use
the demo accounts of :mod:`whatworks.core.demo`; e-mails to them are kept in memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from whatworks.calls.models import Application, Call, Question
from whatworks.calls.services.applications import application_save
from whatworks.calls.services.calls import call_create, criterion_create, question_create
from whatworks.calls.services.review import (
    application_decide,
    conflict_declare,
    review_submit,
    reviewer_assign,
)
from whatworks.core.demo import Writer, demo_project_reference
from whatworks.core.models import User

CRITERIA = (
    ("Readiness", "Leadership support, a named lead and time set aside."),
    ("Data", "Access to the records the study needs, and the skills to prepare them."),
    ("Ethics and voice", "Plans to involve families and young people."),
)


def _call(slug: str, **fields: object) -> tuple[Call, bool]:
    call = Call.objects.filter(slug=slug).first()
    if call is not None:
        return call, False
    call = call_create(actor=None, slug=slug, **fields)
    for label, description in CRITERIA:
        criterion_create(actor=None, call=call, label=label, description=description)
    question_create(actor=None, call=call, kind=Question.Kind.TEXT, label="Name of the lead")
    question_create(
        actor=None,
        call=call,
        kind=Question.Kind.LONG_TEXT,
        label="Why does your organisation want to take part?",
    )
    question_create(
        actor=None,
        call=call,
        kind=Question.Kind.YES_NO,
        label="Has your director of children's services agreed?",
    )
    question_create(
        actor=None,
        call=call,
        kind=Question.Kind.FILE,
        label="Data protection impact assessment",
        hint="PDF, Word, OpenDocument or plain text, up to 5 MB.",
        required=False,
    )
    return call, True


def _apply(call: Call, user: User, *, when: datetime, text: str) -> Application:
    found = Application.objects.filter(call=call, applicant=user).first()
    if found is not None:
        return found
    questions = {q.kind: q for q in call.questions.all()}
    answers = {
        str(questions[Question.Kind.TEXT].pk): user.full_name,
        str(questions[Question.Kind.LONG_TEXT].pk): text,
        str(questions[Question.Kind.YES_NO].pk): "yes",
    }
    dpia = SimpleUploadedFile("dpia.txt", b"Data protection impact assessment (demo).\n")
    return application_save(
        actor=user,
        call=call,
        answers=answers,
        files={questions[Question.Kind.FILE].pk: dpia},
        submit=True,
        now=when,
    )


def _review(
    call: Call, editor: User, researcher: User, admin: User, first: Application, second: Application
) -> None:
    """Two reviewers each: on the first they disagree (80 and 40 of 100), on the second the
    administrator declares a conflict of interest; then the decisions."""
    criteria = list(call.criteria.all())
    for application in (first, second):
        for reviewer in (researcher, admin):
            reviewer_assign(actor=editor, application=application, reviewer=reviewer)
    scores = ((first, researcher, 4), (first, admin, 2), (second, researcher, 2))
    for application, reviewer, score in scores:
        review_submit(
            actor=reviewer,
            application=application,
            scores={c.pk: score for c in criteria},
            comment="Demo review.",
        )
    conflict_declare(
        actor=admin,
        application=second,
        note="I chaired this authority's safeguarding board until last year.",
    )
    application_decide(actor=editor, application=first, status="shortlisted")
    application_decide(actor=editor, application=first, status="accepted")
    application_decide(actor=editor, application=second, status="declined")


def load(*, stdout: Writer) -> None:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        _load(stdout)


def _load(stdout: Writer) -> None:
    now = timezone.now()
    users = {u.email: u for u in User.objects.filter(email__endswith="@demo.test")}
    analyst_a, analyst_b = users.get("analyst.a@demo.test"), users.get("analyst.b@demo.test")
    researcher, editor = users.get("researcher@demo.test"), users.get("editor@demo.test")
    predictive, new_predictive = _call(
        "predictive-analytics-pilot-authorities",
        title="Local authorities to pilot predictive analytics",
        summary=(
            "We are looking for four local authorities to pilot a predictive model that flags "
            "referrals likely to escalate, under a pre-registered protocol with a fairness audit."
        ),
        eligibility=(
            "English local authorities with a children's services data team, at least two "
            "years of case records, and a director who supports the pilot."
        ),
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=35),
        project_ref=demo_project_reference(title_contains="predictive"),
    )
    schwartz, new_schwartz = _call(
        "schwartz-rounds-research-partners",
        title="Research partners for Schwartz Rounds in children's services",
        summary=(
            "Partners to study whether Schwartz Rounds reduce burnout and turnover among "
            "children's social workers, in a stepped-wedge trial."
        ),
        eligibility="Local authorities, trusts and universities in England.",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=60),
        project_ref=demo_project_reference(title_contains="Schwartz"),
    )
    if new_schwartz:  # asked first, before the full form
        question_create(
            actor=None,
            call=schwartz,
            kind=Question.Kind.YES_NO,
            label="Do you employ children's social workers in England?",
            eligible_answer="yes",
            position=0,
        )
    forums, new_forums = _call(
        "deliberative-forum-hosts-2026",
        title="Host authorities for deliberative forums",
        summary="Local authorities to host the spring series of deliberative forums.",
        eligibility="English local authorities.",
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=30),
        project_ref="",
    )
    admin = users.get("admin@demo.test")
    if analyst_a and new_predictive:
        text = "Our referrals rose 20% in two years."
        pending = _apply(predictive, analyst_a, when=now, text=text)
        if researcher and editor:
            reviewer_assign(actor=editor, application=pending, reviewer=researcher)
    if analyst_a and analyst_b and new_forums:
        when = forums.opens_at + timedelta(days=5)
        first = _apply(forums, analyst_a, when=when, text="We ran a citizens' jury in 2024.")
        second = _apply(forums, analyst_b, when=when, text="We want to hear from families.")
        if researcher and editor and admin:
            _review(forums, editor, researcher, admin, first, second)
    stdout.write(
        f"  calls: {Call.objects.count()} calls, {Application.objects.count()} applications\n"
    )
