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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.models import User
from whatworks.forum import selectors, services
from whatworks.forum.forms import ConversationForm
from whatworks.forum.models import Participant, Statement, Vote

ADD = "forum.add_conversation"
CHANGE = "forum.change_conversation"


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


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
def staff_list(request: HttpRequest) -> HttpResponse:
    conversations = list(
        selectors.conversations_for_user(user=_actor(request)).annotate(
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
def conversation_create(request: HttpRequest) -> HttpResponse:
    form = ConversationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.conversation_setup(
                actor=_actor(request),
                seed_statements=form.cleaned_data["seed_statements"],
                **form.values(),
            )
        except services.ConversationInvalidError as exc:
            form.add_problems(exc.problems)
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
def conversation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    conversation = selectors.conversation_get_for_user(user=_actor(request), slug=slug)
    form = ConversationForm(request.POST or None, conversation=conversation)
    if request.method == "POST" and form.is_valid():
        try:
            services.conversation_update(
                actor=_actor(request), conversation=conversation, **form.values()
            )
        except services.ConversationInvalidError as exc:
            form.add_problems(exc.problems)
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
def conversation_open(request: HttpRequest, slug: str) -> HttpResponse:
    conversation = selectors.conversation_get_for_user(user=_actor(request), slug=slug)
    try:
        services.conversation_open_now(actor=_actor(request), conversation=conversation)
    except services.ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The conversation is open: people can vote and write."))
    return redirect("forum:dashboard", slug=conversation.slug)
