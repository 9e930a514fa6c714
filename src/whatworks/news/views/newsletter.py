"""Public pages of the newsletter: subscribe, confirm, unsubscribe, manage, archive.

Subscribers have no account; signed links in their e-mails say who they are.  The
unsubscribe URL takes a POST without a CSRF token (RFC 8058 one-click: mail clients POST
``List-Unsubscribe=One-Click`` with no cookie); the signed token is the authority.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import add_to_form
from whatworks.core.throttle import Rate, throttle_mail
from whatworks.news import selectors
from whatworks.news.consent import CONSENT_TEXT, CONSENT_TEXT_VERSION
from whatworks.news.errors import NewsError
from whatworks.news.forms import ManageRequestForm, SubscribeForm, TopicsForm
from whatworks.news.services import subscribers

#: Subscriptions (and requests for a manage link) per client address and per typed address
#: (scopes "news.subscribe.*", "news.manage.*"); over the address limit: the same answer
#: and no e-mail.
SUBSCRIBE_CLIENT_RATE = Rate(limit=10, per=3600)
SUBSCRIBE_EMAIL_RATE = Rate(limit=3, per=3600)


def _message(request: HttpRequest, title: str, *paragraphs: str, status: int = 200) -> HttpResponse:
    return render(
        request, "news/message.html", {"title": title, "paragraphs": paragraphs}, status=status
    )


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        send = throttle_mail(
            request,
            scope="news.subscribe",
            email=form.cleaned_data["email"],
            client_rate=SUBSCRIBE_CLIENT_RATE,
            email_rate=SUBSCRIBE_EMAIL_RATE,
        )
        if not send:  # the same answer, no e-mail
            return redirect("news:subscribe_done")
        try:
            subscribers.subscriber_subscribe(
                actor=None,
                email=form.cleaned_data["email"],
                source="web form /news/newsletter/",
                topics=list(form.cleaned_data.get("topics") or []),
            )
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            return redirect("news:subscribe_done")
    return render(
        request,
        "news/subscribe.html",
        {"form": form, "consent_text": CONSENT_TEXT, "consent_version": CONSENT_TEXT_VERSION},
    )


def subscribe_done(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        _("Check your e-mail"),
        _("We have sent you a link to confirm your subscription. It works for 7 days."),
        _("You will get no newsletter until you confirm. If nothing arrives, check your spam "
          "folder or subscribe again."),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    subscriber = selectors.subscriber_for_token(token=token, purpose="confirm")
    if request.method == "POST":
        try:
            subscribers.subscriber_confirm(
                actor=None, subscriber=subscriber, source="confirmation link"
            )
        except NewsError as exc:
            return _message(request, _("Subscription not confirmed"), exc.message, status=409)
        return _message(
            request,
            _("Subscription confirmed"),
            _("Thank you. You will get the whatworks newsletter once a month."),
            _("Every issue has a link to unsubscribe."),
        )
    return render(request, "news/confirm.html", {"subscriber": subscriber})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button.  POST: unsubscribe (one-click from a mail client, or the
    button)."""
    subscriber = selectors.subscriber_for_token(token=token, purpose="unsubscribe")
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        subscribers.subscriber_unsubscribe(
            actor=None,
            subscriber=subscriber,
            source="one-click (RFC 8058)" if one_click else "unsubscribe page",
        )
        return _message(
            request,
            _("You have unsubscribed"),
            _("You will get no more issues of the newsletter."),
        )
    return render(request, "news/unsubscribe.html", {"subscriber": subscriber, "token": token})


@require_http_methods(["GET", "POST"])
def manage_request(request: HttpRequest) -> HttpResponse:
    form = ManageRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        send = throttle_mail(
            request,
            scope="news.manage",
            email=form.cleaned_data["email"],
            client_rate=SUBSCRIBE_CLIENT_RATE,
            email_rate=SUBSCRIBE_EMAIL_RATE,
        )
        try:
            if send:
                subscribers.subscriber_send_manage_link(
                    actor=None, email=form.cleaned_data["email"]
                )
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            return _message(
                request,
                _("Check your e-mail"),
                _("If that address is on our list, we have sent it a link to see, download "
                  "or erase what we hold about you."),
            )  # fmt: skip
    return render(request, "news/manage_request.html", {"form": form})


def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = selectors.subscriber_for_token(token=token, purpose="manage")
    return _manage_page(request, subscriber, token)


def _manage_page(
    request: HttpRequest, subscriber: Any, token: str, form: TopicsForm | None = None
) -> HttpResponse:
    form = form or TopicsForm(initial={"topics": list(subscriber.topics.all())})
    return render(
        request,
        "news/manage.html",
        {
            "subscriber": subscriber,
            "token": token,
            "consents": subscriber.consents.all(),
            "topics_form": form if form.fields["topics"].queryset.exists() else None,  # type: ignore[attr-defined]
        },
    )


@require_POST
def manage_topics(request: HttpRequest, token: str) -> HttpResponse:
    """The subscriber's own choice of topics, from their signed link."""
    subscriber = selectors.subscriber_for_token(token=token, purpose="manage")
    form = TopicsForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, subscriber, token, form)
    subscribers.subscriber_set_topics(
        actor=None, subscriber=subscriber, topics=list(form.cleaned_data["topics"])
    )
    messages.success(request, _("Your topics are saved."))
    return redirect("news:manage", token=token)


def manage_export(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = selectors.subscriber_for_token(token=token, purpose="manage")
    data = subscribers.subscriber_export(actor=None, subscriber=subscriber)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="whatworks-newsletter-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def manage_erase(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = selectors.subscriber_for_token(token=token, purpose="manage")
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Erase your newsletter data?"),
            consequences=[
                _(
                    "This erases your e-mail address, your %(c)s consent records and your "
                    "choice of topics. The %(d)s newsletters sent to you stay counted, with "
                    "nothing that leads back to you. You will get no more newsletters."
                )
                % {
                    "c": f"{subscriber.consents.count():,}",
                    "d": f"{subscriber.deliveries.count():,}",
                },
            ],
            button=_("Yes, erase my data"),
            cancel_url=reverse("news:manage", kwargs={"token": token}),
        ),
    )
    if page is not None:
        return page
    subscribers.subscriber_erase(actor=None, subscriber=subscriber)
    messages.success(request, _("We have erased your e-mail address and everything about it."))
    return redirect("news:subscribe")


def archive(request: HttpRequest) -> HttpResponse:
    return render(request, "news/archive.html", {"issues": selectors.issues_archive()})


def archive_issue(request: HttpRequest, slug: str) -> HttpResponse:
    issue = selectors.issue_get_for_user(user=request.user, slug=slug)
    return render(request, "news/archive_issue.html", {"issue": issue})
