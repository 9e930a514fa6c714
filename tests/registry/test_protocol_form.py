"""The draft protocol form as a browser submits it: re-saving, blank rows, removing rows,
and error messages that name the row and the field."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from tests.registry.factories import CONTENT, draft_project
from whatworks.registry.models import Project

pytestmark = pytest.mark.django_db


class _FormReader(HTMLParser):
    """What a browser would submit from the page's POST form, untouched: text inputs and
    textareas with their values, each select's selected (or first) option, checked boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    value: str | list[str] = a.get("value", "on")
                    if kind == "checkbox" and name in self.fields:
                        # Several ticked boxes of one name: a browser sends them all.
                        previous = self.fields[name]
                        value = [
                            *(previous if isinstance(previous, list) else [previous]),
                            str(value),
                        ]
                    self.fields[name] = value
            elif kind != "submit":
                self.fields[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                self.fields.setdefault(self._select, value)
            if "selected" in a:
                self.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def _as_submitted(page: str) -> dict[str, Any]:
    reader = _FormReader()
    reader.feed(page)
    # Django's textarea rendering starts with a newline that browsers drop.
    return {k: v.removeprefix("\n") if isinstance(v, str) else v for k, v in reader.fields.items()}


def _edit_url(project: Project) -> str:
    return reverse("registry:protocol_edit", args=[project.reference])


def test_a_draft_saves_again_unchanged(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = _edit_url(project)
    before = dict(project.draft_content)
    for _ in range(3):
        page = client.get(url).content.decode()
        # The blank rows are there, their selects showing an option by themselves.
        assert "Outcome 3 (new)" in page and "Criterion 2 (new)" in page
        response = client.post(url, _as_submitted(page))
        assert response.status_code == 302, response.content.decode()[:3000]
    project.refresh_from_db()
    assert project.draft_content == before


def test_a_blank_row_with_another_option_chosen_is_still_ignored(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = _edit_url(project)
    data = _as_submitted(client.get(url).content.decode())
    data["outcomes-2-kind"] = "secondary"
    data["criteria-1-comparison"] = "two-sided"
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert len(project.draft_content["outcomes"]) == 2


def test_a_new_row_is_added_and_a_row_removed(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = _edit_url(project)
    data = _as_submitted(client.get(url).content.decode())
    data.update(
        {
            "outcomes-2-key": "stability",
            "outcomes-2-name": "Placement stability",
            "outcomes-2-measure": "Moves",
            "outcomes-2-time_point": "12 months",
            "outcomes-2-analysis": "Rate ratio",
            "outcomes-1-DELETE": "on",  # the secondary outcome goes
        }
    )
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    keys = [o["key"] for o in project.draft_content["outcomes"]]
    assert keys == ["care-entry", "stability"]


def test_removing_an_outcome_a_criterion_uses_is_explained(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = _edit_url(project)
    data = _as_submitted(client.get(url).content.decode())
    data["outcomes-0-DELETE"] = "on"
    page = client.post(url, data).content.decode()
    assert "There is a problem" in page and "care-entry" in page
    project.refresh_from_db()
    assert project.draft_content["outcomes"][0]["key"] == "care-entry"  # nothing lost


def test_the_error_summary_names_the_row_and_the_field(client: Any) -> None:
    project = draft_project()
    client.force_login(project.team.get())
    url = _edit_url(project)
    data = _as_submitted(client.get(url).content.decode())
    data["outcomes-1-measure"] = ""
    data["outcomes-2-name"] = "Half a new row"
    page = client.post(url, data).content.decode()
    assert "Outcome 2, measure: This field is required." in page
    assert "Outcome 3, short key: This field is required." in page
    assert 'href="#id_outcomes-1-measure"' in page
    # The blank criterion row is not complained about.
    assert "Criterion 2 (new)," not in page.split("error-summary__list")[1].split("</ul>")[0]
    project.refresh_from_db()
    assert project.draft_content["outcomes"][1]["measure"] == CONTENT["outcomes"][1]["measure"]
