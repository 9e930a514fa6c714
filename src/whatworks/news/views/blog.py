"""Public pages of the blog: the news front page, posts, authors, tags and images."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from whatworks.core.parts import PARTS_BY_KEY
from whatworks.news import selectors

PAGE_SIZE = 10


def _page(request: HttpRequest, queryset: object) -> object:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]


def index(request: HttpRequest) -> HttpResponse:
    part = PARTS_BY_KEY["news"]
    return render(
        request,
        "news/index.html",
        {
            "part": part,
            "title": part.title,
            "lead": part.lead,
            "page_obj": _page(request, selectors.posts_published()),
            "tags": selectors.tags_in_use(),
            "authors": selectors.authors_with_posts(),
        },
    )


def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    post = selectors.post_get_for_user(user=request.user, slug=slug)
    return render(
        request,
        "news/post.html",
        {"post": post, "lead_image": selectors.post_lead_image(post=post)},
    )


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = selectors.author_get_for_user(user=request.user, slug=slug)
    posts = selectors.posts_published().filter(author=author)
    return render(
        request, "news/author.html", {"author": author, "page_obj": _page(request, posts)}
    )


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = selectors.tag_get_for_user(user=request.user, slug=slug)
    posts = selectors.posts_published().filter(tags=tag)
    return render(request, "news/tag.html", {"tag": tag, "page_obj": _page(request, posts)})


def image(request: HttpRequest, image_id: uuid.UUID) -> HttpResponse:
    """The stored bytes with the type found at upload (images are small: see uploads)."""
    picture = selectors.image_get_for_user(user=request.user, image_id=image_id)
    with picture.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=picture.content_type)
    response["Cache-Control"] = "public, max-age=3600" if picture.post.is_published() else "private"
    return response
