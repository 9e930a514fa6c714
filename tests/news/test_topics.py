"""Editors' pages for the newsletter's topics: create, edit, retire and bring back, without
the admin; what retiring does to the subscribe, "your data" and issue pages."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from tests.fixturetypes import ClientFor
from tests.news import factories
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.news.errors import NewsError
from whatworks.news.forms import IssueForm, SubscribeForm, TopicsForm
from whatworks.news.models import Subscriber, Topic
from whatworks.news.services import subscribers
from whatworks.news.services import topics as topics_services

pytestmark = pytest.mark.django_db


def test_an_editor_adds_edits_retires_and_brings_back_a_topic(client_for: ClientFor) -> None:
    client = client_for(Role.EDITOR.value)
    url = reverse("news:topics")
    refused = client.post(url, {"name": "", "position": "0"})
    assert refused.status_code == 400 and b"Enter the topic&#x27;s name" in refused.content
    markup = client.post(url, {"name": "<b>Bold</b>", "position": "0"})
    assert markup.status_code == 400 and b"cannot contain HTML" in markup.content
    done = client.post(
        url, {"name": "Practice guides", "description": "New guides", "position": "2"}
    )
    assert done.status_code == 302
    topic = Topic.objects.get(name="Practice guides")
    assert topic.slug == "practice-guides" and topic.position == 2 and not topic.retired
    again = client.post(url, {"name": "practice guides", "position": "0"})
    assert again.status_code == 400 and b"Another topic already has this name" in again.content

    edit = reverse("news:topic_edit", args=[topic.pk])
    assert client.get(edit).status_code == 200
    saved = client.post(
        edit,
        {"name": "Practice guides and tools", "slug": "guides", "description": "", "position": "1"},
    )
    assert saved.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.slug, topic.position) == ("Practice guides and tools", "guides", 1)

    retire = reverse("news:topic_retire", args=[topic.pk])
    assert client.post(retire, {"action": "retire"}).status_code == 302
    topic.refresh_from_db()
    assert topic.retired
    client.post(retire, {"action": "retire"})  # twice: nothing more happens
    assert client.post(retire, {"action": "restore"}).status_code == 302
    topic.refresh_from_db()
    assert not topic.retired
    actions = list(
        AuditEntry.objects.filter(action__startswith="news.topic_")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "news.topic_created",
        "news.topic_updated",
        "news.topic_retired",
        "news.topic_restored",
    ]
    listing = client.get(url).content.decode()
    assert "Practice guides and tools" in listing and "Bring back" not in listing


def _offered(form: forms.Form, name: str) -> list[Topic]:
    """The topics a form's field offers."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
    return list(field.queryset)


def test_a_retired_topic_is_offered_to_nobody_but_keeps_who_chose_it() -> None:
    kept, retired = factories.topic(name="Kept"), factories.topic(name="Old")
    subscriber = subscribers.subscriber_subscribe(
        actor=None, email="reader@example.test", source="test", topics=[kept, retired]
    )
    topics_services.topic_retire(actor=None, topic=retired)
    for form in (SubscribeForm(), TopicsForm()):
        assert _offered(form, "topics") == [kept]
    assert _offered(IssueForm(), "topic") == [kept]
    # an issue that already goes to it keeps it as a choice
    keeping = IssueForm(keep_topic_id=retired.pk)
    assert set(_offered(keeping, "topic")) == {kept, retired}
    assert set(Subscriber.objects.get(pk=subscriber.pk).topics.all()) == {kept, retired}
    topics_services.topic_retire(actor=None, topic=retired, retire=False)
    assert set(_offered(TopicsForm(), "topics")) == {kept, retired}


def test_names_and_addresses_stay_unique() -> None:
    factories.topic(name="Research", slug="research")
    with pytest.raises(NewsError, match="web address name"):
        factories.topic(name="Research news", slug="research")
    other = factories.topic(name="Events")
    with pytest.raises(NewsError, match="already has this name"):
        topics_services.topic_update(actor=None, topic=other, name="research")


def test_the_pages_404_for_a_topic_that_is_not_there(client_for: ClientFor) -> None:
    client = client_for(Role.EDITOR.value)
    assert client.get(reverse("news:topic_edit", args=[999_999])).status_code == 404
    assert client.post(reverse("news:topic_retire", args=[999_999])).status_code == 404
