"""The demo: loads once, again changes nothing, and e-mails nobody."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from whatworks.news import demo
from whatworks.news.models import AuthorProfile, Issue, Post, Subscriber
from whatworks.news.selectors import posts_published

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_quiet(client: Client) -> None:
    out = io.StringIO()
    demo.load(stdout=out)
    demo.load(stdout=out)
    assert AuthorProfile.objects.count() == 2
    assert Post.objects.count() == len(demo.POSTS)
    assert posts_published().count() == len(demo.POSTS) - 1, "one post is scheduled"
    assert Subscriber.objects.filter(status="confirmed").count() == len(demo.SUBSCRIBERS)
    (issue,) = Issue.objects.all()
    assert issue.status == Issue.Status.SENT
    assert issue.deliveries.filter(status="sent").count() == len(demo.SUBSCRIBERS)
    assert not mail.outbox
    assert "Monthly blog: why we publish" in issue.body
    assert client.get(reverse("news:author", args=["amara-okafor"])).status_code == 200
    assert client.get(issue.get_absolute_url()).status_code == 200
    assert client.get(reverse("news:index")).status_code == 200
