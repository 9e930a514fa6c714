"""Editors' pages: write posts and upload images; draft, finish, preview and send issues."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.core.errors import add_to_form
from whatworks.core.http import AuthedHttpRequest
from whatworks.news import selectors
from whatworks.news.errors import NewsError
from whatworks.news.forms import ImageForm, IssueForm, PostForm, ScheduleForm
from whatworks.news.markdown import render_markdown
from whatworks.news.models import Issue, Post
from whatworks.news.services import issues as issues_services
from whatworks.news.services import posts as posts_services
from whatworks.news.services.sending import render_issue


@require_permission("news.change_post")
def home(request: HttpRequest) -> HttpResponse:
    can_issue = request.user.has_perm("news.change_issue")
    return render(
        request,
        "news/manage/home.html",
        {
            "posts": selectors.posts_for_editors()[:50],
            "issues": selectors.issues_for_editors()[:24] if can_issue else [],
            "subscribers": selectors.subscriber_counts() if can_issue else None,
        },
    )


def _post_initial(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "slug": post.slug,
        "summary": post.summary,
        "body": post.body,
        "author": post.author_id,
        "tags": ", ".join(post.tags.values_list("name", flat=True)),
        "publish_at": post.publish_at,
    }


def _post_fields(form: PostForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "slug": data["slug"],
        "summary": data["summary"],
        "body": data["body"],
        "author": data["author"],
        "publish_at": data["publish_at"],
        "tag_names": form.tag_names(),
    }


@require_permission("news.add_post")
@require_http_methods(["GET", "POST"])
def post_new(request: AuthedHttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _previewing(request):
        return _post_form(request, form, None, preview=True)
    if request.method == "POST" and form.is_valid():
        try:
            post = posts_services.post_create(actor=request.user, **_post_fields(form))
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Post saved."))
            return redirect("news:post_edit", post_id=post.pk)
    return _post_form(request, form, None)


@require_permission("news.change_post")
@require_http_methods(["GET", "POST"])
def post_edit(request: AuthedHttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_editing(user=request.user, post_id=post_id)
    form = PostForm(request.POST or None, initial=_post_initial(post))
    if request.method == "POST" and form.is_valid() and _previewing(request):
        return _post_form(request, form, post, preview=True)
    if request.method == "POST" and form.is_valid():
        try:
            posts_services.post_update(actor=request.user, post=post, **_post_fields(form))
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Post saved."))
            return redirect("news:post_edit", post_id=post.pk)
    return _post_form(request, form, post)


def _previewing(request: HttpRequest) -> bool:
    return request.POST.get("action") == "preview"


def _post_form(
    request: HttpRequest, form: PostForm, post: Post | None, *, preview: bool = False
) -> HttpResponse:
    """The post's form; with ``preview``, the post as it would look (nothing is saved)."""
    context: dict[str, Any] = {"form": form, "post": post}
    if preview:
        data = form.cleaned_data
        context["preview"] = {
            "title": data["title"],
            "summary": data["summary"],
            "body_html": render_markdown(data["body"]),
            "author": data["author"],
            "tags": form.tag_names(),
        }
    if post is not None:
        context["revision_count"] = post.revisions.count()
    return render(request, "news/manage/post_form.html", context)


@require_permission("news.change_post")
@require_GET
def post_revisions(request: HttpRequest, post_id: int) -> HttpResponse:
    """Every saved version of a post: who saved it, when, what changed, and how."""
    post = selectors.post_get_for_editing(user=request.user, post_id=post_id)
    return render(
        request,
        "news/manage/post_revisions.html",
        {"post": post, "revisions": selectors.post_revision_history(post=post)},
    )


