"""Starting a pilot: a researcher on the project's team (or an administrator) picks the
project, the local authority, a title and the registered protocol version fixing the
config; every problem is shown at once; nobody else learns of the pilot."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import OrganisationFactory, user_with_role
from tests.pilots.factories import config_yaml, pilot_project
from tests.registry.factories import draft_project, registered_project
from whatworks.core.models import AuditEntry, Organisation
from whatworks.core.roles import Role
from whatworks.pilots.errors import PilotError
from whatworks.pilots.models import Pilot
from whatworks.pilots.selectors import pilot_get_for_user
from whatworks.pilots.services.pilots import pilot_create

pytestmark = pytest.mark.django_db

URL = reverse("pilots:create")


def _form(project: Any, organisation: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "project": project.pk,
        "organisation": organisation.pk,
        "name": "  Escalation pilot  ",
        "protocol_version": project.versions.get(number=1).pk,
        "config_yaml": config_yaml(),
    }
    data.update(changes)
    return data


def test_a_researcher_starts_a_pilot_of_their_project(client: Client) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    project = pilot_project(researcher, config_yaml())
    others = registered_project()
    authority = OrganisationFactory.create()
    client.force_login(researcher)

    page = client.get(URL).content.decode()
    assert project.reference in page and others.reference not in page
    assert authority.name in page and "Start the pilot" in page

    response = client.post(URL, _form(project, authority))
    pilot = Pilot.objects.get()
    assert response.status_code == 302 and response["Location"] == pilot.get_absolute_url()
    assert pilot.name == "Escalation pilot" and pilot.project == project
    assert pilot.organisation == authority
    assert pilot.config_fixed and pilot.protocol_version == project.versions.get(number=1)
    assert len(pilot.config_hash) == 64
    for action in ("pilot.created", "pilot.config_fixed"):
        assert AuditEntry.objects.filter(
            action=action, actor=researcher, object_id=str(pilot.pk)
        ).exists(), action
    detail = client.get(response["Location"]).content.decode()
    assert "is started and its config fixed" in detail and "Fixed in" in detail
    # the authority's analysts see it; another authority's do not
    assert pilot_get_for_user(
        user=user_with_role(Role.LA_ANALYST, organisation=authority), pilot_id=pilot.pk
    )
    client.force_login(user_with_role(Role.LA_ANALYST))
    assert client.get(pilot.get_absolute_url()).status_code == 404


def test_every_problem_is_shown_at_once_and_nothing_is_kept(client: Client) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    registered_project(author=researcher)
    client.force_login(researcher)
    page = client.post(URL, {}).content.decode()
    for message in (
        "Choose the research project.",
        "Choose the local authority.",
        "Enter the pilot&#x27;s title.",
        "Choose the registered protocol version.",
        "Enter the experiment config.",
    ):
        assert message in page, message
    assert "There is a problem" in page and "<title>Error:" in page
    assert not Pilot.objects.exists()


def test_a_bad_config_a_wrong_version_and_a_partner_not_an_authority_together(
    client: Client,
) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    project = registered_project(author=researcher)
    second = registered_project(author=researcher)
    charity = Organisation.objects.create(
        name="A charity", slug="a-charity", kind=Organisation.Kind.CHARITY
    )
    client.force_login(researcher)
    page = client.post(
        URL,
        _form(
            project,
            charity,
            protocol_version=second.versions.get(number=1).pk,
            config_yaml="name: x\nseed: many\n",
        ),
    ).content.decode()
    assert "Choose a local authority from the list." in page
    assert f"Choose a registered protocol version of {project.reference}, not of" in page
    assert page.count('class="error-message"') >= 3, "the engine's problems are listed too"
    assert not Pilot.objects.exists()
    broken = client.post(
        URL, _form(project, OrganisationFactory.create(), config_yaml="a: [")
    ).content
    assert b"not valid YAML" in broken
    assert not Pilot.objects.exists()


def test_another_teams_project_cannot_be_chosen(client: Client) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    registered_project(author=researcher)
    others = registered_project()
    client.force_login(researcher)
    page = client.post(URL, _form(others, OrganisationFactory.create())).content.decode()
    assert "Choose one of your research projects." in page
    assert "Choose a registered protocol version from the list." in page
    assert not Pilot.objects.exists()


def test_without_a_registered_protocol_the_page_says_to_register_it_first(client: Client) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    draft = draft_project(author=researcher)
    client.force_login(researcher)
    page = client.get(URL).content.decode()
    assert "The protocol must first be registered" in page
    assert reverse("registry:protocol_edit", kwargs={"reference": draft.reference}) in page
    assert "Start the pilot" not in page, "no form until a protocol is registered"
    # once another project is registered, the form is there and the draft still listed
    registered_project(author=researcher)
    page = client.get(URL).content.decode()
    assert "Start the pilot" in page and draft.reference in page
    assert f'<option value="{draft.pk}">{draft.reference}' not in page


def test_a_researcher_on_no_team_is_told_how_to_begin(client: Client) -> None:
    client.force_login(user_with_role(Role.RESEARCHER))
    page = client.get(URL).content.decode()
    assert "not on the team of any research project" in page
    assert reverse("registry:project_create") in page


def test_an_administrator_starts_a_pilot_they_then_cannot_open(client: Client) -> None:
    admin = user_with_role(Role.ADMIN)
    project = pilot_project(user_with_role(Role.RESEARCHER), config_yaml())
    draft = draft_project()
    authority = OrganisationFactory.create()
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert project.reference in page
    # the registry counts administrators on every team: pointed at the protocol draft
    # they may edit, as the registry decides it (``can_edit``), not at the project's page
    assert reverse("registry:protocol_edit", kwargs={"reference": draft.reference}) in page
    assert f'href="{draft.get_absolute_url()}"' not in page
    response = client.post(URL, _form(project, authority), follow=True)
    pilot = Pilot.objects.get()
    assert response.redirect_chain[-1][0] == reverse("pilots:index")
    assert "can open it" in response.content.decode()
    assert AuditEntry.objects.filter(action="pilot.created", actor=admin).exists()
    assert client.get(pilot.get_absolute_url()).status_code == 404


def test_only_those_who_may_edit_a_draft_are_sent_to_it() -> None:
    from whatworks.pilots.views.pilots import _register_url

    researcher = user_with_role(Role.RESEARCHER)
    draft = draft_project(author=researcher)
    assert _register_url(researcher, draft).endswith(
        reverse("registry:protocol_edit", kwargs={"reference": draft.reference})
    )
    assert _register_url(user_with_role(Role.RESEARCHER), draft) == draft.get_absolute_url()


@pytest.mark.parametrize(
    "role", [None, Role.LA_ANALYST, Role.EDITOR, Role.PANEL_MEMBER, Role.FORUM_PARTICIPANT]
)
def test_others_may_not_start_a_pilot(client: Client, role: Role | None) -> None:
    project = registered_project()
    client.force_login(user_with_role(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, _form(project, OrganisationFactory.create())).status_code == 403
    assert not Pilot.objects.exists()


def test_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and reverse("core:login") in response["Location"]


def test_the_service_refuses_an_actor_off_the_team() -> None:
    project = registered_project()
    with pytest.raises(PilotError, match="one of your research projects"):
        pilot_create(
            actor=user_with_role(Role.RESEARCHER),
            project=project,
            organisation=OrganisationFactory.create(),
            name="x",
            protocol_version=project.versions.get(number=1),
            config_yaml=config_yaml(),
        )
    assert not Pilot.objects.exists()


def test_the_service_lists_every_problem() -> None:
    researcher = user_with_role(Role.RESEARCHER)
    project = registered_project(author=researcher)
    other = registered_project(author=researcher)
    charity = Organisation.objects.create(name="C", slug="c", kind=Organisation.Kind.CHARITY)
    with pytest.raises(PilotError) as caught:
        pilot_create(
            actor=researcher,
            project=project,
            organisation=charity,
            name=" ",
            protocol_version=other.versions.get(number=1),
            config_yaml="",
        )
    assert caught.value.messages == [
        "A pilot belongs to a local authority.",
        "Enter the pilot's title.",
        f"Choose a registered protocol version of {project.reference}.",
        "Enter the experiment config.",
    ]
    assert not Pilot.objects.exists()


def test_a_config_is_fixed_only_in_a_version_that_contains_it(client: Client) -> None:
    """Issue #13, item 2: v1 never mentions the experiment, so it cannot fix it; the page
    says which versions exist and what to do; adding the config to the draft and
    registering v2 puts its criteria in the protocol, and v2 then fixes it."""
    from whatworks.registry.protocol import parse_content
    from whatworks.registry.services.protocols import protocol_register

    researcher = user_with_role(Role.RESEARCHER)
    project = registered_project(author=researcher)
    authority = OrganisationFactory.create()
    client.force_login(researcher)
    page = client.post(URL, _form(project, authority)).content.decode()
    assert f"v1 of {project.reference} does not contain this experiment config" in page
    assert "No registered version does (registered: v1)" in page
    assert "Add this config to the protocol draft" in page
    assert not Pilot.objects.exists()

    response = client.post(
        URL,
        {"project": project.pk, "config_yaml": config_yaml(), "add_to_draft": "1"},
        follow=True,
    )
    assert "are in the protocol draft of" in response.content.decode()
    assert not Pilot.objects.exists()
    project.refresh_from_db()
    draft = parse_content(project.draft_content)
    [experiment] = draft.pilot_experiments
    assert set(experiment.criteria()) <= set(draft.success_criteria.criteria)
    assert AuditEntry.objects.filter(
        action="registry.protocol_pilot_experiment_added", actor=researcher
    ).exists()
    protocol_register(actor=researcher, project=project, justification="Add the pilot.")
    v2 = project.versions.get(number=2)
    assert v2.content["pilot_experiments"][0]["config_hash"] == experiment.config_hash
    page = client.post(URL, _form(project, authority)).content.decode()
    assert "Choose v2, which contains it." in page
    response = client.post(URL, _form(project, authority, protocol_version=v2.pk))
    assert response.status_code == 302
    assert Pilot.objects.get().protocol_version == v2


def test_only_the_team_can_add_a_config_to_the_protocol_draft() -> None:
    from whatworks.pilots.services.pilots import pilot_experiment_register

    project = registered_project()
    with pytest.raises(PilotError):
        pilot_experiment_register(
            actor=user_with_role(Role.RESEARCHER), project=project, config_yaml=config_yaml()
        )
    project.refresh_from_db()
    assert "pilot_experiments" not in project.draft_content


def _choices(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "choices-events": ["cp_plan", "s47"],
        "choices-window_days": "180",
        "choices-flag_by": "threshold",
        "choices-top_percent": "",
        "choices-threshold": "0.25",
        "choices-precision_min": "0.4",
        "choices-recall_min": "",
        "choices-roc_auc_min": "0.7",
        "choices-combine": "any",
    }
    data.update(changes)
    return data


def test_the_common_choices_write_a_valid_config_into_the_form(client: Client) -> None:
    """Issue #19: the start form writes the outcome, its window, the operating point and
    the criteria into the worked example; the engine reads back exactly those choices,
    and the result starts a pilot (nothing is stored by writing it)."""
    import html

    from whatworks.pilots import analytics

    researcher = user_with_role(Role.RESEARCHER)
    client.force_login(researcher)
    pilot_project(researcher, config_yaml())
    response = client.get(URL, _choices())
    page = response.content.decode()
    assert response.status_code == 200 and "written from your choices" in page
    box = page.split('name="config_yaml"')[1].split(">", 1)[1]
    text = html.unescape(box.split("</textarea>")[0])
    parsed, _hash = analytics.config_parse(text)
    assert parsed["outcome"]["events"] == ["cp_plan", "s47"]
    assert parsed["outcome"]["window_days"] == 180
    assert parsed["operating_point"] == {"top_percent": None, "threshold": 0.25}
    assert parsed["success"]["combine"] == "any"
    assert [(c["metric"], c["value"]) for c in parsed["success"]["criteria"]] == [
        ("precision", 0.4),
        ("roc_auc", 0.7),
    ]
    # The worked example's comments stay, for the sections still to be edited.
    assert "# yes / partly / no / unknown, with the evidence" in text
    assert 'href="/pilots/contract/"' in page
    assert not Pilot.objects.exists()


def test_the_common_choices_by_share_keep_the_example_everywhere_else() -> None:
    from whatworks.pilots import analytics
    from whatworks.pilots.forms import ConfigChoicesForm

    form = ConfigChoicesForm(
        _choices(**{"choices-flag_by": "top_percent", "choices-top_percent": "5"})
    )
    assert form.is_valid(), form.errors
    written, _ = analytics.config_parse(form.config_yaml())
    example, _ = analytics.config_parse(analytics.example_config())
    assert written["operating_point"] == {"top_percent": 5.0, "threshold": None}
    for section in ("fairness", "ethics", "models", "splits", "features", "bootstrap"):
        assert written[section] == example[section], section


def test_every_problem_of_the_choices_is_shown_at_once(client: Client) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    client.force_login(researcher)
    pilot_project(researcher, config_yaml())
    bad = _choices(
        **{
            "choices-events": [],
            "choices-window_days": "7",
            "choices-threshold": "",
            "choices-precision_min": "",
            "choices-roc_auc_min": "",
        }
    )
    page = client.get(URL, bad).content.decode()
    for message in (
        "Choose at least one outcome event.",
        "The outcome window must be at least 30 days.",
        "Enter the score threshold.",
        "Pre-register at least one success criterion.",
    ):
        assert message in page, message
    assert "There is a problem" in page and "written from your choices" not in page
