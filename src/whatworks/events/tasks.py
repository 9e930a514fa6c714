"""Scheduled work of events: expire unanswered offers; remind attendees; anonymise past
attendees.

Run them from a scheduler with ``manage.py events_expire_offers``,
``manage.py events_send_reminders`` and ``manage.py events_anonymise`` (or enqueue these
tasks), e.g. every 10 minutes, every 10 minutes and daily.  Each is a thin wrapper of a
service, bound to its job in ``events/jobs.py``.
"""

from __future__ import annotations

from django_tasks import task

from whatworks.events import jobs
from whatworks.events.services.registrations import offers_expire, registrations_anonymise
from whatworks.events.services.staff import reminders_send


@task()
def expire_offers() -> int:
    return offers_expire()


@task()
def anonymise_attendees() -> int:
    return registrations_anonymise()


@task()
def send_reminders() -> int:
    return reminders_send()


jobs.EXPIRE_OFFERS.bind(expire_offers)
jobs.ANONYMISE_ATTENDEES.bind(anonymise_attendees)
jobs.SEND_REMINDERS.bind(send_reminders)