@require_permission("news.change_post")
@require_http_methods(["GET", "POST"])
def post_images(request: AuthedHttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_editing(user=request.user, post_id=post_id)
    form = ImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            posts_services.post_image_add(
                actor=request.user,
                post=post,
                upload=form.cleaned_data["file"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Image uploaded."))
            return redirect("news:post_images", post_id=post.pk)
    return render(
        request,
        "news/manage/post_images.html",
        {"post": post, "form": form, "images": post.images.all()},
    )


@require_permission("news.add_issue")
@require_POST
def issue_new(request: AuthedHttpRequest) -> HttpResponse:
    issue = issues_services.issue_draft(actor=request.user)
    messages.success(request, _("The platform drafted this issue. Finish it, preview, then send."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_http_methods(["GET", "POST"])
def issue_edit(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    form = IssueForm(
        request.POST or None,
        initial={"title": issue.title, "body": issue.body, "topic": issue.topic_id},
        keep_topic_id=issue.topic_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            issues_services.issue_update(
                actor=request.user,
                issue=issue,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                topic=form.cleaned_data["topic"],
            )
        except NewsError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Issue saved."))
            return redirect("news:issue_edit", issue_id=issue.pk)
    return _issue_page(request, issue, form=form)


def _issue_page(
    request: HttpRequest,
    issue: Issue,
    *,
    form: IssueForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> HttpResponse:
    form = form or IssueForm(
        initial={"title": issue.title, "body": issue.body, "topic": issue.topic_id},
        keep_topic_id=issue.topic_id,
    )
    schedule_form = schedule_form or ScheduleForm(
        initial={"scheduled_for": timezone.localtime(issue.scheduled_for)}
        if issue.scheduled_for
        else None
    )
    errors = bool(form.errors or schedule_form.errors)
    return render(
        request,
        "news/manage/issue_form.html",
        {
            "issue": issue,
            "form": form,
            "schedule_form": schedule_form,
            "has_errors": errors,
            "editable": issue.status == Issue.Status.DRAFT,
            "counts": selectors.issue_delivery_counts(issue=issue),
            "recipients": selectors.issue_recipient_count(issue=issue),
        },
    )


@require_permission("news.change_issue")
def issue_preview(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    text, _html = render_issue(issue)
    return render(
        request,
        "news/manage/issue_preview.html",
        {"issue": issue, "body_html": render_markdown(issue.body), "text": text},
    )


@require_permission("news.change_issue")
@require_POST
def issue_send(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    recipients = selectors.issue_recipient_count(issue=issue)
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Send “%(title)s”?") % {"title": issue.title},
            consequences=[
                _("This will e-mail %(n)s subscribers, in batches, starting now.")
                % {"n": f"{recipients:,}"},
                _("The issue then appears in the public archive."),
            ],
            button=_("E-mail %(n)s subscribers") % {"n": f"{recipients:,}"},
            cancel_url=reverse("news:issue_edit", kwargs={"issue_id": issue.pk}),
        ),
    )
    if page is not None:
        return page
    try:
        issues_services.issue_send(actor=request.user, issue=issue)
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending has started. This page shows how far it has got."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_POST
def issue_resume(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    try:
        issues_services.issue_resume(actor=request.user, issue=issue)
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending has been resumed."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_POST
def issue_test(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    """E-mail the saved issue to the editor alone (no confirmation: it e-mails only them)."""
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    try:
        address = issues_services.issue_send_test(actor=request.user, issue=issue)
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("A test copy is on its way to %(address)s.") % {"address": address}
        )
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_POST
def issue_schedule(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    form = ScheduleForm(request.POST)
    if form.is_valid() and form.cleaned_data["scheduled_for"] <= timezone.now():
        form.add_error("scheduled_for", _("Choose a time in the future, or send the issue now."))
    if not form.is_valid():
        return _issue_page(request, issue, schedule_form=form)
    when = form.cleaned_data["scheduled_for"]
    recipients = selectors.issue_recipient_count(issue=issue)
    local = timezone.localtime(when)
    page = confirmation_page(
        request,
        Confirmation(
            title=_("Schedule “%(title)s”?") % {"title": issue.title},
            consequences=[
                _("At %(when)s this will e-mail the %(n)s subscribers it goes to then (%(n)s now).")
                % {"when": local.strftime("%H:%M on %d %B %Y").lstrip("0"), "n": f"{recipients:,}"},
                _("Until then you can change it, move the time or cancel the schedule."),
            ],
            button=_("Schedule the e-mail"),
            cancel_url=reverse("news:issue_edit", kwargs={"issue_id": issue.pk}),
        ),
    )
    if page is not None:
        return page
    try:
        issues_services.issue_schedule(actor=request.user, issue=issue, when=when)
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The issue will be sent by itself at the time you chose."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_POST
def issue_unschedule(request: AuthedHttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    try:
        issues_services.issue_unschedule(actor=request.user, issue=issue)
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The issue is no longer scheduled."))
    return redirect("news:issue_edit", issue_id=issue.pk)
