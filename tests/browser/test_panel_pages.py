"""The panel's pages in a real browser, with axe on every page type."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.factories import PASSWORD
from tests.panel.factories import make_invitation, make_member, make_poll, researcher
from whatworks.core.services.users import user_set_password
from whatworks.panel.models import Response
from whatworks.panel.services.answering import response_save
from whatworks.panel.services.polls import study_create
from whatworks.panel.services.schedule import poll_close

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "path", ["/panel/", "/panel/join/", "/panel/join/sent/", "/panel/pulse/", "/panel/confirm/x/"]
)
def test_public_panel_pages(visit: Any, path: str) -> None:
    visit(path)


def test_join_form_errors_are_summarised(visit: Any, page: Any) -> None:
    visit("/panel/join/")
    page.get_by_role("button", name="Send me a confirmation e-mail").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_member_pages(visit: Any, page: Any, sign_in: Any) -> None:
    member = make_member(email="mo@example.test")
    assert member.user is not None
    user_set_password(actor=None, user=member.user, password=PASSWORD)
    make_invitation(member=member)
    study_create(actor=None, name="Rounds", slug="rounds")
    sign_in("mo@example.test", PASSWORD)
    for path in ["/panel/me/", "/panel/me/profile/", "/panel/me/leave/"]:
        visit(path)


def test_answer_with_the_keyboard_save_resume_and_send(visit: Any, page: Any) -> None:
    invitation, token = make_invitation()
    visit(f"/panel/answer/{token}/")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and finish later").click()
    page.wait_for_load_state()
    assert "Your answers are saved" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    visit(f"/panel/answer/{token}/")
    assert page.get_by_label("No", exact=True).is_checked()
    page.get_by_label("How many cases? (optional)").fill("14")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert "your answers are in" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    assert Response.objects.filter(invitation=invitation, status="complete").count() == 1


def test_answer_errors_and_closed_poll(visit: Any, page: Any) -> None:
    invitation, token = make_invitation()
    visit(f"/panel/answer/{token}/")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    poll_close(actor=None, poll=invitation.poll)
    visit(f"/panel/answer/{token}/", expect_status=410)
    assert "closed" in page.get_by_role("heading", level=1).inner_text()


def test_results_and_pulse(visit: Any, page: Any) -> None:
    poll = make_poll()
    for i in range(24):
        invitation, _ = make_invitation(
            poll=poll, member=make_member(region="london" if i % 3 else "north-west")
        )
        q = poll.questions.first()
        assert q is not None
        response_save(
            actor=None, invitation=invitation, answers={q.pk: "Yes" if i % 4 else "No"}, submit=True
        )
    poll_close(actor=None, poll=poll)
    visit(f"/panel/polls/{poll.slug}/results/")
    assert page.locator("svg[role=img]").count() >= 1
    visit("/panel/pulse/caseload/")


def test_researcher_pages(visit: Any, page: Any, sign_in: Any) -> None:
    user = researcher()
    sign_in(user.email, PASSWORD)
    draft = make_poll(status="draft")
    open_poll = make_poll()
    study = study_create(actor=None, name="Rounds", slug="rounds")
    for path in [
        "/panel/manage/",
        "/panel/manage/polls/new/",
        f"/panel/manage/polls/{draft.slug}/",
        f"/panel/manage/polls/{open_poll.slug}/",
        "/panel/manage/scales/new/",
        f"/panel/manage/studies/{study.slug}/",
        f"/panel/polls/{open_poll.slug}/results/",
    ]:
        visit(path)
    visit(f"/panel/manage/polls/{draft.slug}/")
    page.get_by_role("button", name="Add the question").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_answer_page_fits_a_phone(phone_page: Any) -> None:
    _, token = make_invitation()
    phone_page.goto(f"/panel/answer/{token}/")
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_bounces_page_reports_unmatched_addresses(visit: Any, page: Any, sign_in: Any) -> None:
    user = researcher()
    sign_in(user.email, PASSWORD)
    poll = make_poll(actor=user)  # only the poll's owner (or a panel manager) may mark bounces
    invitation, _ = make_invitation(poll=poll, member=make_member(email="gone@example.test"))
    visit(f"/panel/manage/polls/{poll.slug}/bounces/")
    page.get_by_label("Bounced e-mail addresses").fill("gone@example.test\nnobody@example.test")
    page.get_by_role("button", name="Mark bounced").click()
    page.wait_for_load_state()
    assert "1 invitation marked bounced" in page.get_by_role("status").inner_text()
    status = page.get_by_role("status").inner_text()
    assert "1 address matched no invitation" in status
    assert "nobody@example.test" not in status  # counts only: no oracle of who is on the panel
    assert_accessible(page)
    invitation.refresh_from_db()
    assert invitation.disposition == "bounced"
    page.get_by_role("button", name="Mark bounced").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


def test_study_page_links_a_project_and_offers_the_handover(
    visit: Any, page: Any, sign_in: Any
) -> None:
    from tests.panel.test_handover import rounds_project, two_wave_study

    user = researcher()
    project = rounds_project(user)
    study = two_wave_study()
    sign_in(user.email, PASSWORD)
    visit(f"/panel/manage/studies/{study.slug}/")
    page.get_by_label("Research project identifier").fill("WWC-1999-0001")
    page.get_by_role("button", name="Save the research project").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Research project identifier").fill(project.reference)
    page.get_by_role("button", name="Save the research project").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Pre-registered outcome this change measures").select_option("wellbeing")
    page.get_by_role("button", name="Send to the results report").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(f"/research/{project.reference}/results/1")
    assert_accessible(page)


def test_authoring_pages_and_skip_logic_as_the_member_answers(
    visit: Any, page: Any, sign_in: Any
) -> None:
    from whatworks.panel.services.polls import poll_open
    from whatworks.panel.services.questions import QuestionSpec, question_create

    user = researcher()
    sign_in(user.email, PASSWORD)
    poll = make_poll(status="draft")
    first = poll.questions.get(kind="single")
    question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="text", text="Why not?", required=False, conditions=((first, "No"),)
        ),
    )
    question_create(
        actor=None, poll=poll, spec=QuestionSpec(kind="scale", text="How tired are you?", page=2)
    )
    visit(f"/panel/manage/polls/{poll.slug}/")
    page.get_by_role("link", name="Change “How many cases?”").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Lowest allowed (optional)").fill("9")
    page.get_by_label("Highest allowed (optional)").fill("3")
    page.get_by_role("button", name="Save the question").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit(f"/panel/manage/polls/{poll.slug}/preview/")
    assert "Page 1 of 2" in page.locator(".progress").inner_text()
    why = page.get_by_label("Why not? (optional)")
    assert not why.is_visible()  # skip.js: hidden until the condition holds
    page.get_by_label("No", exact=True).check()
    assert why.is_visible()
    page.get_by_label("Yes", exact=True).check()
    assert not why.is_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert "Page 2 of 2" in page.locator(".progress").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Send (preview: nothing is saved)").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("7", exact=True).check()
    page.get_by_role("button", name="Send (preview: nothing is saved)").click()
    page.wait_for_load_state()
    assert "Preview finished" in page.get_by_role("heading", level=1).inner_text()
    poll_open(actor=None, poll=poll)
    _, token = make_invitation(poll=poll)
    visit(f"/panel/answer/{token}/")


def test_every_question_type_on_a_phone(visit: Any, phone_page: Any) -> None:
    from whatworks.panel.services.polls import poll_open
    from whatworks.panel.services.questions import QuestionSpec, question_create

    poll = make_poll(status="draft")
    for spec in (
        QuestionSpec(kind="dropdown", text="Region?", options=("North", "South")),
        QuestionSpec(kind="date", text="When did you qualify?"),
        QuestionSpec(kind="ranking", text="Rank these", options=("Pay", "Time", "Support")),
        QuestionSpec(kind="scale", text="How likely?", low_label="Not", high_label="Very"),
        QuestionSpec(kind="text", text="Why?", max_length=200),
        QuestionSpec(kind="likert", text="I feel supported", likert_preset="agreement"),
    ):
        question_create(actor=None, poll=poll, spec=spec)
    poll_open(actor=None, poll=poll)
    _, token = make_invitation(poll=poll)
    visit(f"/panel/answer/{token}/")
    phone_page.goto(f"/panel/answer/{token}/")
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
