"""Forum pages: the list, voting (htmx-enhanced, works without script), writing a
statement, the participant's own view, the public report, the facilitator's dashboard,
moderation and the Pol.is export."""

from __future__ import annotations

import io
import secrets
import tempfile
import zipfile
from pathlib import Path

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import Throttled, add_to_form
from whatworks.core.http import AuthedHttpRequest, HtmxHttpRequest
from whatworks.core.parts import PARTS_BY_KEY
from whatworks.core.throttle import Rate, email_key, throttle_hit, throttle_request
from whatworks.forum import embed, selectors
from whatworks.forum.errors import ForumError
from whatworks.forum.forms import ModerationForm, StatementForm, VerifyForm, VoteForm
from whatworks.forum.models import Conversation, Participant, Statement
from whatworks.forum.report import BAR_WIDTH, VOTE_COLOURS, build_report, legend_marker_svg
from whatworks.forum.services import statements as statement_services
from whatworks.forum.services.conversations import conversation_close
from whatworks.forum.services.participants import participant_verify, participant_verify_request
from whatworks.forum.services.polis import conversation_export
from whatworks.forum.services.statements import (
    STATEMENT_LIMIT,
    STATEMENT_WINDOW,
    statement_moderate,
)
from whatworks.forum.services.votes import VOTE_LIMIT, VOTE_WINDOW, vote_cast

ANON_COOKIE = "forum_participant"
ANON_SALT = "whatworks.forum.participant"
ANON_MAX_AGE = 365 * 24 * 3600

# Per client address, for people who are not signed in (a browser that drops its cookie
# is a new participant, so the per-participant limits alone do not hold).  Signed-in
# people are limited per participant by the services.  Scopes for WHATWORKS_THROTTLE_RATES.
#: New anonymous participants from one address (an office behind one address counts once
#: per person; a conversation for a room full of people can require confirmed addresses).
JOIN_RATE = Rate(limit=20, per=3600)
#: Anonymous votes from one address, as many as one participant may cast.
VOTE_RATE = Rate(limit=VOTE_LIMIT, per=int(VOTE_WINDOW.total_seconds()))
#: Anonymous statements from one address, as many as one participant may write.
STATEMENT_RATE = Rate(limit=STATEMENT_LIMIT, per=int(STATEMENT_WINDOW.total_seconds()))
#: Confirmation e-mails asked for, per client address and per e-mail address.
VERIFY_RATE = Rate(limit=10, per=3600)
VERIFY_EMAIL_RATE = Rate(limit=3, per=3600)


def _anon_key(request: HttpRequest) -> str:
    """The browser's participant id from its signed cookie (read once per request)."""
    if request.user.is_authenticated:
        return ""
    if not hasattr(request, "_forum_anon_key"):
        key = request.get_signed_cookie(ANON_COOKIE, default="", salt=ANON_SALT) or ""
        request._forum_anon_key = key  # type: ignore[attr-defined]
    return str(request._forum_anon_key)  # type: ignore[attr-defined]


def _remember_browser(request: HttpRequest, response: HttpResponse, key: str) -> HttpResponse:
    if key and not request.user.is_authenticated and key != _anon_key(request):
        response.set_signed_cookie(
            ANON_COOKIE,
            key,
            salt=ANON_SALT,
            max_age=ANON_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _can_take_part(request: HttpRequest, conversation: Conversation) -> bool:
    return request.user.is_authenticated or conversation.allow_anonymous


def _throttle_anonymous(request: HttpRequest, *, scope: str, rate: Rate) -> None:
    """Count an anonymous write against the client's address (and a new participant, when
    the browser brings no id); signed-in people are counted per participant instead."""
    if request.user.is_authenticated:
        return
    if not _anon_key(request):
        throttle_request(request, scope="forum.join.address", rate=JOIN_RATE)
    throttle_request(request, scope=scope, rate=rate)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["forum"]
    conversations = list(selectors.conversations_for_user(user=request.user))
    return render(
        request,
        "forum/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "open": [c for c in conversations if c.is_open()],
            "upcoming": [c for c in conversations if not c.has_opened()],
            "closed": [c for c in conversations if c.has_opened() and not c.is_open()],
        },
    )


def _card_context(
    request: HttpRequest, conversation: Conversation, anon_key: str
) -> dict[str, object]:
    participant = selectors.participant_find(
        conversation=conversation, user=request.user, anon_key=anon_key
    )
    return {
        "conversation": conversation,
        "statement": selectors.next_statement(conversation=conversation, participant=participant)
        if conversation.is_open()
        else None,
        "progress": selectors.participant_progress(
            conversation=conversation, participant=participant
        ),
        "can_take_part": _can_take_part(request, conversation),
        "must_verify": _must_verify(request, conversation, participant),
        "is_open": conversation.is_open(),
    }


