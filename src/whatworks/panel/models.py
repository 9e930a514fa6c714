"""The polling panel: members, their consents, polls and surveys, invitations and answers.

A member's profile follows the DfE children's social work workforce statistics so that
results can be weighted to the workforce.  A response keeps a snapshot of the profile it
was given with (and a pseudonym per study, never the member), so erasing a member's
identity leaves usable anonymous answers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import Region


class WorkforceRole(models.TextChoices):
    CASE_HOLDER = "case-holder", _("Case holder")
    SENIOR_PRACTITIONER = "senior-practitioner", _("Senior practitioner")
    FIRST_LINE_MANAGER = "first-line-manager", _("First line manager")
    MIDDLE_MANAGER = "middle-manager", _("Middle manager")
    SENIOR_MANAGER = "senior-manager", _("Senior manager")
    QUALIFIED_NO_CASES = "qualified-no-cases", _("Qualified without cases")
    OTHER = "other", _("Other role in the sector")


class EmployerType(models.TextChoices):
    LOCAL_AUTHORITY = "local-authority", _("Local authority")
    AGENCY = "agency", _("Agency")
    OTHER = "other", _("Other employer")


class AgeBand(models.TextChoices):
    UNDER_30 = "under-30", _("Under 30")
    AGE_30_39 = "30-39", _("30 to 39")
    AGE_40_49 = "40-49", _("40 to 49")
    AGE_50_59 = "50-59", _("50 to 59")
    AGE_60_PLUS = "60-plus", _("60 or over")
    UNSAID = "unsaid", _("Prefer not to say")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNSAID = "unsaid", _("Prefer not to say")


class Ethnicity(models.TextChoices):
    WHITE = "white", _("White")
    MIXED = "mixed", _("Mixed or multiple ethnic groups")
    ASIAN = "asian", _("Asian or Asian British")
    BLACK = "black", _("Black, Black British, Caribbean or African")
    OTHER = "other", _("Other ethnic group")
    UNSAID = "unsaid", _("Prefer not to say")


class YearsInPractice(models.TextChoices):
    UNDER_2 = "under-2", _("Less than 2 years")
    YEARS_2_4 = "2-4", _("2 to 4 years")
    YEARS_5_9 = "5-9", _("5 to 9 years")
    YEARS_10_19 = "10-19", _("10 to 19 years")
    YEARS_20_PLUS = "20-plus", _("20 years or more")


PROFILE_FIELDS = ("role", "region", "employer_type", "age_band", "sex", "ethnicity", "years")


class Study(models.Model):
    """A research study that members consent to separately, e.g. a wellbeing survey."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    #: The research registry's project whose results report this study's change fills
    #: (through ``registry_handover``, the panel's one crossing into the registry).
    registry_project = models.ForeignKey(
        "registry.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="panel_studies",
        verbose_name=_("research project"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.name


class PanelMember(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for e-mail confirmation")
        ACTIVE = "active", _("Member")
        LEFT = "left", _("Left the panel")
        ANONYMISED = "anonymised", _("Identity removed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="panel_member",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    #: Random; the seed of the per-study pseudonyms.  Replaced when identity is removed.
    pseudonym_key = models.UUIDField(default=uuid.uuid4, editable=False)
    confirm_token_hash = models.CharField(max_length=64, blank=True)
    recontact = models.BooleanField(_("may contact me about future studies"), default=False)

    role = models.CharField(_("role"), max_length=24, choices=WorkforceRole.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    employer_type = models.CharField(
        _("employer type"), max_length=20, choices=EmployerType.choices
    )
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnic group"), max_length=10, choices=Ethnicity.choices)
    years = models.CharField(_("years in practice"), max_length=10, choices=YearsInPractice.choices)
    site = models.CharField(
        _("employer or site"),
        max_length=120,
        blank=True,
        help_text=_("Only used to compare sites in studies you take part in."),
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    last_invited_at = models.DateTimeField(null=True, blank=True)
    synthetic = models.BooleanField(default=False, help_text=_("Demo data."))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=~Q(email=""),
                name="panel_member_unique_email",
            )
        ]

    def __str__(self) -> str:
        return f"panel member #{self.pk}"

    def audit_label(self) -> str:
        return f"panel member #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def profile(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in PROFILE_FIELDS}


class ConsentRecord(models.Model):
    """One decision about one purpose, as given: append-only; withdrawal is a new row."""

    class Purpose(models.TextChoices):
        MEMBERSHIP = "membership", _("Membership of the panel")
        STUDY = "study", _("Taking part in a study")
        RECONTACT = "recontact", _("Being contacted about future studies")

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    study = models.ForeignKey(Study, on_delete=models.PROTECT, null=True, blank=True)
    granted = models.BooleanField()
    text_version = models.CharField(max_length=40)
    text_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose="study", study__isnull=False)
                | (~Q(purpose="study") & Q(study__isnull=True)),
                name="panel_consent_study_iff_study_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"consent #{self.pk}"


class Scale(models.Model):
    """A published scale, defined once and reused: items, options, scoring."""

    class Scoring(models.TextChoices):
        SUM = "sum", _("Sum of item scores")
        MEAN = "mean", _("Mean of item scores")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    source = models.CharField(_("source or citation"), max_length=300, blank=True)
    #: Option labels, scored 1..k in order (reverse-scored items score k+1-x).
    options = models.JSONField(_("options"), default=list)
    scoring = models.CharField(max_length=6, choices=Scoring.choices, default=Scoring.SUM)
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScaleItem(models.Model):
    scale = models.ForeignKey(Scale, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=300)
    reverse = models.BooleanField(_("reverse-scored"), default=False)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class Poll(models.Model):
    class Kind(models.TextChoices):
        POLL = "poll", _("Poll")
        SURVEY = "survey", _("Survey")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Audience(models.TextChoices):
        PANEL = "panel", _("Panel members")
        #: People outside the panel (e.g. an event's attendees, through ``core.surveys``):
        #: invited by address, answers not weighted, never listed with the panel's polls.
        OUTSIDE = "outside", _("People outside the panel (not weighted)")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.POLL)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(
        _("who answers"), max_length=8, choices=Audience.choices, default=Audience.PANEL
    )
    study = models.ForeignKey(
        Study, on_delete=models.PROTECT, null=True, blank=True, related_name="waves"
    )
    wave = models.PositiveSmallIntegerField(_("wave"), null=True, blank=True)
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    reminder_days = models.PositiveSmallIntegerField(_("days between reminders"), default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    #: When the periodic check (``panel_schedule``) opens a draft and closes an open poll.
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    #: Set when the results become public: at closing, unless the weighting did not
    #: converge; then only when staff confirm (``poll_results_publish``).
    results_published_at = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(
        _("minutes it takes"),
        null=True,
        blank=True,
        help_text=_("Said in the invitation, e.g. 5."),
    )
    invitation_text = models.TextField(
        _("invitation text"),
        blank=True,
        max_length=2000,
        help_text=_("A few sentences at the top of the invitation e-mail (plain text)."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "wave"], condition=Q(study__isnull=False), name="panel_wave_once"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def results_published(self) -> bool:
        return self.status == self.Status.CLOSED and self.results_published_at is not None

    def page_count(self) -> int:
        last = self.questions.aggregate(m=models.Max("page"))["m"]
        return int(last or 1)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        DROPDOWN = "dropdown", _("Dropdown (one of a long list)")
        LIKERT = "likert", _("Likert")
        SCALE = "scale", _("Scale from 0 to 10 (or another range)")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        RANKING = "ranking", _("Ranking")
        TEXT = "text", _("Free text")
        MATRIX = "matrix", _("Matrix (a published scale or rows)")

    class Match(models.TextChoices):
        ALL = "all", _("all of the conditions hold")
        ANY = "any", _("any of the conditions holds")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=400)
    hint = models.CharField(_("hint"), max_length=400, blank=True)
    required = models.BooleanField(_("required"), default=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    rows = models.JSONField(_("matrix rows"), default=list, blank=True)
    scale = models.ForeignKey(Scale, on_delete=models.PROTECT, null=True, blank=True)
    #: The page of a multi-page survey the question is on (1 for a one-page poll).
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    #: How the question's :class:`Condition` rows combine (skip logic).
    match = models.CharField(_("show when"), max_length=3, choices=Match.choices, default=Match.ALL)
    #: Number: the allowed range; scale: its ends (0 and 10 unless set).
    min_value = models.FloatField(_("lowest allowed"), null=True, blank=True)
    max_value = models.FloatField(_("highest allowed"), null=True, blank=True)
    #: Free text: the longest answer, in characters.
    max_length = models.PositiveIntegerField(
        _("longest answer (characters)"), null=True, blank=True
    )
    #: Scale: what its two ends mean, e.g. "Not at all likely" and "Extremely likely".
    low_label = models.CharField(_("label of the lowest point"), max_length=80, blank=True)
    high_label = models.CharField(_("label of the highest point"), max_length=80, blank=True)
    pulse_key = models.SlugField(
        _("pulse series"),
        max_length=80,
        blank=True,
        help_text=_("Questions with the same key in closed polls form a public time series."),
    )

    class Meta:
        ordering = ["page", "order", "pk"]

    def __str__(self) -> str:
        return self.text

    def choice_options(self) -> list[str]:
        if self.scale_id is not None:
            return [str(o) for o in self.scale.options]  # type: ignore[union-attr]
        return [str(o) for o in self.options]

    def matrix_rows(self) -> list[str]:
        if self.scale_id is not None:
            return [item.text for item in self.scale.items.all()]  # type: ignore[union-attr]
        return [str(r) for r in self.rows]

    def scale_range(self) -> tuple[int, int]:
        """A scale question's points, lowest and highest (0 to 10 unless set)."""
        low = 0 if self.min_value is None else int(self.min_value)
        high = 10 if self.max_value is None else int(self.max_value)
        return low, high


class Condition(models.Model):
    """One rule of a question's skip logic: shown if the answer to ``depends_on`` is (or, for
    a multiple choice, includes) ``value``, which is one of its options.  A question's
    conditions combine as its ``match`` says; ``depends_on`` comes earlier in the poll."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="conditions")
    depends_on = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="dependants", verbose_name=_("question")
    )
    value = models.CharField(_("answer"), max_length=200)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "depends_on", "value"], name="panel_condition_once"
            )
        ]

    def __str__(self) -> str:
        return f"condition #{self.pk}"


class Invitation(models.Model):
    """One member asked to answer one poll; the token (only its hash is kept) is single-use."""

    class Disposition(models.TextChoices):
        INVITED = "invited", _("Invited")
        OPENED = "opened", _("Opened")
        PARTIAL = "partial", _("Partial")
        COMPLETE = "complete", _("Complete")
        OPTED_OUT = "opted-out", _("Opted out")
        BOUNCED = "bounced", _("Bounced")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="invitations")
    member = models.ForeignKey(
        PanelMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    disposition = models.CharField(
        max_length=10, choices=Disposition.choices, default=Disposition.INVITED
    )
    region = models.CharField(max_length=20, choices=Region.choices)
    role = models.CharField(max_length=24, choices=WorkforceRole.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_contact_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "member"],
                condition=Q(member__isnull=False),
                name="panel_invite_once",
            )
        ]

    def __str__(self) -> str:
        return f"invitation #{self.pk}"


class ResponseQuerySet(models.QuerySet["Response"]):
    def current(self) -> ResponseQuerySet:
        """Sent responses not replaced by a later sent one: those that count in results."""
        return self.filter(status=Response.Status.COMPLETE).exclude(
            successor__status=Response.Status.COMPLETE
        )


class Response(models.Model):
    """A member's answers to a poll.  A sent response is never changed: while the poll is
    open the member may change their answers, which makes a new response that
    ``supersedes`` it (the record stays append-only; results count the latest sent one).
    One first response per invitation (a database constraint)."""

    class Status(models.TextChoices):
        PARTIAL = "partial", _("Saved, not sent")
        COMPLETE = "complete", _("Sent")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="responses")
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="successor",
        help_text=_("The sent response whose answers this one changes."),
    )
    member = models.ForeignKey(
        PanelMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    #: Links a member's responses across the waves of one study without naming them.
    pseudonym = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PARTIAL)
    role = models.CharField(max_length=24, choices=WorkforceRole.choices)
    region = models.CharField(max_length=20, choices=Region.choices)
    employer_type = models.CharField(max_length=20, choices=EmployerType.choices)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices)
    sex = models.CharField(max_length=10, choices=Sex.choices)
    ethnicity = models.CharField(max_length=10, choices=Ethnicity.choices)
    years = models.CharField(max_length=10, choices=YearsInPractice.choices)
    site = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["poll", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation"],
                condition=Q(supersedes__isnull=True),
                name="panel_first_response_once",
            )
        ]

    def __str__(self) -> str:
        return f"response #{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    #: str (single, likert, text), list[str] (multiple), number, {row: option} (matrix).
    value = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="panel_answer_once")
        ]

    def __str__(self) -> str:
        return f"answer #{self.pk}"
