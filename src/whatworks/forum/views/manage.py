"""Staff pages of the forum: every conversation (drafts and closed ones too), setting one
up with its opening statements, editing it, and opening it now.  Closing is the
dashboard's ``forum:close``.

Moderators (researchers, editors, administrators: ``forum.view_conversation``) see the
list; editors and administrators set conversations up and change them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.forum import embed, importing, selectors
from whatworks.forum.errors import ConversationInvalidError, EmbedError, ForumError, ImportProblems
from whatworks.forum.forms import ConversationForm, EmbedForm, PolisImportForm
from whatworks.forum.models import Participant, Statement, Vote
from whatworks.forum.services.conversations import (
    conversation_embed_set,
    conversation_open_now,
    conversation_setup,
    conversation_update,
)

ADD = "forum.add_conversation"
CHANGE = "forum.change_conversation"


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT per conversation (no join of the vote log onto the list)."""
    sub = (
        queryset.filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


@require_GET
@require_permission(selectors.VIEW_ALL)
def staff_list(request: AuthedHttpRequest) -> HttpResponse:
    conversations = list(
        selectors.conversations_for_user(user=request.user).annotate(
            n_votes=_count(Vote.objects.all()),
            n_participants=_count(Participant.objects.all()),
            n_statements=_count(Statement.objects.filter(~Q(status=Statement.Status.REJECTED))),
            n_pending=_count(Statement.objects.filter(status=Statement.Status.PENDING)),
        )
    )
    return render(
        request,
        "forum/staff/list.html",
        {
            "open": [c for c in conversations if c.is_open()],
            "drafts": [c for c in conversations if not c.has_opened()],
            "closed": [c for c in conversations if c.has_opened() and not c.is_open()],
        },
    )


@require_http_methods(["GET", "POST"])
@require_permission(ADD)
def conversation_create(request: AuthedHttpRequest) -> HttpResponse:
    form = ConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = conversation_setup(
                actor=request.user,
                seed_statements=form.cleaned_data["seed_statements"],
                **form.values(),
            )
        except ConversationInvalidError as exc:
            add_to_form(form, exc)
        else:
            n = created.statements.count()
            messages.success(
                request,
                ngettext(
                    "The conversation is set up with %(n)d opening statement.",
                    "The conversation is set up with %(n)d opening statements.",
                    n,
                )
                % {"n": n},
            )
            return redirect("forum:dashboard", slug=created.slug)
    return render(request, "forum/staff/conversation_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_permission(CHANGE)
def conversation_edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    conversation = selectors.conversation_get_for_user(user=request.user, slug=slug)
    form = ConversationForm(request.POST or None, conversation=conversation)
    if request.method == "POST" and form.is_valid():
        try:
            conversation_update(actor=request.user, conversation=conversation, **form.values())
        except ConversationInvalidError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("forum:dashboard", slug=conversation.slug)
    return render(
        request,
        "forum/staff/conversation_form.html",
        {
            "form": form,
            "conversation": conversation,
            "has_votes": conversation.votes.exists(),
        },
    )


@require_POST
@require_permission(CHANGE)
def conversation_open(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    conversation = selectors.conversation_get_for_user(user=request.user, slug=slug)
    try:
        conversation_open_now(actor=request.user, conversation=conversation)
    except ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conversation is open: people can vote and write."))
    return redirect("forum:dashboard", slug=conversation.slug)


@require_http_methods(["GET", "POST"])
@require_permission(ADD)
def conversation_import(request: AuthedHttpRequest) -> HttpResponse:
    """Import a Pol.is open-data export as a closed conversation (its analysis is queued)."""
    form = PolisImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = [f for f in (data["archive"], data["comments"], data["votes"]) if f]
        try:
            imported = importing.conversation_import_upload(
                actor=request.user,
                slug=data["slug"],
                archive=data["archive"] or None,
                comments=data["comments"] or None,
                votes=data["votes"] or None,
                size=sum(f.size for f in files),
            )
        except ImportProblems as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Imported %(s)d statements, %(p)d participants and %(v)d votes. The analysis "
                  "runs in the background; the report shows it when it is done.")
                % {"s": imported.statements, "p": imported.participants, "v": imported.votes},
            )  # fmt: skip
            return redirect("forum:dashboard", slug=imported.conversation.slug)
    return render(
        request,
        "forum/staff/import.html",
        {"form": form, "max_mb": importing.MAX_UPLOAD_BYTES // (1024 * 1024)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require_permission(CHANGE)
def conversation_embed(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Which partners' sites may show the conversation in a frame (none by default)."""
    conversation = selectors.conversation_get_for_user(user=request.user, slug=slug)
    form = EmbedForm(request.POST or None, initial={"origins": conversation.embed_origins})
    if request.method == "POST" and form.is_valid():
        try:
            conversation_embed_set(
                actor=request.user,
                conversation=conversation,
                origins_text=form.cleaned_data["origins"],
            )
        except EmbedError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The sites that may embed the conversation are saved.")
                if conversation.embed_origins
                else _("No site may embed the conversation."),
            )
            return redirect("forum:conversation_embed", slug=conversation.slug)
    return render(
        request,
        "forum/staff/embed.html",
        {
            "conversation": conversation,
            "form": form,
            "origins": embed.allowed_origins(conversation),
            "embed_url": request.build_absolute_uri(
                reverse("forum:conversation", kwargs={"slug": conversation.slug})
            ),
        },
        status=400 if form.errors else 200,
    )
