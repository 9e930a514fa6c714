"""The deliberative forum: conversations, participants, statements, the vote log, analyses.

Votes are an append-only log: a participant who changes their mind adds a vote, and the
latest vote of each participant on each statement is the one that counts (the analysis
package's ``build_matrix`` applies that rule).  Statements are numbered per conversation;
the number is the ``tid`` of the Pol.is export, and the participant's primary key is its
``pid``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Longest statement a participant may write (Pol.is allows 140 characters; we allow a
#: little more for plain English).
STATEMENT_MAX_LENGTH = 280


class Conversation(models.Model):
    class Moderation(models.TextChoices):
        #: Statements are shown to voters as soon as they are written; moderators may
        #: reject them later (Pol.is "post-moderation").
        AFTER = "after", _("Shown at once, moderated afterwards")
        #: Statements wait in the queue until a moderator accepts them.
        BEFORE = "before", _("Shown only after a moderator accepts them")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    question = models.CharField(_("question"), max_length=300)
    background = models.TextField(_("background"), blank=True)
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.BEFORE
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    allow_anonymous = models.BooleanField(
        _("allow anonymous participants"),
        default=True,
        help_text=_("People who are not signed in may vote and write, with a per-browser id."),
    )
    #: Anonymous participants must first confirm an e-mail address (one participant per
    #: address): a browser that drops its cookie is no longer a new voter.
    anonymous_must_verify = models.BooleanField(
        _("people who are not signed in must confirm an e-mail address"),
        default=False,
        help_text=_(
            "They get a link by e-mail; one address is one participant. Votes of people who "
            "neither signed in nor confirmed an address are counted apart in the report."
        ),
    )
    allow_statements = models.BooleanField(_("participants may write statements"), default=True)
    #: A plain reference to an event of the events part (its slug), so the forum does not
    #: depend on that app.
    event_slug = models.SlugField(_("event"), max_length=80, blank=True)
    analysis_seed = models.PositiveIntegerField(_("analysis seed"), default=0)
    #: Partners' sites that may show the conversation in a frame: origins, one per line
    #: (``https://host``).  Empty, the default, allows none (``frame-ancestors 'none'``).
    embed_origins = models.TextField(_("sites that may embed it"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ("-opens_at",)
        permissions = (
            ("moderate_conversation", _("Can moderate statements of a conversation")),
            ("export_conversation", _("Can export a conversation's votes")),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="forum_conversation_closes_after_opening",
            ),
        )

    def __str__(self) -> str:
        return self.question

    def get_absolute_url(self) -> str:
        return reverse("forum:conversation", args=[self.slug])

    def audit_label(self) -> str:
        return f"conversation {self.slug}"

    def is_open(self, now: object = None) -> bool:
        """Open from ``opens_at`` until ``closes_at`` (exclusive); computed, never stored."""
        now = now or timezone.now()
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)  # type: ignore[operator]

    def has_opened(self) -> bool:
        return self.opens_at <= timezone.now()

    def visible_statuses(self) -> tuple[str, ...]:
        """The statement statuses voters see, by moderation mode."""
        if self.moderation == self.Moderation.AFTER:
            return (Statement.Status.ACCEPTED, Statement.Status.PENDING)
        return (Statement.Status.ACCEPTED,)


class Participant(models.Model):
    """Someone taking part in one conversation: a signed-in user or a per-browser id."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forum_participations",
    )
    #: Random id from the browser's signed cookie (anonymous), or ``polis-<pid>`` (imported).
    anon_key = models.CharField(max_length=64, blank=True)
    #: HMAC-SHA256 of the e-mail address an anonymous participant confirmed (never the
    #: address itself): one participant per address and conversation.
    email_digest = models.CharField(max_length=64, blank=True)
    #: When an anonymous participant confirmed their e-mail address.
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("conversation", "user"),
                condition=Q(user__isnull=False),
                name="forum_one_participant_per_user",
            ),
            models.UniqueConstraint(
                fields=("conversation", "anon_key"),
                condition=~Q(anon_key=""),
                name="forum_one_participant_per_browser",
            ),
            models.UniqueConstraint(
                fields=("conversation", "email_digest"),
                condition=~Q(email_digest=""),
                name="forum_one_participant_per_email",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(anon_key=""),
                name="forum_participant_has_identity",
            ),
        )

    def __str__(self) -> str:
        return f"participant #{self.pk}"

    @property
    def is_verified(self) -> bool:
        """Signed in, or an anonymous participant who confirmed an e-mail address."""
        return self.user_id is not None or self.verified_at is not None