def _must_verify(
    request: HttpRequest, conversation: Conversation, participant: Participant | None
) -> bool:
    """An anonymous browser that must confirm an e-mail address before taking part."""
    return (
        not request.user.is_authenticated
        and conversation.allow_anonymous
        and conversation.anonymous_must_verify
        and (participant is None or participant.verified_at is None)
    )


@require_GET
@embed.embeddable
def conversation(request: HttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    if embed.framed_by_another_site(request) and embed.allowed_origins(conv):
        # the platform's cookies are not sent in another site's frame: vote in a new tab
        return render(request, "forum/embedded.html", {"conversation": conv})
    return render(
        request, "forum/conversation.html", _card_context(request, conv, _anon_key(request))
    )


@require_POST
def vote(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    form = VoteForm(request.POST)
    key = _anon_key(request) or ("" if request.user.is_authenticated else secrets.token_urlsafe(18))
    error = ""
    status = 200
    throttled: Throttled | None = None
    if not form.is_valid():
        error = _("Choose agree, disagree or pass.")
    else:
        statement = selectors.statement_get_for_user(
            user=request.user, conversation=conv, number=form.cleaned_data["statement"]
        )
        try:
            _throttle_anonymous(request, scope="forum.vote.address", rate=VOTE_RATE)
            vote_cast(
                actor=request.user if request.user.is_authenticated else None,
                conversation=conv,
                statement=statement,
                value=form.value(),
                anon_key=key,
            )
        except Throttled as exc:
            if not request.htmx:
                raise  # the 429 page (core.middleware.ThrottleMiddleware)
            # htmx swaps the card in even for a 429 (forum.js): the card says so
            throttled, error, status = exc, exc.message, 429
        except ForumError as exc:
            error = exc.message
    if request.htmx:
        context = _card_context(request, conv, key) | {"error": error, "voted": not error}
        response = render(request, "forum/_vote_card.html", context, status=status)
        if throttled is not None:
            response["Retry-After"] = str(throttled.retry_after)
            return response
    else:
        if error:
            messages.error(request, error)
        response = redirect("forum:conversation", slug=conv.slug)
        response.status_code = 303
    return _remember_browser(request, response, key)


@require_http_methods(["GET", "POST"])
def statement_add(request: HttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    form = StatementForm(request.POST or None)
    key = _anon_key(request) or ("" if request.user.is_authenticated else secrets.token_urlsafe(18))
    if request.method == "POST" and form.is_valid():
        try:
            _throttle_anonymous(request, scope="forum.statement.address", rate=STATEMENT_RATE)
            statement = statement_services.statement_add(
                actor=request.user if request.user.is_authenticated else None,
                conversation=conv,
                text=form.cleaned_data["text"],
                anon_key=key,
            )
        except ForumError as exc:
            add_to_form(form, exc, field="text")
        else:
            if statement.status in conv.visible_statuses():
                messages.success(request, _("Thank you: your statement is now open for votes."))
            else:
                messages.success(
                    request,
                    _("Thank you: your statement will be shown once a moderator accepts it."),
                )
            response = redirect("forum:conversation", slug=conv.slug)
            return _remember_browser(request, response, key)
    return render(
        request,
        "forum/statement_add.html",
        {
            "conversation": conv,
            "form": form,
            "is_open": conv.is_open(),
            "can_take_part": _can_take_part(request, conv),
            "must_verify": _must_verify(
                request,
                conv,
                selectors.participant_find(conversation=conv, user=request.user, anon_key=key),
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask for a link that confirms an e-mail address (anonymous participants)."""
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    form = VerifyForm(request.POST or None)
    key = _anon_key(request) or secrets.token_urlsafe(18)
    if request.method == "POST" and not request.user.is_authenticated and form.is_valid():
        email = form.cleaned_data["email"]
        throttle_request(request, scope="forum.verify.address", rate=VERIFY_RATE)
        try:
            # per address: over the limit, the same answer and no e-mail, so that the
            # answer tells nobody whether someone else asked for this address
            throttle_hit(scope="forum.verify.email", key=email_key(email), rate=VERIFY_EMAIL_RATE)
        except Throttled:
            sent = True
        else:
            try:
                participant_verify_request(conversation=conv, anon_key=key, email=email)
            except ForumError as exc:
                add_to_form(form, exc)
                sent = False
            else:
                sent = True
        if sent:
            messages.success(
                request,
                _(
                    "We have sent a link to %(email)s. Open it within two days to take part; "
                    "if nothing arrives, check the address and ask again."
                )
                % {"email": email},
            )
            response = redirect("forum:conversation", slug=conv.slug)
            response.status_code = 303
            return _remember_browser(request, response, key)
    return render(
        request,
        "forum/verify.html",
        {"conversation": conv, "form": form, "is_open": conv.is_open()},
    )


@require_http_methods(["GET", "POST"])
def verify_confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link from the e-mail: a button (so that mail scanners opening links confirm
    nothing), then this browser becomes that address's participant."""
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    error = ""
    if request.method == "POST" and not request.user.is_authenticated:
        try:
            participant = participant_verify(conversation=conv, token=token)
        except ForumError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your e-mail address is confirmed: you can take part."))
            response = redirect("forum:conversation", slug=conv.slug)
            response.status_code = 303
            return _remember_browser(request, response, participant.anon_key)
    return render(
        request,
        "forum/verify_confirm.html",
        {"conversation": conv, "error": error, "is_open": conv.is_open()},
    )


@require_GET
def me(request: HttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    participant = selectors.participant_find(
        conversation=conv, user=request.user, anon_key=_anon_key(request)
    )
    run = selectors.latest_run(conv)
    statements = list(conv.statements.filter(status__in=conv.visible_statuses()))
    report = build_report(
        run=run, statements=statements, highlight=participant.pk if participant else None
    )
    position = None
    group = None
    if participant is not None and run is not None:
        position = run.result.get("positions", {}).get(str(participant.pk))
        if position and position["group"] >= 0:
            group = next((g for g in report.groups if g.id == position["group"]), None)
    latest = selectors.participant_latest_votes(participant=participant) if participant else {}
    texts = {s.number: s.text for s in statements}
    return render(
        request,
        "forum/me.html",
        {
            "conversation": conv,
            "participant": participant,
            "report": report,
            "group": group,
            "position": position,
            "my_votes": [(texts[n], v) for n, v in sorted(latest.items()) if n in texts],
            "legend": [(g, legend_marker_svg(g)) for g in report.groups],
        },
    )


@require_GET
@embed.embeddable
def report(request: HttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    statements = list(conv.statements.filter(status__in=conv.visible_statuses()))
    result = build_report(run=selectors.latest_run(conv), statements=statements)
    return render(
        request,
        "forum/report.html",
        {
            "conversation": conv,
            "report": result,
            "bar_width": BAR_WIDTH,
            "vote_colours": VOTE_COLOURS,
            "provenance": selectors.vote_provenance(conversation=conv),
            "legend": [(g, legend_marker_svg(g)) for g in result.groups],
        },
    )


@require_GET
@require_permission(selectors.VIEW_ALL)
def dashboard(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    return render(
        request,
        "forum/dashboard.html",
        {"conversation": conv, **selectors.dashboard(conversation=conv)},
    )


@require_POST
@require_permission(selectors.MODERATE)
def moderate(request: AuthedHttpRequest, slug: str, number: int) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    statement = selectors.statement_get_for_user(
        user=request.user, conversation=conv, number=number
    )
    form = ModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accept, reject or meta."))
        return redirect("forum:dashboard", slug=conv.slug)
    action = form.cleaned_data["action"]
    status = {"accept": Statement.Status.ACCEPTED, "reject": Statement.Status.REJECTED}.get(action)
    is_meta = {"meta": True, "not-meta": False}.get(action)
    try:
        statement_moderate(actor=request.user, statement=statement, status=status, is_meta=is_meta)
    except ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Statement %(n)d updated.") % {"n": statement.number})
    return redirect(reverse("forum:dashboard", args=[conv.slug]) + "#queue")


@require_POST
@require_permission("forum.change_conversation")
def close(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Close “%(question)s”?") % {"question": conv.question},
            consequences=[
                _(
                    "This closes the conversation for good: its %(p)s participants can no "
                    "longer vote or add statements, and its %(s)s statements and %(v)s votes "
                    "become final."
                )
                % {
                    "p": f"{conv.participants.count():,}",
                    "s": f"{conv.statements.count():,}",
                    "v": f"{conv.votes.count():,}",
                }
            ],
            button=_("Close the conversation"),
            cancel_url=reverse("forum:dashboard", kwargs={"slug": conv.slug}),
        ),
    )
    if page is not None:
        return page
    try:
        conversation_close(actor=request.user, conversation=conv)
    except ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conversation is closed: it is now read-only."))
    return redirect("forum:dashboard", slug=conv.slug)


@require_GET
@require_permission(selectors.EXPORT)
def export(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    conv = selectors.conversation_get_for_user(user=request.user, slug=slug)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        conversation_export(actor=request.user, conversation=conv, directory=folder)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, arcname=f"{conv.slug}/{path.name}")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{conv.slug}-polis.zip"'
    return response
