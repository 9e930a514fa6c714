"""Applicants: their own account, joining an organisation, eligibility questions, editing
and withdrawing until the deadline, and deadline reminders."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from tests.calls.factories import (
    account_token_kwargs,
    answers_for,
    applicant,
    eligibility_call,
    file_question,
    join_request,
    make_call,
    screening_question,
    submitted_application,
    upload,
)
from tests.confirm import post_confirmed
from tests.factories import OrganisationFactory, user_with_role
from tests.fixturetypes import ClientResponse
from whatworks.calls import errors, selectors
from whatworks.calls.models import Application, Call
from whatworks.calls.services import accounts as accounts_services
from whatworks.calls.services import applications
from whatworks.calls.services import calls as calls_services
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.models import AuditEntry, User
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db

Status = Application.Status


# --- accounts and organisations ------------------------------------------------------


PASSWORD = "a long enough passphrase 42"


def _ask_for_account(client: Client, email: str, **extra: object) -> ClientResponse:
    data: dict[str, object] = {"full_name": "Jo Bloggs", "email": email, **extra}
    return client.post(reverse("calls:account_new"), data)


def _link_in(body: str) -> str:
    (link,) = re.findall(r"https?://\S+/calls/account/new/\S+/", body)
    return str(urlsplit(link).path)


def test_someone_new_creates_an_account_from_the_emailed_link_and_asks_to_join(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    organisation = OrganisationFactory.create()
    member = user_with_role(None, organisation=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask_for_account(client, "Jo@Example.test", organisation=organisation.pk)
    assert response.status_code == 302 and response["Location"] == reverse("calls:account_sent")
    assert not User.objects.filter(email__iexact="jo@example.test").exists()  # not yet
    (link_mail,) = mail.outbox
    assert link_mail.to == ["Jo@Example.test"]
    link = _link_in(str(link_mail.body))
    page = client.get(link).content.decode()
    assert "Jo Bloggs" in page and organisation.name in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("calls:join")
    user = User.objects.get(email="jo@example.test")
    assert user.organisation_id is None  # not until someone confirms
    assert user.check_password(PASSWORD)
    entries = AuditEntry.objects.filter(action="user.registered_to_apply")
    assert entries.filter(object_id=str(user.pk)).exists()
    join_mail = mail.outbox[-1]
    assert join_mail.bcc == [member.email] and "Jo Bloggs" in join_mail.body
    page = client.get(reverse("calls:join")).content.decode()
    assert "You asked to join" in page
    client.logout()
    again = client.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    assert "exists already" in again.content.decode()  # a link makes one account, once
    assert User.objects.filter(email__iexact="jo@example.test").count() == 1


def test_asking_for_an_account_does_not_say_whether_the_address_has_one(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    holder = user_with_role(None, email="taken@example.test")
    holder.set_password("the holder's own password 7")
    holder.save()
    with django_capture_on_commit_callbacks(execute=True):
        taken = _ask_for_account(client, "Taken@Example.test")
    with django_capture_on_commit_callbacks(execute=True):
        new = _ask_for_account(client, "new@example.test")
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert taken["Location"] == reverse("calls:account_sent")
    assert "Check your e-mail" in client.get(taken["Location"]).content.decode()
    to_holder, to_new = mail.outbox
    assert to_holder.to == ["taken@example.test"] and to_new.to == ["new@example.test"]
    assert reverse("core:login") in to_holder.body
    assert reverse("core:password_reset") in to_holder.body
    assert "/calls/account/new/" not in to_holder.body  # no link to make a second account
    holder.refresh_from_db()
    assert holder.check_password("the holder's own password 7")  # untouched
    assert User.objects.filter(email__iexact="taken@example.test").count() == 1
    assert not User.objects.filter(email="new@example.test").exists()


def test_asking_for_accounts_is_throttled_per_client_and_per_address(
    client: Client, throttle_clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert _ask_for_account(client, "jo@example.test").status_code == 302
        fourth = _ask_for_account(client, "jo@example.test")
    # over the address's limit: the same answer, and no e-mail
    assert fourth.status_code == 302 and fourth["Location"] == reverse("calls:account_sent")
    assert len(mail.outbox) == 3
    for number in range(6):
        assert _ask_for_account(client, f"other{number}@example.test").status_code == 302
    refused = _ask_for_account(client, "one.more@example.test")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    throttle_clock.advance(2 * 3600)
    assert _ask_for_account(client, "one.more@example.test").status_code == 302


def test_a_weak_password_or_an_altered_link_is_refused(client: Client) -> None:
    link = reverse("calls:account_confirm", kwargs=account_token_kwargs())
    page = client.post(link, {"password": "123", "password_again": "123"}).content.decode()
    assert "There is a problem" in page
    assert not User.objects.filter(email="jo.new@example.test").exists()
    response = client.get(link[:-3] + "xx/")
    assert response.status_code == 404
    assert "Create an account to apply" in response.content.decode()


def test_a_member_of_the_organisation_approves_and_the_person_may_apply(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    request = join_request()
    member = user_with_role(None, organisation=request.organisation)
    client.force_login(member)
    assert (
        request.user.get_full_name() in client.get(reverse("calls:join_requests")).content.decode()
    )
    url = reverse("calls:join_decide", args=[request.pk])
    with django_capture_on_commit_callbacks(execute=True):
        post_confirmed(client, url, {"decision": "approve"})
    person = User.objects.get(pk=request.user_id)
    assert person.organisation_id == request.organisation_id
    assert mail.outbox[-1].bcc == [person.email]
    assert AuditEntry.objects.filter(action="organisation.join_approved").exists()
    applications.application_save(actor=person, call=make_call(), answers={})  # may apply now


def test_outsiders_cannot_see_or_decide_a_request(client: Client) -> None:
    request = join_request()
    outsider = user_with_role(None, organisation=OrganisationFactory.create())
    with pytest.raises(Http404):
        selectors.join_request_get_for_user(user=outsider, request_id=request.pk)
    client.force_login(outsider)
    response = client.post(reverse("calls:join_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 404
    with pytest.raises(PermissionDeniedError):
        accounts_services.join_request_decide(actor=request.user, request=request, approve=True)
    admin = user_with_role(Role.ADMIN)
    accounts_services.join_request_decide(actor=admin, request=request, approve=False)
    assert User.objects.get(pk=request.user_id).organisation_id is None
    with pytest.raises(errors.JoinError, match="decided already"):
        accounts_services.join_request_decide(actor=admin, request=request, approve=True)


# --- eligibility ---------------------------------------------------------------------


def test_eligibility_questions_screen_before_the_full_form(client: Client) -> None:
    call = eligibility_call()
    question = screening_question(call)
    user = applicant()
    client.force_login(user)
    apply_url = reverse("calls:apply", args=[call.slug])
    screen_url = reverse("calls:eligibility", args=[call.slug])
    assert client.get(apply_url)["Location"] == screen_url
    page = client.post(screen_url, {f"q_{question.pk}": "no"}).content.decode()
    assert "not open to you" in page
    assert not Application.objects.filter(call=call, applicant=user).exists()  # nothing kept
    assert client.post(screen_url, {f"q_{question.pk}": "yes"})["Location"] == apply_url
    page = client.get(apply_url).content.decode()
    assert "Lead contact" in page and question.label not in page
    draft = Application.objects.get(call=call, applicant=user)
    assert draft.answers[str(question.pk)] == "yes"


def test_without_an_organisation_the_refusal_is_read_on_the_form_not_a_403(
    client: Client,
) -> None:
    call = eligibility_call()
    question = screening_question(call)
    client.force_login(user_with_role(None))  # signed in, in no organisation
    refusal = "Only people who belong to an organisation can apply. Ask to join yours"
    screen = client.post(
        reverse("calls:eligibility", args=[call.slug]), {f"q_{question.pk}": "yes"}
    )
    assert screen.status_code == 200
    assert [e for e in screen.context["form"].non_field_errors() if e.startswith(refusal)]
    plain = make_call()
    text = plain.questions.get(kind="text")
    apply = client.post(reverse("calls:apply", args=[plain.slug]), {f"q_{text.pk}": "Jo"})
    assert apply.status_code == 200
    assert [e for e in apply.context["form"].non_field_errors() if e.startswith(refusal)]
    assert not Application.objects.exists()


def test_submission_checks_the_eligibility_answers_too() -> None:
    call = eligibility_call()
    question = screening_question(call)
    user = applicant()
    answers = {**answers_for(call), str(question.pk): "no"}
    with pytest.raises(errors.ApplicationIncompleteError) as caught:
        applications.application_save(
            actor=user,
            call=call,
            answers=answers,
            files={file_question(call).pk: upload()},
            submit=True,
        )
    assert question.pk in caught.value.missing


def test_only_a_yes_or_no_question_screens() -> None:
    with pytest.raises(errors.CallError, match="yes-or-no"):
        calls_services.question_create(
            actor=None, call=make_call(), kind="text", label="Name", eligible_answer="yes"
        )


# --- editing and withdrawing -----------------------------------------------------------


def test_a_submitted_application_is_edited_until_the_deadline(client: Client) -> None:
    application = submitted_application()
    call = application.call
    text = call.questions.get(kind="text")
    client.force_login(application.applicant)
    url = reverse("calls:apply", args=[call.slug])
    page = client.get(url).content.decode()
    assert "Save changes" in page and "Already attached:" in page and "plan.pdf" in page
    client.post(url, {f"q_{text.pk}": "Sam Smith", "action": "submit"})
    application.refresh_from_db()
    assert application.answers[str(text.pk)] == "Sam Smith"
    assert application.status == Status.RECEIVED
    assert AuditEntry.objects.filter(action="call.application_edited").exists()
    with pytest.raises(errors.CallError, match="closed"):
        applications.application_save(
            actor=application.applicant,
            call=call,
            answers={str(text.pk): "Late"},
            submit=True,
            now=call.closes_at + timedelta(minutes=1),
        )


def test_the_applicant_withdraws_until_the_deadline_for_good(client: Client) -> None:
    application = submitted_application()
    with pytest.raises(PermissionDeniedError):
        applications.application_withdraw(actor=applicant(), application=application)
    with pytest.raises(errors.CallError, match="closed"):
        applications.application_withdraw(
            actor=application.applicant,
            application=application,
            now=application.call.closes_at + timedelta(seconds=1),
        )
    client.force_login(application.applicant)
    url = reverse("calls:withdraw", args=[application.pk])
    page = client.post(url).content.decode()
    assert "Withdraw your application" in page  # the confirmation first
    post_confirmed(client, url, {})
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN and application.withdrawn_at
    with pytest.raises(errors.CallError, match="withdrawn"):
        applications.application_save(
            actor=application.applicant, call=application.call, answers={}, submit=True
        )


def _application_in(state: str) -> Application:
    application = submitted_application()
    if state == "shortlisted":
        Application.objects.filter(pk=application.pk).update(status=Status.SHORTLISTED)
    elif state == "closed":
        ended = timezone.now() - timedelta(minutes=1)
        Call.objects.filter(pk=application.call_id).update(closes_at=ended)
    elif state == "withdrawn":
        applications.application_withdraw(actor=application.applicant, application=application)
    return Application.objects.select_related("call", "applicant").get(pk=application.pk)


APPLICATION_STATES = ["received", "shortlisted", "closed", "withdrawn"]


@pytest.mark.parametrize(
    ("state", "changeable", "withdrawable"),
    [
        ("received", True, True),
        ("shortlisted", False, True),
        ("closed", False, False),
        ("withdrawn", False, False),
    ],
)
def test_the_predicates_say_what_the_applicant_may_change_or_withdraw(
    state: str, changeable: bool, withdrawable: bool
) -> None:
    application = _application_in(state)
    user = application.applicant
    assert selectors.can_change_application(user=user, application=application) is changeable
    assert selectors.can_withdraw_application(user=user, application=application) is withdrawable
    someone_else = applicant()
    assert not selectors.can_change_application(user=someone_else, application=application)
    assert not selectors.can_withdraw_application(user=someone_else, application=application)


@pytest.mark.parametrize("state", APPLICATION_STATES)
def test_the_application_page_offers_change_and_withdraw_as_the_predicates_say(
    client: Client, state: str
) -> None:
    application = _application_in(state)
    user = application.applicant
    client.force_login(user)
    page = client.get(application.get_absolute_url()).content.decode()
    change = f'href="{reverse("calls:apply", args=[application.call.slug])}"'
    withdraw = f'action="{reverse("calls:withdraw", args=[application.pk])}"'
    assert (change in page) is selectors.can_change_application(user=user, application=application)
    assert (withdraw in page) is selectors.can_withdraw_application(
        user=user, application=application
    )


@pytest.mark.parametrize("state", APPLICATION_STATES)
def test_the_services_refuse_exactly_when_the_predicates_say_no(state: str) -> None:
    application = _application_in(state)
    user = application.applicant
    change = partial(
        applications.application_save,
        actor=user,
        call=application.call,
        answers=answers_for(application.call),
        submit=True,
    )
    if selectors.can_change_application(user=user, application=application):
        change()
    else:
        with pytest.raises(errors.CallError):
            change()
    withdraw = partial(applications.application_withdraw, actor=user, application=application)
    if selectors.can_withdraw_application(user=user, application=application):
        withdraw()
    else:
        with pytest.raises(errors.CallError):
            withdraw()


# --- reminders -------------------------------------------------------------------------


def test_drafts_are_reminded_once_before_the_deadline(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    soon = make_call(closes_at=timezone.now() + timedelta(hours=24))
    later = make_call(closes_at=timezone.now() + timedelta(days=20))
    draft = applications.application_save(actor=applicant(), call=soon, answers={})
    applications.application_save(actor=applicant(), call=later, answers={})
    submitted_application(soon)  # submitted: not reminded
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("calls_send_reminders")
    (message,) = mail.outbox
    assert message.to == [draft.applicant.email] and "closes soon" in message.subject
    assert reverse("calls:apply", args=[soon.slug]) in message.body
    with django_capture_on_commit_callbacks(execute=True):
        assert applications.reminders_send() == 0
    assert len(mail.outbox) == 1


# --- the draft and the application's page ----------------------------------------------


def test_the_draft_marks_required_questions_and_shows_saved_files(client: Client) -> None:
    call = make_call()
    user = applicant()
    applications.application_save(
        actor=user, call=call, answers={}, files={file_question(call).pk: upload("dpia.pdf")}
    )
    client.force_login(user)
    page = client.get(reverse("calls:apply", args=[call.slug])).content.decode()
    assert page.count("(required)") == 2  # lead contact and data plan; caseload is optional
    assert "Caseload (optional)" in page
    assert "Already attached:" in page and "dpia.pdf" in page


def test_yes_or_no_answers_are_shown_as_words(client: Client) -> None:
    call = make_call()
    question = calls_services.question_create(
        actor=None, call=call, kind="yes-no", label="Has the director agreed?", required=False
    )
    application = submitted_application(call)
    application.answers[str(question.pk)] = "yes"
    application.save()
    client.force_login(application.applicant)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "<p>Yes</p>" in page and "<p>yes</p>" not in page