class Statement(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="statements"
    )
    #: The comment id (``tid``) of the Pol.is export: 0, 1, 2 ... within the conversation.
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="statements"
    )
    text = models.CharField(_("statement"), max_length=STATEMENT_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    #: About the participant ("I am a social worker"), not an opinion: left out of the
    #: opinion analysis but still voted on.
    is_meta = models.BooleanField(_("meta statement"), default=False)
    #: Written by the facilitators when the conversation was set up.
    is_seed = models.BooleanField(_("seed statement"), default=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        ordering = ("conversation", "number")
        constraints = (
            models.UniqueConstraint(
                fields=("conversation", "number"), name="forum_statement_number_unique"
            ),
        )

    def __str__(self) -> str:
        return self.text

    def audit_label(self) -> str:
        return f"statement {self.number} of conversation #{self.conversation_id}"


class Vote(models.Model):
    """One vote event.  Never updated or deleted: the latest per statement counts."""

    class Value(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass / unsure")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=Value.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = (
            models.Index(fields=("participant", "created_at"), name="forum_vote_participant_time"),
            models.Index(fields=("conversation", "statement"), name="forum_vote_conv_statement"),
        )
        constraints = (
            models.CheckConstraint(condition=Q(value__in=(-1, 0, 1)), name="forum_vote_value"),
        )

    def __str__(self) -> str:
        return f"vote #{self.pk}"


class AnalysisState(models.Model):
    """The debounce flag: ``queued`` is set by one conditional UPDATE, so that however many
    votes arrive, at most one analysis task per conversation waits in the queue."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="analysis_state"
    )
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"analysis state of {self.conversation_id}"


class AnalysisRun(models.Model):
    """One stored analysis: reproducible from the votes up to ``last_vote_id``, the
    moderation recorded in ``result["moderation"]``, and ``seed``."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="analysis_runs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    seed = models.PositiveIntegerField()
    n_votes = models.PositiveIntegerField(help_text=_("Vote events in the log up to this run."))
    n_participants = models.PositiveIntegerField()
    last_vote_id = models.BigIntegerField(default=0)
    code_version = models.CharField(max_length=60)
    duration_ms = models.PositiveIntegerField(default=0)
    result = models.JSONField()

    class Meta:
        ordering = ("-created_at", "-pk")
        get_latest_by = ("created_at", "pk")

    def __str__(self) -> str:
        return f"analysis #{self.pk} of {self.conversation_id}"


class AnalysisReplay(models.Model):
    """Pol.is's stateful grouping of a conversation (issue 20), carried between analysis
    runs: the in-conversation set, the PCA, base clusters and groups for the warm start,
    the k smoother.  Each run steps it with the votes after ``last_vote_id``; a state of
    another ``version`` (code, state layout, update window or seed) is rebuilt from the
    first vote.  Its own row, apart from :class:`AnalysisState`, so that the run's lock on
    it never delays a vote's debounce UPDATE."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="analysis_replay"
    )
    version = models.CharField(max_length=120)
    last_vote_id = models.BigIntegerField(default=0)
    n_updates = models.PositiveIntegerField(default=0)
    #: ``whatworks_analytics.deliberation.ReplayState.to_bytes()``
    state = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"replay state of {self.conversation_id}"
