"""The one domain error, the one full_clean-or-raise, and the one mapping to forms and HTTP."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.test import RequestFactory

from whatworks.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    WhatworksError,
    add_to_form,
    add_to_messages,
    full_clean_or_raise,
)
from whatworks.core.models import Organisation


class PartError(WhatworksError):
    pass


class NameForm(forms.Form):
    name = forms.CharField()


class PlaceForm(forms.Form):
    name = forms.CharField()
    town = forms.CharField()


def test_an_error_carries_every_message_joined_and_its_field() -> None:
    one = PartError("No.", field="name")
    assert (one.message, one.messages, one.field, str(one)) == ("No.", ["No."], "name", "No.")
    many = PartError(["First.", "Second."])
    assert (many.message, many.messages, many.field) == (
        "First. Second.",
        ["First.", "Second."],
        None,
    )


@pytest.mark.django_db
def test_full_clean_or_raise_gives_every_message_and_the_field_when_only_one_is_at_fault() -> None:
    with pytest.raises(PartError) as caught:
        full_clean_or_raise(Organisation(name="", kind="nonsense"), PartError)
    assert caught.value.field is None, "two fields are at fault"
    assert len(caught.value.messages) >= 2
    assert caught.value.message == " ".join(caught.value.messages)

    with pytest.raises(PartError) as caught:
        full_clean_or_raise(Organisation(name="", slug="x"), PartError, exclude=["kind", "region"])
    assert caught.value.field == "name"
    assert caught.value.messages == ["This field cannot be blank."]


def test_add_to_form_puts_messages_at_the_named_field_or_the_form() -> None:
    form = NameForm({"name": "x"})
    assert form.is_valid()
    add_to_form(form, PartError(["Taken.", "Too short."], field="name"))
    assert form.errors["name"] == ["Taken.", "Too short."]
    add_to_form(form, PartError("Refused.", field="not_a_field"))
    assert form.non_field_errors() == ["Refused."]


def test_one_error_carries_messages_for_several_fields() -> None:
    several = PartError(
        by_field={"name": ["Taken.", "Too short."], "town": ["Unknown town."], "": ["Wait."]}
    )
    assert several.by_field == {
        "name": ["Taken.", "Too short."],
        "town": ["Unknown town."],
        "": ["Wait."],
    }
    assert several.messages == ["Taken.", "Too short.", "Unknown town.", "Wait."]
    assert several.message == "Taken. Too short. Unknown town. Wait."
    assert several.field is None, "several fields are at fault"
    assert PartError(by_field={"town": ["Unknown town."]}).field == "town"
    both = PartError("Refused.", field="name", by_field={"town": ["Unknown town."]})
    assert both.by_field == {"name": ["Refused."], "town": ["Unknown town."]}
    assert both.field is None
    # the single-field errors say the same in by_field
    assert PartError("No.", field="name").by_field == {"name": ["No."]}
    assert PartError(["No.", "Never."]).by_field == {"": ["No.", "Never."]}


def test_add_to_form_puts_each_field_s_messages_at_that_field() -> None:
    form = PlaceForm({"name": "x", "town": "y"})
    assert form.is_valid()
    add_to_form(
        form,
        PartError(
            by_field={
                "name": ["Taken."],
                "town": ["Unknown town.", "Too far."],
                "": ["Try again tomorrow."],
                "not_a_field": ["Refused."],
            }
        ),
    )
    assert form.errors["name"] == ["Taken."]
    assert form.errors["town"] == ["Unknown town.", "Too far."]
    assert form.non_field_errors() == ["Try again tomorrow.", "Refused."]


def test_add_to_form_puts_unplaced_messages_at_the_field_the_view_names() -> None:
    form = PlaceForm({"name": "x", "town": "y"})
    assert form.is_valid()
    add_to_form(form, PartError(by_field={"name": ["Taken."], "": ["Bad."]}), field="town")
    assert form.errors["name"] == ["Taken."]
    assert form.errors["town"] == ["Bad."]
    add_to_form(form, PartError("Also bad."), field="not_a_field")
    assert form.non_field_errors() == ["Also bad."]


def test_a_refusal_that_is_no_access_refusal_is_read_on_the_form() -> None:
    form = NameForm({"name": "x"})
    assert form.is_valid()
    add_to_form(form, PartError("Only members of an organisation may apply."))
    assert form.non_field_errors() == ["Only members of an organisation may apply."]


def test_add_to_form_turns_access_errors_into_403_and_404() -> None:
    form = PlaceForm({"name": "x", "town": "y"})
    assert form.is_valid()
    with pytest.raises(PermissionDenied):
        add_to_form(form, PermissionDeniedError("Not yours."))
    with pytest.raises(PermissionDenied):
        add_to_form(form, PermissionDeniedError(by_field={"town": ["Not yours."]}))
    with pytest.raises(Http404):
        add_to_form(form, NotFoundError("No such thing."))
    with pytest.raises(Http404):
        add_to_form(form, NotFoundError(by_field={"name": ["No such thing."]}))
    assert not form.errors, "an access refusal puts nothing on the form"


def _request() -> HttpRequest:
    request = RequestFactory().post("/")
    setattr(request, "_messages", CookieStorage(request))  # noqa: B010 (no typed attribute)
    return request


def test_add_to_messages_shows_a_refusal_on_the_next_page_and_keeps_403_and_404() -> None:
    request = _request()
    add_to_messages(request, PartError(by_field={"name": ["Taken."], "": ["Wait."]}))
    assert [str(m) for m in get_messages(request)] == ["Taken. Wait."]
    refused = _request()
    with pytest.raises(PermissionDenied):
        add_to_messages(refused, PermissionDeniedError("Not yours."))
    with pytest.raises(Http404):
        add_to_messages(refused, NotFoundError("No such thing."))
    assert not list(get_messages(refused)), "an access refusal adds no message"
