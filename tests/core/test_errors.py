"""The one domain error, the one full_clean-or-raise, and the one mapping to forms and HTTP."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404

from whatworks.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    WhatworksError,
    add_to_form,
    full_clean_or_raise,
)
from whatworks.core.models import Organisation


class PartError(WhatworksError):
    pass


class NameForm(forms.Form):
    name = forms.CharField()


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


def test_add_to_form_turns_access_errors_into_403_and_404() -> None:
    form = NameForm({"name": "x"})
    with pytest.raises(PermissionDenied):
        add_to_form(form, PermissionDeniedError("Not yours."))
    with pytest.raises(Http404):
        add_to_form(form, NotFoundError("No such thing."))
