"""E-mails to applicants: receipt of an application and the decision.  Sent after commit."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from whatworks.calls.models import Application
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send

SUBJECTS = {
    "received": "We have received your application to {title}",
    "shortlisted": "Your application to {title} is shortlisted",
    "accepted": "Your application to {title} is accepted",
    "declined": "Your application to {title}",
    "reminder": "{title} closes soon: your application is not submitted",
}


def send_application_email(application_id: int, kind: str) -> None:
    application = Application.objects.select_related("call", "applicant").get(pk=application_id)
    context = {
        "application": application,
        "call": application.call,
        "kind": kind,
        "link": absolute_url(
            reverse("calls:apply", args=[application.call.slug])
            if kind == "reminder"
            else application.get_absolute_url()
        ),
    }
    mail_send(
        mail_message(
            subject=SUBJECTS[kind].format(title=application.call.title),
            body=render_to_string("calls/email/application.txt", context),
            to=[application.applicant.email],
        )
    )
