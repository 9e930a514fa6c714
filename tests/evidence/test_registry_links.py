"""Studies registered in our research registry: the field, the study page, import and
export, and the registry's link provider (only what the user may see)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import user_with_role
from tests.registry.factories import registered_project
from whatworks.core import extensions
from whatworks.core.demo import demo_load_core
from whatworks.core.models import AuditEntry
from whatworks.core.roles import Role
from whatworks.evidence import demo as evidence_demo
from whatworks.evidence.errors import EvidenceError, ImportInvalid
from whatworks.evidence.models import Study
from whatworks.evidence.services.store import study_update
from whatworks.evidence.services.transfer import evidence_import, export_file
from whatworks.registry import demo as registry_demo
from whatworks.registry.links import LinkGroup, LinkItem, project_links
from whatworks.registry.models import Project

from .factories import intervention, study

pytestmark = pytest.mark.django_db

FORMAT_MESSAGE = (
    "Enter the research project's identifier as the registry shows it, e.g. WWC-2019-0007."
)
STUDY_HEADER = "id,intervention_id,citation,year,design,country,sample_size,risk_of_bias"


def _evidence(groups: list[LinkGroup]) -> tuple[LinkItem, ...]:
    group = next((g for g in groups if g.key == "evidence"), None)
    return group.items if group else ()


def problems(data: str, *, fmt: str = "csv") -> list[str]:
    with pytest.raises(ImportInvalid) as caught:
        evidence_import(actor=None, kind="studies", fmt=fmt, data=data.encode())
    return [str(p) for p in caught.value.problems]


def test_evidence_registers_a_link_provider() -> None:
    assert "evidence" in extensions.project_links.registered()


def test_the_provider_lists_visible_interventions_with_the_study() -> None:
    project = registered_project()
    published = intervention(name="Family group conferences")
    draft = intervention(name="Secret new programme", status="draft")
    shown = study(published, registry_ref=project.reference, citation="Ashdown R. A trial")
    study(draft, registry_ref=project.reference, citation="Draft D. A pilot")
    study(published, registry_ref="WWC-1999-0001", citation="Other O. Another trial")
    study(published, citation="Plain P. Not registered")
    for user in (user_with_role(None), user_with_role(Role.RESEARCHER)):
        assert _evidence(project_links(project=project, user=user)) == (
            LinkItem(
                title="Family group conferences",
                url=published.get_absolute_url(),
                summary=str(shown),
            ),
        )
    staff = _evidence(project_links(project=project, user=user_with_role(Role.EDITOR)))
    assert [(i.title, i.summary) for i in staff] == [
        ("Family group conferences", "Ashdown R. A trial"),
        ("Secret new programme (draft)", "Draft D. A pilot"),
    ]


def test_the_project_page_shows_the_evidence_group(client: Any) -> None:
    project = registered_project()
    study(intervention(name="Family group conferences"), registry_ref=project.reference)
    study(intervention(name="Secret new programme", status="draft"), registry_ref=project.reference)
    text = client.get(f"/research/{project.reference}/").content.decode()
    assert "Evidence Store" in text and "Family group conferences" in text
    assert "Secret new programme" not in text


def test_the_study_page_links_to_the_registry(client: Any) -> None:
    project = registered_project()
    registered = study(intervention(), registry_ref=project.reference)
    text = client.get(registered.get_absolute_url()).content.decode()
    assert "<dt>Registered</dt>" in text
    assert f'<a href="/research/{project.reference}/">{project.reference}</a>' in text
    plain = client.get(study(intervention()).get_absolute_url()).content.decode()
    assert "<dt>Registered</dt>" not in plain


def test_the_open_data_carries_the_registry_ref(client: Any) -> None:
    project = registered_project()
    item = intervention()
    study(item, registry_ref=project.reference)
    study(item)
    data = json.loads(client.get(f"/evidence/data/interventions/{item.slug}.json").content)
    assert sorted((s["registry_ref"] or "") for s in data["studies"]) == ["", project.reference]


@pytest.mark.parametrize("bad", ["WWC-19-7", "wwc-2019-0007", "2019-0007", "WWC-2019-0007 "])
def test_a_badly_formed_registry_ref_is_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(EvidenceError) as caught:
        study(intervention(), registry_ref=bad)
    assert FORMAT_MESSAGE in caught.value.message
    made = study(intervention())
    with pytest.raises(EvidenceError, match="WWC-2019-0007"):
        study_update(actor=None, study=made, data={"registry_ref": bad})


def test_the_audited_admin_edits_the_registry_ref(client_for: Any) -> None:
    client = client_for("editor")
    made = study(intervention())
    url = reverse("admin:evidence_study_change", args=[made.pk])
    assert 'name="registry_ref"' in client.get(url).content.decode()
    form = {
        "intervention": made.intervention_id,
        "slug": made.slug,
        "citation": made.citation,
        "year": made.year,
        "design": made.design,
        "country": made.country,
        "sample_size": made.sample_size,
        "risk_of_bias": made.risk_of_bias,
    }
    refused = client.post(url, {**form, "registry_ref": "trial 7"})
    assert refused.status_code == 200
    assert "the registry shows it, e.g. WWC-2019-0007." in refused.content.decode()
    response = client.post(url, {**form, "registry_ref": "WWC-2019-0007"})
    assert response.status_code == 302, response.content.decode()[:2000]
    made.refresh_from_db()
    assert made.registry_ref == "WWC-2019-0007"
    entry = AuditEntry.objects.filter(action="study.changed_in_admin").latest("pk")
    assert "registry_ref" in entry.changes


# --- import and export ---------------------------------------------------------------------


def test_an_old_file_without_the_column_stays_valid_and_keeps_the_value() -> None:
    intervention(slug="fgc")
    kept = study(intervention(slug="iy"), slug="s-1", registry_ref="WWC-2019-0007")
    data = "\n".join(
        [
            STUDY_HEADER,
            "s-1,iy,A trial,2020,rct,England,100,low",
            "s-2,fgc,Another trial,2021,rct,Wales,80,high",
        ]
    )
    report = evidence_import(actor=None, kind="studies", fmt="csv", data=data.encode())
    assert (report.created, report.updated) == (1, 1)
    kept.refresh_from_db()
    assert kept.registry_ref == "WWC-2019-0007"
    assert Study.objects.get(slug="s-2").registry_ref == ""


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_column_sets_and_clears_the_registry_ref(fmt: str) -> None:
    intervention(slug="fgc")
    study(intervention(slug="iy"), slug="s-1", registry_ref="WWC-2019-0007")
    rows = [
        {"id": "s-1", "intervention_id": "iy", "registry_ref": ""},
        {"id": "s-2", "intervention_id": "fgc", "registry_ref": "WWC-2026-0003"},
    ]
    common = {
        "citation": "A trial",
        "year": 2020,
        "design": "rct",
        "country": "England",
        "sample_size": 100,
        "risk_of_bias": "low",
    }
    if fmt == "json":
        data = json.dumps([{**common, **row} for row in rows])
    else:
        header = f"{STUDY_HEADER},registry_ref"
        lines = [
            f"{r['id']},{r['intervention_id']},A trial,2020,rct,England,100,low,{r['registry_ref']}"
            for r in rows
        ]
        data = "\n".join([header, *lines])
    evidence_import(actor=None, kind="studies", fmt=fmt, data=data.encode())
    assert dict(Study.objects.values_list("slug", "registry_ref")) == {
        "s-1": "",
        "s-2": "WWC-2026-0003",
    }


def test_bad_registry_refs_are_reported_with_every_other_problem_and_nothing_written() -> None:
    intervention(slug="fgc")
    found = problems(
        "\n".join(
            [
                f"{STUDY_HEADER},registry_ref",
                "s-1,fgc,A trial,2020,rct,England,100,low,WWC-2020-0001",
                "s-2,fgc,A trial,twenty,rct,England,100,low,trial 7",
                "s-3,fgc,A trial,2020,rct,England,100,low,wwc-2020-0001",
            ]
        )
    )
    assert found == [
        f"row 3, column registry_ref: 'trial 7': {FORMAT_MESSAGE}",
        "row 3, column year: 'twenty' is not a whole number.",
        f"row 4, column registry_ref: 'wwc-2020-0001': {FORMAT_MESSAGE}",
    ]
    assert not Study.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_export_includes_the_registry_ref_and_round_trips(fmt: str) -> None:
    made = intervention(slug="fgc")
    study(made, slug="s-1", registry_ref="WWC-2019-0007")
    study(made, slug="s-2")
    exported = export_file(kind="studies", fmt=fmt)
    if fmt == "csv":
        header = exported.splitlines()[0].split(",")
        assert "registry_ref" in header
    else:
        assert [row["registry_ref"] for row in json.loads(exported)] == ["WWC-2019-0007", ""]
    Study.objects.all().delete()
    evidence_import(actor=None, kind="studies", fmt=fmt, data=exported.encode())
    assert dict(Study.objects.values_list("slug", "registry_ref")) == {
        "s-1": "WWC-2019-0007",
        "s-2": "",
    }
    assert export_file(kind="studies", fmt=fmt) == exported


# --- demo ------------------------------------------------------------------------------------


def test_the_demo_links_studies_to_registry_projects_once() -> None:
    demo_load_core(password="demo password for tests")
    registry_demo.load(stdout=io.StringIO())
    for _ in range(2):
        evidence_demo.load(stdout=io.StringIO())
    for slug, title in evidence_demo.REGISTERED_AS.items():
        project = Project.objects.get(title=title)
        assert Study.objects.get(slug=slug).registry_ref == project.reference
    assert AuditEntry.objects.filter(action="evidence.study_changed").count() == len(
        evidence_demo.REGISTERED_AS
    )


def test_the_demo_skips_the_link_without_the_registry_project() -> None:
    evidence_demo.load(stdout=io.StringIO())
    assert not Study.objects.exclude(registry_ref="").exists()
