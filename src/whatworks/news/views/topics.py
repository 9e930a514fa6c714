"""Editors' pages for the newsletter's topics: list and add, edit, retire and bring back
(the admin stays for administrators).  Views parse, check permission, call one service
and map its error to the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.news import selectors
from whatworks.news.errors import NewsError
from whatworks.news.forms import TopicForm
from whatworks.news.models import Topic
from whatworks.news.services import topics as topics_services


def _fields(form: TopicForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in ("name", "slug", "description", "position")}


def _save(request: AuthedHttpRequest, form: TopicForm, topic: Topic | None) -> Topic | None:
    """The service's answer to a valid form, or None with its error put on the form."""
    try:
        if topic is None:
            return topics_services.topic_create(actor=request.user, **_fields(form))
        return topics_services.topic_update(actor=request.user, topic=topic, **_fields(form))
    except NewsError as exc:
        add_to_form(form, exc)
        return None


@require_permission("news.change_topic")
@require_http_methods(["GET", "POST"])
def topics(request: AuthedHttpRequest) -> HttpResponse:
    adding = request.method == "POST"
    form = TopicForm(request.POST if adding else None, initial={"position": 0})
    if adding and not request.user.has_perm("news.add_topic"):
        form.add_error(None, _("You may change topics but not add them."))
    elif adding and form.is_valid() and (topic := _save(request, form, None)) is not None:
        messages.success(request, _("“%(name)s” is a topic now.") % {"name": topic.name})
        return redirect("news:topics")
    return render(
        request,
        "news/manage/topics.html",
        {"topics": selectors.topics_for_editors(user=request.user), "form": form},
        status=400 if form.errors else 200,
    )


@require_permission("news.change_topic")
@require_http_methods(["GET", "POST"])
def topic_edit(request: AuthedHttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_editing(user=request.user, topic_id=topic_id)
    initial = {f: getattr(topic, f) for f in ("name", "slug", "description", "position")}
    form = TopicForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save(request, form, topic) is not None:
        messages.success(request, _("Topic saved."))
        return redirect("news:topics")
    return render(
        request,
        "news/manage/topic_form.html",
        {"topic": topic, "form": form, "subscribers": topic.subscribers.count()},
        status=400 if form.errors else 200,
    )


@require_permission("news.change_topic")
@require_POST
def topic_retire(request: AuthedHttpRequest, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get_for_editing(user=request.user, topic_id=topic_id)
    retire = request.POST.get("action", "retire") != "restore"
    topics_services.topic_retire(actor=request.user, topic=topic, retire=retire)
    if retire:
        messages.success(
            request,
            _("“%(name)s” is retired: subscribers no longer see it, and no new issue can go "
              "to it.") % {"name": topic.name},
        )  # fmt: skip
    else:
        messages.success(request, _("“%(name)s” is offered again.") % {"name": topic.name})
    return redirect("news:topics")
