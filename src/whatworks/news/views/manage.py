"""Editors' pages: write posts and upload images; draft, finish, preview and send issues."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from whatworks.core.access import require_permission
from whatworks.core.confirm import Confirmation, confirmation_page
from whatworks.news import selectors, services
from whatworks.news.errors import NewsError
from whatworks.news.forms import ImageForm, IssueForm, PostForm
from whatworks.news.markdown import render_markdown
from whatworks.news.models import Issue, Post, Subscriber
from whatworks.news.sending import render_issue


@require_permission("news.change_post")
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "news/manage/home.html",
        {
            "posts": selectors.posts_for_editors()[:50],
            "issues": selectors.issues_for_editors()[:24]
            if request.user.has_perm("news.change_issue")
            else [],
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
def post_new(request: HttpRequest) -> HttpResponse:
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(actor=request.user, **_post_fields(form))  # type: ignore[arg-type]
        except NewsError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Post saved."))
            return redirect("news:post_edit", post_id=post.pk)
    return render(request, "news/manage/post_form.html", {"form": form, "post": None})


@require_permission("news.change_post")
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_editing(user=request.user, post_id=post_id)
    form = PostForm(request.POST or None, initial=_post_initial(post))
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(actor=request.user, post=post, **_post_fields(form))  # type: ignore[arg-type]
        except NewsError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Post saved."))
            return redirect("news:post_edit", post_id=post.pk)
    return render(request, "news/manage/post_form.html", {"form": form, "post": post})


@require_permission("news.change_post")
@require_http_methods(["GET", "POST"])
def post_images(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_editing(user=request.user, post_id=post_id)
    form = ImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_image_add(
                actor=request.user,  # type: ignore[arg-type]
                post=post,
                upload=form.cleaned_data["file"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except NewsError as exc:
            form.add_error(exc.field, exc.message)
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
def issue_new(request: HttpRequest) -> HttpResponse:
    issue = services.issue_draft(actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The platform drafted this issue. Finish it, preview, then send."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_http_methods(["GET", "POST"])
def issue_edit(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    form = IssueForm(request.POST or None, initial={"title": issue.title, "body": issue.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_update(
                actor=request.user,  # type: ignore[arg-type]
                issue=issue,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except NewsError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Issue saved."))
            return redirect("news:issue_edit", issue_id=issue.pk)
    return render(
        request,
        "news/manage/issue_form.html",
        {
            "issue": issue,
            "form": form,
            "editable": issue.status == Issue.Status.DRAFT,
            "counts": selectors.issue_delivery_counts(issue=issue),
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
def issue_send(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    recipients = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count()
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
        services.issue_send(actor=request.user, issue=issue)  # type: ignore[arg-type]
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending has started. This page shows how far it has got."))
    return redirect("news:issue_edit", issue_id=issue.pk)


@require_permission("news.change_issue")
@require_POST
def issue_resume(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = selectors.issue_get_for_editing(user=request.user, issue_id=issue_id)
    try:
        services.issue_resume(actor=request.user, issue=issue)  # type: ignore[arg-type]
    except NewsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sending has been resumed."))
    return redirect("news:issue_edit", issue_id=issue.pk)
