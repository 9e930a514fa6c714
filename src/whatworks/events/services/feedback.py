"""The feedback survey after an event, built with the polling panel's survey tools.

Events does not reach into the panel's models: it asks ``core.surveys``' provider (the
panel registers it) to make the survey from a ready-made template, to invite addresses and
to show the results, and keeps only the survey's id on the event
(``Event.feedback_survey_id``) and, per registration, when its invitation went
(``Registration.feedback_invited_at``).

Who is asked: everyone checked in whose registration is confirmed, whose data is still
kept and who gave an address, once each, only after the event has ended.  Attendees are
not panel members: each gets a single-use link of their own, the panel stores no address,
and their answers are shown unweighted and never join the panel's weighted results.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core import surveys
from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import SurveyError
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.events.errors import EventError
from whatworks.events.models import Event, Registration
from whatworks.events.services.registrations import _actor


def feedback_due(event: Event) -> QuerySet[Registration]:
    """The registrations the survey has yet to go to (an empty set before the event ends)."""
    return Registration.objects.filter(
        event=event,
        status=Registration.Status.CONFIRMED,
        checked_in_at__isnull=False,
        feedback_invited_at__isnull=True,
        anonymised_at__isnull=True,
    ).exclude(email="")


@transaction.atomic
def event_feedback_create(*, actor: User | None, event: Event, template: str) -> Event:
    """Make the event's feedback survey from a ready-made ``template`` (one per event)."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.cancelled:
        raise EventError(_("The event is cancelled, so it has no feedback survey."))
    if event.feedback_survey_id is not None:
        raise EventError(_("This event already has its feedback survey."))
    try:
        survey = surveys.provider().create(
            actor=_actor(actor),
            title=_("Feedback: %(title)s") % {"title": event.title},
            reference=f"event:{event.slug}",
            template=template,
        )
    except SurveyError as error:
        raise EventError(error.message) from error
    event.feedback_survey_id = survey.id
    event.save(update_fields=["feedback_survey_id"])
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_FEEDBACK_SURVEY_CREATED,
        target=event,
        changes={"survey": survey.id, "template": template},
    )
    return event


def _about(event: Event) -> str:
    return _("Thank you for coming to %(title)s on %(date)s. Please tell us how it went.") % {
        "title": event.title,
        "date": timezone.localtime(event.starts_at).strftime("%-d %B %Y"),
    }


@transaction.atomic
def event_feedback_send(
    *, actor: User | None, event: Event, now: datetime | None = None, at_most: int | None = None
) -> int:
    """After the event, invite everyone checked in who has not been invited yet (e-mails
    after commit, by the panel); return how many.  ``at_most``: the number the sender
    confirmed; if more became due since, nobody is invited."""
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.feedback_survey_id is None:
        raise EventError(_("Make the feedback survey first."))
    if event.ends_at > now:
        raise EventError(_("The feedback survey goes out once the event has ended."))
    due = list(feedback_due(event).values_list("pk", "email"))
    if at_most is not None and len(due) > at_most:
        raise EventError(
            _("%(n)s people are now due the survey, more than the %(m)s you confirmed: check "
              "the number and send again.") % {"n": len(due), "m": at_most}
        )  # fmt: skip
    if not due:
        return 0
    Registration.objects.filter(pk__in=[pk for pk, _email in due]).update(feedback_invited_at=now)
    try:
        sent = surveys.provider().invite(
            actor=_actor(actor),
            survey_id=event.feedback_survey_id,
            addresses=[email for _pk, email in due],
            about=_about(event),
        )
    except SurveyError as error:
        raise EventError(error.message) from error
    audit_record(
        actor=_actor(actor),
        action=AuditAction.EVENT_FEEDBACK_SENT,
        target=event,
        changes={"survey": event.feedback_survey_id, "count": sent},
    )
    return sent


def feedback_send_due(*, now: datetime | None = None) -> int:
    """For the scheduled command: send every ended event's survey to whoever it has yet to
    go to (while their data is kept); return how many were invited."""
    now = now or timezone.now()
    events = Event.objects.filter(
        feedback_survey_id__isnull=False,
        cancelled_at__isnull=True,
        ends_at__lte=now,
        ends_at__gt=now - timedelta(days=settings.WHATWORKS_EVENTS_RETENTION_DAYS),
    )
    sent = 0
    for event in events:
        if feedback_due(event).exists():
            try:
                sent += event_feedback_send(actor=None, event=event, now=now)
            except EventError:
                continue  # e.g. the survey closed: nothing more to send
    return sent
