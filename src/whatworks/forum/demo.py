"""Demo forum: the machine-learning conversation, with about 400 synthetic participants.

Three opinion groups that a reader should recognise in the report: *safeguarded adopters*
(try machine learning, with strict safeguards), *rights-first sceptics* (keep it out of
decisions about families) and *practice-first pragmatists* (fix caseloads and data first;
tools are secondary).  Each statement says how likely each group is to agree; votes are
drawn from that with a fixed seed, so the demo is the same every time.  A few votes are
changed minds (a second, later vote on the same statement), as in a real log.

Idempotent by the conversation's slug; the member@demo.test account takes part too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from whatworks.core.models import User
from whatworks.forum.models import Conversation, Participant, Statement, Vote
from whatworks.forum.services.analysis import analysis_run
from whatworks.forum.services.conversations import conversation_create

SLUG = "machine-learning-in-childrens-social-care"
EVENT_SLUG = "deliberative-forum-machine-learning-london"
GROUP_SIZES = (170, 130, 100)
SEED = 20260

#: (statement, P(agree) for adopters, sceptics, pragmatists); "meta:" marks meta statements.
STATEMENTS: tuple[tuple[str, float, float, float], ...] = (
    ("Machine learning could help spot children at risk whom we currently miss.", 0.85, 0.15, 0.45),
    (
        "An algorithm should never be part of a decision to remove a child from home.",
        0.3,
        0.95,
        0.7,
    ),
    ("Families have a right to know when a model was used in their case.", 0.8, 0.97, 0.9),
    ("Risk scores would mostly reflect past decisions, including their biases.", 0.35, 0.92, 0.6),
    (
        "Any predictive model should be tested in a pilot with independent evaluation first.",
        0.95,
        0.7,
        0.88,
    ),
    ("The money would be better spent on more social workers.", 0.2, 0.85, 0.9),
    (
        "Managers would use scores to ration services rather than to help families.",
        0.15,
        0.85,
        0.55,
    ),
    ("A model can free social workers from paperwork so they see families more.", 0.8, 0.2, 0.55),
    ("Local authorities do not have good enough data to build reliable models.", 0.3, 0.75, 0.85),
    ("Social workers should always be able to overrule a model's suggestion.", 0.9, 0.9, 0.95),
    ("Predictive tools will increase surveillance of poor families.", 0.15, 0.9, 0.5),
    ("If a model works better than chance, it would be wrong not to use it.", 0.8, 0.1, 0.35),
    ("Children and families should help design any tool used about them.", 0.7, 0.9, 0.8),
    ("The tools sold to councils are black boxes nobody can check.", 0.3, 0.9, 0.65),
    ("Models should be published openly so that anyone can inspect them.", 0.85, 0.75, 0.7),
    (
        "Heavy caseloads are a bigger danger to children than the lack of analytics.",
        0.35,
        0.8,
        0.95,
    ),
    ("Machine learning could help match children to the right foster placement.", 0.8, 0.3, 0.5),
    ("We should stop all use of predictive analytics in children's services.", 0.05, 0.85, 0.3),
    ("Good supervision matters more than any software.", 0.45, 0.8, 0.95),
    ("A model's errors fall hardest on Black and minority ethnic families.", 0.4, 0.9, 0.6),
    (
        "Councils should share anonymised data so that models can be evaluated fairly.",
        0.85,
        0.35,
        0.6,
    ),
    ("Practitioners would come to trust the score more than their own judgement.", 0.3, 0.85, 0.7),
    ("Analytics could show which early help services actually work.", 0.9, 0.45, 0.75),
    ("Consent is meaningless when a family cannot refuse to be scored.", 0.25, 0.9, 0.55),
    ("Inspectors should check how any model is used, as they check practice.", 0.85, 0.8, 0.85),
    ("I would rather a human made a mistake than a machine.", 0.15, 0.8, 0.45),
    ("Predictions could help target help before a crisis happens.", 0.9, 0.25, 0.55),
    ("Fixing case recording systems should come before any machine learning.", 0.4, 0.7, 0.95),
    ("The public would not accept algorithms in child protection.", 0.2, 0.8, 0.5),
    ("Models should be switched off if they turn out to be unfair to any group.", 0.9, 0.95, 0.9),
    ("Staff turnover makes it hard to use any new tool well.", 0.5, 0.6, 0.92),
    ("Machine learning is just a tool; what matters is how people use it.", 0.85, 0.25, 0.75),
    ("The voices of care-experienced people are missing from this debate.", 0.55, 0.9, 0.75),
    ("Private companies should not profit from data about vulnerable children.", 0.35, 0.9, 0.65),
    ("Prediction should be used for planning services, not for individual cases.", 0.55, 0.6, 0.85),
    ("A good model could reduce the number of unnecessary investigations.", 0.85, 0.2, 0.5),
    ("Trust between families and social workers would suffer.", 0.2, 0.9, 0.6),
    (
        "We already use informal risk judgements; a model just makes them explicit.",
        0.75,
        0.15,
        0.45,
    ),
    ("There is not yet good evidence that these models help children.", 0.45, 0.95, 0.8),
    ("Training in data literacy should be part of social work education.", 0.85, 0.45, 0.7),
    ("Analytics should focus on strengths and protective factors, not only risk.", 0.75, 0.6, 0.85),
    ("Every model should have a named person who is accountable for it.", 0.85, 0.85, 0.85),
    (
        "Using data from schools and health services would be an invasion of privacy.",
        0.25,
        0.9,
        0.55,
    ),
    ("Social care is too important to be left behind by new technology.", 0.9, 0.1, 0.4),
    ("A score on a screen would make it harder to argue for a family.", 0.2, 0.85, 0.6),
    ("Bureaucracy, not technology, is what stops good practice.", 0.35, 0.55, 0.9),
    ("Results of pilots should be published even when the model failed.", 0.9, 0.95, 0.9),
    (
        "Children should not be labelled by a prediction that follows them for life.",
        0.45,
        0.95,
        0.8,
    ),
    ("Machine learning could help spot patterns in serious case reviews.", 0.85, 0.4, 0.65),
    (
        "Councils under financial pressure will buy tools to cut costs, not to help.",
        0.3,
        0.85,
        0.75,
    ),
    ("Better pay and conditions would do more for children than any algorithm.", 0.3, 0.85, 0.95),
    ("A model that is right most of the time is still wrong for some children.", 0.55, 0.9, 0.75),
    ("Agencies should agree national standards before anyone uses these tools.", 0.8, 0.8, 0.85),
    ("I am uneasy about this, but I would support a carefully limited trial.", 0.85, 0.25, 0.7),
    ("Data about families should be deleted once it is no longer needed.", 0.7, 0.95, 0.8),
    ("meta:I work in children's social care.", 0.5, 0.5, 0.7),
    (
        "meta:I have experience of being in care, or of my family being involved with social care.",
        0.2,
        0.35,
        0.2,
    ),
    ("meta:I work with data or technology.", 0.6, 0.25, 0.3),
)
#: Statements written by participants: one waits in the moderation queue, one was
#: rejected (off topic), so the dashboard has something to show.
QUEUED = "Councils should report every year on how they use data about children."
REJECTED = "This whole consultation is a waste of time and money."


def _leanings() -> np.ndarray:
    """Statements x groups agree probabilities, sharpened so the groups stand apart.

    Where the pragmatists sit on the fence (0.4-0.6) on a charged statement, they in fact
    reject its framing either way: that is what makes them a third group, not a midpoint.
    """
    raw = np.array([row[1:] for row in STATEMENTS], dtype=float)
    sharp = np.clip(0.5 + (raw - 0.5) * 1.8, 0.04, 0.96)
    fence = (raw[:, 2] >= 0.4) & (raw[:, 2] <= 0.6)
    sharp[fence, 2] = 0.12
    return sharp


@transaction.atomic
def load(*, stdout: Any) -> None:
    if Conversation.objects.filter(slug=SLUG).exists():
        stdout.write("  forum: the machine-learning conversation exists; left alone\n")
        return
    now = timezone.now()
    opens = now - timedelta(days=21)
    conversation = conversation_create(
        actor=None,
        slug=SLUG,
        question="Should children's social care use machine learning, and if so, how?",
        background=(
            "Some councils have tried predictive models that flag families for help or for "
            "a closer look; others have refused. We want to hear every view: supportive, "
            "doubtful and opposed. Vote on each statement and add your own. The report "
            "shows the opinion groups and where people agree across them. This "
            "conversation runs before and after our in-person deliberative forum."
        ),
        moderation=Conversation.Moderation.BEFORE,
        opens_at=opens,
        closes_at=now + timedelta(days=28),
        event_slug=EVENT_SLUG,
        analysis_seed=7,
        seed_statements=[text.removeprefix("meta:") for text, *_ in STATEMENTS],
    )
    meta = [n for n, (text, *_) in enumerate(STATEMENTS) if text.startswith("meta:")]
    conversation.statements.filter(number__in=meta).update(is_meta=True)
    statements = list(conversation.statements.order_by("number"))
    rng = np.random.default_rng(SEED)
    groups = np.repeat(np.arange(len(GROUP_SIZES)), GROUP_SIZES)
    rng.shuffle(groups)
    people = Participant.objects.bulk_create(
        Participant(
            conversation=conversation,
            anon_key=f"demo-{i}",
            created_at=opens + timedelta(minutes=int(rng.integers(0, 20 * 24 * 60))),
        )
        for i in range(len(groups))
    )
    member = User.objects.filter(email="member@demo.test").first()
    if member is not None:
        people.append(Participant.objects.create(conversation=conversation, user=member))
        groups = np.append(groups, 0)
    leanings = _leanings()
    votes: list[Vote] = []
    for person, group in zip(people, groups.tolist(), strict=True):
        share = rng.uniform(0.55, 1.0)
        chosen = np.flatnonzero(rng.random(len(statements)) < share)
        moment = person.created_at
        for index in rng.permutation(chosen).tolist():
            p_agree = float(leanings[index, group])
            draw = rng.random()
            value = 1 if draw < p_agree * 0.9 else (0 if draw < p_agree * 0.9 + 0.1 else -1)
            moment = moment + timedelta(seconds=int(rng.integers(4, 40)))
            votes.append(
                Vote(
                    conversation=conversation,
                    participant=person,
                    statement=statements[index],
                    value=value,
                    created_at=moment,
                )
            )
            if rng.random() < 0.01:  # a changed mind: a later vote on the same statement
                votes.append(
                    Vote(
                        conversation=conversation,
                        participant=person,
                        statement=statements[index],
                        value=-value if value else 1,
                        created_at=moment + timedelta(seconds=2),
                    )
                )
    votes.sort(key=lambda v: v.created_at)
    Vote.objects.bulk_create(votes, batch_size=5000)
    base = len(statements)
    Statement.objects.bulk_create(
        [
            Statement(
                conversation=conversation,
                number=base,
                author=people[3],
                text=QUEUED,
                status=Statement.Status.PENDING,
                created_at=now - timedelta(hours=3),
            ),
            Statement(
                conversation=conversation,
                number=base + 1,
                author=people[4],
                text=REJECTED,
                status=Statement.Status.REJECTED,
                created_at=now - timedelta(days=2),
            ),
        ]
    )
    run = analysis_run(conversation_id=conversation.pk)
    found = len((run.result.get("analysis") or {}).get("groups", []))
    stdout.write(
        f"  forum: {len(people)} participants, {len(votes)} votes on {base} statements; "
        f"analysis found {found} groups\n"
    )
