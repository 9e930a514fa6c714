"""Demo content for the panel: about 2,000 synthetic members, skewed against the workforce.

The members over-represent London, the South East and managers, so weighting visibly moves
the results.  There are three closed polls (a pulse question asked each time), one open
poll (the demo member is invited), and a two-wave wellbeing survey with sites.  Rows are
made with ``bulk_create`` (demo data, not user actions, so no audit entry per row);
loading again changes nothing (natural keys: the polls' slugs).
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from whatworks.core.demo import Writer, demo_project_reference
from whatworks.core.models import Region, User
from whatworks.panel import consent, registry_handover
from whatworks.panel.models import (
    AgeBand,
    Answer,
    ConsentRecord,
    EmployerType,
    Ethnicity,
    Invitation,
    PanelMember,
    Poll,
    Question,
    Response,
    Sex,
    Study,
    WorkforceRole,
    YearsInPractice,
)
from whatworks.panel.services.answering import pseudonym_for
from whatworks.panel.services.polls import (
    poll_create,
    poll_open,
    question_add,
    scale_create,
    study_create,
)
from whatworks.panel.services.questions import QuestionSpec, question_create
from whatworks.panel.services.schedule import poll_close, poll_schedule

MEMBERS = 2000
SEED = 2019
DEMO_EMAIL = "member@demo.test"
SITES = ("Northmoor", "Southvale", "Eastbridge", "Westholm")

#: Deliberately unlike the workforce (see targets.json): London, the South East and
#: managers are over-represented; the North East and case holders under-represented.
REGION_SKEW = {
    Region.NORTH_EAST: 0.02, Region.NORTH_WEST: 0.08, Region.YORKSHIRE: 0.07,
    Region.EAST_MIDLANDS: 0.06, Region.WEST_MIDLANDS: 0.08, Region.EAST: 0.09,
    Region.LONDON: 0.32, Region.SOUTH_EAST: 0.20, Region.SOUTH_WEST: 0.08,
}  # fmt: skip
ROLE_SKEW = {
    WorkforceRole.CASE_HOLDER: 0.28, WorkforceRole.SENIOR_PRACTITIONER: 0.14,
    WorkforceRole.FIRST_LINE_MANAGER: 0.22, WorkforceRole.MIDDLE_MANAGER: 0.14,
    WorkforceRole.SENIOR_MANAGER: 0.08, WorkforceRole.QUALIFIED_NO_CASES: 0.09,
    WorkforceRole.OTHER: 0.05,
}  # fmt: skip
EMPLOYER_SKEW = {
    EmployerType.LOCAL_AUTHORITY: 0.8,
    EmployerType.AGENCY: 0.15,
    EmployerType.OTHER: 0.05,
}
ETHNICITY_SKEW = {
    Ethnicity.WHITE: 0.82, Ethnicity.BLACK: 0.07, Ethnicity.ASIAN: 0.05,
    Ethnicity.MIXED: 0.03, Ethnicity.OTHER: 0.01, Ethnicity.UNSAID: 0.02,
}  # fmt: skip
MANAGERS = {
    WorkforceRole.FIRST_LINE_MANAGER,
    WorkforceRole.MIDDLE_MANAGER,
    WorkforceRole.SENIOR_MANAGER,
}
CLOSED_POLLS = (
    ("demo-caseloads-jan", "Caseloads and supervision, January", 0.30),
    ("demo-caseloads-mar", "Caseloads and supervision, March", 0.36),
    ("demo-caseloads-may", "Caseloads and supervision, May", 0.41),
)
OPEN_POLL = "demo-practice-guidance"
MANAGEABLE = ["Yes", "No", "Not sure"]
SUPPORT = ["Strongly agree", "Agree", "Neither", "Disagree", "Strongly disagree"]
HELPS = ["Reflective supervision", "Lower caseloads", "Peer support", "Training", "Admin help"]


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    """One key, drawn with probability proportional to its weight."""
    draw = rng.random() * sum(weights.values())
    for key, weight in weights.items():
        draw -= weight
        if draw < 0:
            return key
    return key


def _members(rng: random.Random, now: Any) -> list[PanelMember]:
    members = []
    for i in range(MEMBERS):
        members.append(
            PanelMember(
                email=f"panel{i:04d}@synthetic.demo.test",
                status=PanelMember.Status.ACTIVE,
                role=_pick(rng, ROLE_SKEW),
                region=_pick(rng, REGION_SKEW),
                employer_type=_pick(rng, EMPLOYER_SKEW),
                age_band=rng.choice([a for a in AgeBand if a != AgeBand.UNSAID]),
                sex=_pick(rng, {Sex.FEMALE: 0.8, Sex.MALE: 0.18, Sex.UNSAID: 0.02}),
                ethnicity=_pick(rng, ETHNICITY_SKEW),
                years=rng.choice(list(YearsInPractice)),
                site=rng.choice(SITES),
                recontact=rng.random() < 0.6,
                confirmed_at=now - timedelta(days=200),
                synthetic=True,
            )
        )  # fmt: skip
    return PanelMember.objects.bulk_create(members)


def _consents(members: list[PanelMember]) -> None:
    text = consent.current()
    rows = []
    for member in members:
        for purpose, granted in (("membership", True), ("recontact", member.recontact)):
            rows.append(
                ConsentRecord(
                    member=member,
                    purpose=purpose,
                    granted=granted,
                    text_version=text.version,
                    text_hash=text.sha256,
                    recorded_at=member.confirmed_at or timezone.now(),
                )
            )
    ConsentRecord.objects.bulk_create(rows)


def _demo_member(now: Any) -> PanelMember | None:
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        return None
    member = PanelMember.objects.filter(user=user).first()
    if member is not None:
        return member
    member = PanelMember.objects.create(
        user=user,
        email=user.email,
        status=PanelMember.Status.ACTIVE,
        role=WorkforceRole.CASE_HOLDER,
        region=Region.NORTH_WEST,
        employer_type=EmployerType.LOCAL_AUTHORITY,
        age_band=AgeBand.AGE_30_39,
        sex=Sex.UNSAID,
        ethnicity=Ethnicity.UNSAID,
        years=YearsInPractice.YEARS_5_9,
        site="Northmoor",
        recontact=True,
        confirmed_at=now - timedelta(days=60),
    )
    _consents([member])
    return member


def _respond(
    poll: Poll,
    members: list[PanelMember],
    answer_for: Any,
    *,
    rng: random.Random,
    rate: float,
    when: Any,
) -> int:
    """Invite ``members``; a share ``rate`` (higher for managers) completes."""
    invitations = []
    for member in members:
        bonus = 0.15 if member.role in MANAGERS else 0.0
        done = rng.random() < rate + bonus
        disposition = (
            "complete"
            if done
            else rng.choice(["invited", "opened", "bounced", "opted-out", "partial"])
        )
        invitations.append(
            Invitation(
                poll=poll, member=member, token_hash=secrets.token_hex(32), region=member.region,
                role=member.role, disposition=disposition, sent_at=when, last_contact_at=when,
            )
        )  # fmt: skip
    invitations = Invitation.objects.bulk_create(invitations)
    responses = []
    for invitation, member in zip(invitations, members, strict=True):
        if invitation.disposition != "complete":
            continue
        responses.append(
            Response(
                poll=poll, invitation=invitation, member=member, status="complete",
                pseudonym=pseudonym_for(member_key=str(member.pseudonym_key), poll=poll),
                role=member.role, region=member.region, employer_type=member.employer_type,
                age_band=member.age_band, sex=member.sex, ethnicity=member.ethnicity,
                years=member.years, site=member.site, started_at=when, submitted_at=when,
            )
        )  # fmt: skip
    responses = Response.objects.bulk_create(responses)
    by_pk = {m.pk: m for m in members}
    answers = []
    for response in responses:
        assert response.member_id is not None
        for question, value in answer_for(by_pk[response.member_id]):
            if value is not None:
                answers.append(Answer(response=response, question=question, value=value))
    Answer.objects.bulk_create(answers)
    return len(responses)


def _caseload_poll(
    slug: str, title: str, base: float, members: list[PanelMember], rng: random.Random, when: Any
) -> Poll:
    poll = poll_create(actor=None, title=title, slug=slug, description="A three-question pulse.")
    q1 = question_add(
        actor=None,
        poll=poll,
        kind=Question.Kind.SINGLE,
        text="Is your caseload manageable?",
        options=MANAGEABLE,
        pulse_key="caseload-manageable",
    )
    q2 = question_add(
        actor=None,
        poll=poll,
        kind=Question.Kind.LIKERT,
        text="I get the supervision I need.",
        options=SUPPORT,
    )
    q3 = question_add(
        actor=None,
        poll=poll,
        kind=Question.Kind.MULTIPLE,
        text="What would help most?",
        options=HELPS,
        required=False,
        show_if=q1,
        show_if_value="No",
    )
    poll_open(actor=None, poll=poll)

    def answer_for(member: PanelMember) -> list[tuple[Question, Any]]:
        # managers and London find caseloads more manageable: weighting pulls the share down
        p_yes = (
            base
            + (0.25 if member.role in MANAGERS else 0)
            + (0.1 if member.region == "london" else 0)
        )
        first = "Yes" if rng.random() < p_yes else rng.choice(["No", "No", "Not sure"])
        support = SUPPORT[
            min(4, max(0, int(rng.gauss(1.5 if member.role in MANAGERS else 2.3, 1))))
        ]
        helps = rng.sample(HELPS, rng.randint(1, 3)) if first == "No" else None
        return [(q1, first), (q2, support), (q3, helps)]

    _respond(poll, rng.sample(members, 1000), answer_for, rng=rng, rate=0.5, when=when)
    poll_close(actor=None, poll=poll)
    Poll.objects.filter(pk=poll.pk).update(opened_at=when, closed_at=when + timedelta(days=10))
    return poll


def _draft_survey() -> Poll:
    """A draft survey on three pages with each kind of question and skip logic, to preview."""
    poll = poll_create(
        actor=None,
        title="Supervision and workload (draft)",
        slug="demo-supervision-draft",
        kind=Poll.Kind.SURVEY,
        description="A three-page survey: preview it from the poll's page.",
    )
    specs = [
        QuestionSpec(kind="single", text="Do you get regular supervision?",
                     options=("Yes", "No", "Sometimes")),
        QuestionSpec(kind="dropdown", text="How often is it?",
                     options=("Weekly", "Fortnightly", "Monthly", "Less often")),
        QuestionSpec(kind="likert", text="My supervision helps me make decisions.",
                     likert_preset="agreement"),
        QuestionSpec(kind="scale", text="How stretched do you feel this month?",
                     low_label="Not at all", high_label="Completely", page=2),
        QuestionSpec(kind="number", text="How many children are on your caseload?",
                     min_value=0, max_value=80, required=False, page=2),
        QuestionSpec(kind="ranking", text="Rank what would help most.",
                     options=("Fewer cases", "More supervision", "Less recording"), page=3),
        QuestionSpec(kind="date", text="When did you last have a case review?",
                     required=False, page=3),
    ]  # fmt: skip
    made = [question_create(actor=None, poll=poll, spec=spec) for spec in specs]
    question_create(
        actor=None,
        poll=poll,
        spec=QuestionSpec(
            kind="text",
            text="What gets in the way of supervision?",
            required=False,
            max_length=500,
            conditions=((made[0], "No"), (made[0], "Sometimes")),
            match="any",
        ),
    )
    return poll


def _wellbeing_study(members: list[PanelMember], rng: random.Random, now: Any) -> None:
    scale = scale_create(
        actor=None,
        name="Demo wellbeing scale",
        slug="demo-wellbeing",
        options=["None of the time", "Rarely", "Some of the time", "Often", "All of the time"],
        items=[("I have felt calm", False), ("I have felt useful", False),
               ("I have felt overwhelmed", True), ("I have felt connected to colleagues", False)],
        scoring="sum",
        source="A made-up scale for the demo (not a validated instrument).",
    )  # fmt: skip
    study = study_create(
        actor=None,
        name="Schwartz Rounds and wellbeing (demo)",
        slug="demo-schwartz-rounds",
        description="Before and after a year of Schwartz Rounds at four sites.",
    )
    # the registry's demo has the matching project (loaded first, in app order); link to it
    project = registry_handover.project_by_reference(
        demo_project_reference(title=SCHWARTZ_PROJECT_TITLE)
    )
    if project is not None:
        Study.objects.filter(pk=study.pk).update(registry_project=project)
    cohort = rng.sample(members, 320)
    text = consent.current()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            member=m, purpose=ConsentRecord.Purpose.STUDY, study=study, granted=True,
            text_version=text.version, text_hash=text.sha256, recorded_at=now - timedelta(days=320),
        )
        for m in cohort
    )  # fmt: skip
    uplift = {"Northmoor": 1.0, "Southvale": 0.6, "Eastbridge": 0.1, "Westholm": 0.0}
    base = {m.pk: rng.gauss(2.2, 0.6) for m in cohort}
    for wave, (title, when) in enumerate(
        (("Wellbeing survey, before", now - timedelta(days=300)),
         ("Wellbeing survey, after", now - timedelta(days=20))), start=1):  # fmt: skip
        poll = poll_create(
            actor=None, title=title, slug=f"demo-wellbeing-wave-{wave}", kind=Poll.Kind.SURVEY,
            study=study, wave=wave,
        )  # fmt: skip
        q = question_add(actor=None, poll=poll, kind=Question.Kind.MATRIX,
                         text="Over the last two weeks…", scale=scale)  # fmt: skip
        poll_open(actor=None, poll=poll)
        items = [item.text for item in scale.items.all()]

        def answer_for(
            member: PanelMember, wave: int = wave, q: Question = q, items: list[str] = items
        ) -> list[tuple[Question, Any]]:
            level = base[member.pk] + (uplift[member.site] if wave == 2 else 0.0)
            values = {}
            for text in items:
                score = min(4, max(0, round(level + rng.gauss(0, 0.7))))
                if text == "I have felt overwhelmed":
                    score = 4 - score
                values[text] = scale.options[score]
            return [(q, values)]

        _respond(poll, cohort, answer_for, rng=random.Random(SEED + wave), rate=0.8, when=when)
        poll_close(actor=None, poll=poll)
        Poll.objects.filter(pk=poll.pk).update(opened_at=when, closed_at=when + timedelta(days=14))


#: The registry demo's project that the demo wellbeing study reports to.
SCHWARTZ_PROJECT_TITLE = "Schwartz Rounds and social worker wellbeing"


def load(*, stdout: Writer) -> None:
    if Poll.objects.filter(slug=OPEN_POLL).exists():
        stdout.write("  panel: demo content already there\n")
        return
    with transaction.atomic():
        rng = random.Random(SEED)
        now = timezone.now()
        members = _members(rng, now)
        _consents(members)
        demo = _demo_member(now)
        for i, (slug, title, base) in enumerate(CLOSED_POLLS):
            _caseload_poll(slug, title, base, members, rng, now - timedelta(days=150 - 60 * i))
        _wellbeing_study(members, rng, now)
        poll = poll_create(
            actor=None, title="Using practice guidance", slug=OPEN_POLL,
            description="Two questions about how you use practice guidance.",
        )  # fmt: skip
        first = question_add(actor=None, poll=poll, kind=Question.Kind.SINGLE,
                             text="Is your caseload manageable?", options=MANAGEABLE,
                             pulse_key="caseload-manageable")  # fmt: skip
        question_add(
            actor=None,
            poll=poll,
            kind=Question.Kind.NUMBER,
            text="How many hours a month do you spend reading guidance?",
            required=False,
        )
        question_add(actor=None, poll=poll, kind=Question.Kind.TEXT,
                     text="Why is it not manageable?", required=False, show_if=first,
                     show_if_value="No")  # fmt: skip
        poll_open(actor=None, poll=poll)
        poll_schedule(
            actor=None,
            poll=poll,
            opens_at=None,
            closes_at=now + timedelta(days=12),
            minutes=2,
            invitation_text="How do you use practice guidance? Two questions, and a third if "
            "your caseload is not manageable.",
        )
        _draft_survey()
        invited = rng.sample(members, 300) + ([demo] if demo else [])
        _respond(poll, invited, lambda m: [(first, rng.choice(MANAGEABLE))], rng=rng, rate=0.2,
                 when=now - timedelta(days=2))  # fmt: skip
        if demo is not None:  # the demo member has not answered yet
            Response.objects.filter(member=demo, poll=poll).delete()
            Invitation.objects.filter(member=demo, poll=poll).update(disposition="invited")
    stdout.write(f"  panel: {MEMBERS} synthetic members, 3 closed polls, 1 open, 2-wave survey\n")
