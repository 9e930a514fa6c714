"""Demo content for news: authors, tags, posts (one scheduled), subscribers and one sent
issue in the archive.  Idempotent by natural keys (e-mail, slug); safe to run again.

The archived issue is "sent" to the demo subscribers through the real batch code with
Django's dummy e-mail backend, so the demo e-mails nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from whatworks.core.demo import Writer
from whatworks.core.mail import mail_batch_connection
from whatworks.core.models import User
from whatworks.core.services.users import user_create
from whatworks.news.models import AuthorProfile, Issue, Post, Topic
from whatworks.news.services import issues
from whatworks.news.services import posts as posts_services
from whatworks.news.services import subscribers as subscribers_services
from whatworks.news.services.sending import send_batch


@dataclass(frozen=True)
class DemoAuthor:
    email: str
    full_name: str
    slug: str
    job_title: str
    bio: str


AUTHORS = (
    DemoAuthor(
        "director@demo.test",
        "Dr Amara Okafor",
        "amara-okafor",
        "Executive Director",
        "Amara leads the Centre. She was a social worker and team manager in two London "
        "boroughs before moving into research, and writes a monthly blog on what the "
        "Centre is learning.",
    ),
    DemoAuthor(
        "practice.lead@demo.test",
        "Sam Patel",
        "sam-patel",
        "Head of Practice",
        "Sam joined the Centre as Head of Practice from a children's services department in "
        "the West Midlands, where Sam led the family group conference service.",
    ),
)

#: slug, author slug, title, summary, body, tags, days from now (negative: in the past)
POSTS = (
    (
        "monthly-blog-october-2026",
        "amara-okafor",
        "Monthly blog: why we publish what did not work",
        "Null results are results. This month: why the register shows every study, "
        "including the ones that found no effect.",
        "## Null results are results\n\nWhen a study finds *no effect*, that is worth knowing. "
        "Every study we fund is registered before it starts, and its results are published "
        "whatever they show.\n\n## What this means for practice\n\n- Fewer surprises when an "
        "approach is scaled up\n- Honest comparisons between interventions\n- Less waste\n\n"
        "Read more in the [research register](/research/).",
        ["Leadership", "Research"],
        -36,
    ),
    (
        "welcoming-our-new-head-of-practice",
        "amara-okafor",
        "Welcoming our new Head of Practice",
        "Sam Patel joins the Centre as Head of Practice, bringing ten years of leading family "
        "group conferences.",
        "We are delighted that **Sam Patel** has joined us as Head of Practice.\n\nSam will "
        "lead our work with practitioners: the #iuseevidence days, Schwartz Rounds "
        "demonstrations and the practice panel.",
        ["Practice", "Announcements"],
        -12,
    ),
    (
        "what-we-learnt-from-family-group-conferences",
        "sam-patel",
        "What we learnt from ten years of family group conferences",
        "Three lessons from running a family group conference service, and what the "
        "evidence says about each.",
        "## 1. Timing matters\n\nConferences held early, before proceedings, did most good.\n\n"
        "## 2. Independent coordinators\n\nFamilies trusted coordinators who were not their "
        "social worker.\n\n## 3. Follow-up\n\nA review meeting three months on kept plans "
        "alive.\n\n> The plan is the family's, not ours.",
        ["Practice", "Family support"],
        -6,
    ),
    (
        "monthly-blog-november-2026",
        "amara-okafor",
        "Monthly blog: machine learning in children's social care",
        "Our first monthly blog on predictive analytics: what we will test, how, and what "
        "would make us stop.",
        "## Why test at all?\n\nPredictive models are already in use. We want to know, "
        "before anyone relies on one, whether it helps social workers make better decisions, "
        "and whether it is fair to every group of children and families.\n\n## How\n\n"
        "Each pilot is pre-registered, with success criteria set in advance, and tested on "
        "data that stays with the local authority.",
        ["Leadership", "Machine learning"],
        -3,
    ),
    (
        "monthly-blog-december-2026",
        "amara-okafor",
        "Monthly blog: a year of evidence (scheduled)",
        "Looking back on the year: what the evidence store, the register and the panel "
        "have taught us.",
        "This post is scheduled: it appears on the site by itself when its time comes.",
        ["Leadership"],
        5,
    ),
)

#: The newsletter's topics (slug, name, description), by natural key.
TOPICS = (
    ("research", "Research and evidence", "New studies, ratings and registered projects"),
    ("events", "Events", "Workshops, webinars and practice days"),
)
SUBSCRIBERS = tuple(f"reader{n}@demo.test" for n in range(1, 6))


def _author(author: DemoAuthor) -> AuthorProfile:
    profile = AuthorProfile.objects.filter(slug=author.slug).first()
    if profile is not None:
        return profile
    user = User.objects.filter(email=author.email).first() or user_create(
        actor=None, email=author.email, password=None, full_name=author.full_name
    )
    return posts_services.author_profile_create(
        actor=None,
        user=user,
        slug=author.slug,
        display_name=author.full_name,
        job_title=author.job_title,
        bio=author.bio,
    )


@transaction.atomic
def _content() -> int:
    authors = {a.slug: _author(a) for a in AUTHORS}
    now = timezone.now()
    made = 0
    for slug, author_slug, title, summary, body, tags, days in POSTS:
        if Post.objects.filter(slug=slug).exists():
            continue
        posts_services.post_create(
            actor=None,
            author=authors[author_slug],
            title=title,
            slug=slug,
            summary=summary,
            body=body,
            publish_at=now + timedelta(days=days),
            tag_names=list(tags),
        )
        made += 1
    topics = [
        Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": about, "position": n}
        )[0]
        for n, (slug, name, about) in enumerate(TOPICS)
    ]
    for n, email in enumerate(SUBSCRIBERS):
        subscriber = subscribers_services.subscriber_import(
            actor=None, email=email, source="demo data"
        )
        if not subscriber.topics.exists():  # readers 1, 3, 5 chose research; 2, 4 events
            subscribers_services.subscriber_set_topics(
                actor=None, subscriber=subscriber, topics=[topics[n % 2]]
            )
    return made


def _sent_issue() -> bool:
    if Issue.objects.filter(status=Issue.Status.SENT).exists():
        return False
    issue = issues.issue_draft(actor=None, now=timezone.now() - timedelta(days=20))
    issue = issues.issue_update(
        actor=None,
        issue=issue,
        title=issue.title,
        body=issue.body
        + "\n## From the editor\n\nThank you for reading. Tell us what you would like to see "
        "in the next issue.\n",
    )
    issues.issue_send(actor=None, issue=issue)
    send_batch(
        issue_id=issue.pk,
        mail_connection=mail_batch_connection("django.core.mail.backends.dummy.EmailBackend"),
    )
    return True


def load(*, stdout: Writer) -> None:
    made = _content()
    stdout.write(f"  {made} post(s) added; {len(SUBSCRIBERS)} demo subscribers\n")
    if _sent_issue():
        stdout.write("  last month's newsletter added to the archive (e-mailed to nobody)\n")
