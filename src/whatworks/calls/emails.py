"""E-mails to applicants: receipt of an application and the decision.  Sent after commit."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from whatworks.calls.models import Application

SUBJECTS = {
    "received": "We have received your application to {title}",
    "shortlisted": "Your application to {title} is shortlisted",
    "accepted": "Your application to {title} is accepted",
    "declined": "Your application to {title}",
}


def send_application_email(application_id: int, kind: str) -> None:
    application = Application.objects.select_related("call", "applicant").get(pk=application_id)
    context = {
        "application": application,
        "call": application.call,
        "kind": kind,
        "link": f"{settings.WHATWORKS_BASE_URL}{application.get_absolute_url()}",
    }
    EmailMessage(
        subject=SUBJECTS[kind].format(title=application.call.title),
        body=render_to_string("calls/email/application.txt", context),
        to=[application.applicant.email],
    ).send()
