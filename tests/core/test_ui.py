"""The shared form patterns: hint and error ids, the error summary, required marks, labels."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client

from whatworks.core import labels
from whatworks.core.forms import show_as_required


class PersonForm(forms.Form):
    name = forms.CharField(label="Your name", help_text="As on your badge")
    team = forms.CharField(label="Team", required=False)
    role = forms.ChoiceField(
        label="Role", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )


class RowForm(forms.Form):
    name = forms.CharField(label="Name")


Rows = forms.formset_factory(RowForm, extra=0)


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_every_described_by_id_exists_in_the_field_pattern() -> None:
    form = PersonForm(data={})
    assert not form.is_valid()
    html = "".join(
        render('{% include "core/includes/field.html" %}', field=form[name])
        for name in ("name", "team")
    )
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert described == ["id_name-hint id_name-error"]
    assert {"id_name-hint", "id_name-error"} <= ids(html)
    assert "_helptext" not in html


def test_required_and_optional_fields_are_marked() -> None:
    form = PersonForm()
    name = render('{% include "core/includes/field.html" %}', field=form["name"])
    team = render('{% include "core/includes/field.html" %}', field=form["team"])
    assert "(required)" in name and "(optional)" not in name
    assert "(optional)" in team
    field = forms.CharField(label="Budget", required=False)
    show_as_required(field, True)
    form.fields["budget"] = field
    budget = render('{% include "core/includes/field.html" %}', field=form["budget"])
    assert "(required)" in budget and 'aria-required="true"' in budget
    assert 'aria-hidden="true">(required)' in name, "the input says required; the label stays"


def test_error_summary_names_each_field_and_links_to_it() -> None:
    form = PersonForm(data={})
    form.is_valid()
    html = render('{% include "core/includes/error_summary.html" %}', form=form)
    links = re.findall(r'<a href="#([^"]+)"[^>]*>([^<]+)</a>', html)
    assert links == [
        ("id_name", "Your name: This field is required."),
        ("id_role", "Role: This field is required."),
    ]


def test_error_summary_names_formset_rows() -> None:
    form = PersonForm(data={"name": "A", "role": "a"})
    rows = Rows(data={"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "0", "form-0-name": "x"})
    rows.forms[1].empty_permitted = False
    form.is_valid(), rows.is_valid()
    html = render('{% error_summary form rows labels="Outcome" %}', form=form, rows=rows)
    assert '<a href="#id_form-1-name">Outcome 2, name: This field is required.</a>' in html


def test_error_summary_of_a_dict_names_fields() -> None:
    html = render(
        '{% error_summary errors=errors names="since:From date" %}',
        errors={"since": "Enter a date as YYYY-MM-DD"},
    )
    assert '<a href="#id_since">From date: Enter a date as YYYY-MM-DD</a>' in html
    assert render("{% error_summary errors=errors %}", errors={}).strip() == ""


def test_codes_have_labels() -> None:
    labels.register("test.band", {"10_to_15": "10 to 15 years"})
    assert render('{{ code|label_for:"test.band" }}', code="10_to_15") == "10 to 15 years"
    assert labels.label("test.other", "plan_or_care") == "Plan or care"
    assert labels.label("test.other", "caseload-manageable") == "Caseload manageable"
    assert labels.label("test.other", "Already words") == "Already words"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "step"),
    [
        ("/events/registration/not-a-real-token/", "/events/"),
        ("/news/newsletter/your-data/tampered.token/", "/news/newsletter/your-data/"),
        ("/news/newsletter/confirm/tampered.token/", "/news/newsletter/"),
        ("/panel/answer/tampered-token/", "/panel/me/"),
    ],
)
def test_a_tampered_link_says_so_and_what_to_do(client: Client, url: str, step: str) -> None:
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 404
    assert "This link is not valid or has expired" in page
    assert "Page not found" not in page
    assert f'href="{step}"' in page


@pytest.mark.django_db
def test_an_unknown_page_is_still_page_not_found(client: Client) -> None:
    page = client.get("/events/no-such-page/").content.decode()
    assert "Page not found" in page and "not valid or has expired" not in page
