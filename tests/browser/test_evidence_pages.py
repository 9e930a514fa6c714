"""The Evidence Store's pages in a real browser, each checked with axe."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.browser.axe import assert_accessible
from tests.evidence.factories import finding, intervention, rating, study
from tests.factories import PASSWORD, UserFactory
from whatworks.core.roles import Role
from whatworks.evidence import demo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalogue() -> Any:
    made = intervention(
        slug="iy", name="Incredible Years", age_groups=["0-4", "5-11"], is_demo=True
    )
    rating(made, "parenting")
    for n in range(3):
        registered = {"registry_ref": "WWC-2019-0007"} if n == 0 else {}  # axe checks the link
        finding(
            study(made, citation=f"Trial {n}. A trial", is_demo=True, **registered),
            mean_treatment=10 + n,
        )
    first = made.studies.first()
    assert first is not None
    finding(
        first,
        domain="entering-care",
        measure_type="RR",
        events_treatment=10,
        events_control=20,
        higher_is_better=False,
    )
    return made


def test_search_with_words_and_facets(visit: Any, page: Any, catalogue: Any) -> None:
    visit("/evidence/")
    page.get_by_label("Search interventions and approaches").fill("incred")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "q=incred" in page.url
    page.get_by_label("Early years (0 to 4) (1)").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert "age=0-4" in page.url
    assert page.get_by_role("link", name="Incredible Years").is_visible()
    assert_accessible(page)
    # On a phone the results come first, even with filters chosen: the facets stay behind
    # the closed "Filter" control, which says how many are chosen.
    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    assert page.get_by_role("link", name="Incredible Years").is_visible()
    assert not page.get_by_label("Early years (0 to 4) (1)").is_visible()
    assert page.get_by_text("Filter (1 chosen)").is_visible()


def test_intervention_page_with_forest_plots(visit: Any, page: Any, catalogue: Any) -> None:
    visit("/evidence/interventions/iy/")
    assert page.locator("svg[role=img]").count() == 4  # two forest plots, each drawn twice
    assert page.locator(".chart-narrow svg[role=img]").count() == 2
    page.get_by_text("Show the forest plot as a table").first.click()
    page.get_by_text("Compare pooling methods and heterogeneity").first.click()
    assert page.get_by_role("rowheader", name="Random effects (REML)").first.is_visible()
    assert_accessible(page)


def test_study_and_ratings_explained_pages(visit: Any, catalogue: Any) -> None:
    visit(f"/evidence/studies/{catalogue.studies.first().slug}/")
    visit("/evidence/ratings-explained/")


def test_demo_content_pages(visit: Any) -> None:
    demo.load(stdout=io.StringIO())
    visit("/evidence/?q=famil")
    visit("/evidence/interventions/family-drug-and-alcohol-court/")
    visit("/evidence/interventions/incredible-years-parenting/")


def test_staff_pages_and_their_errors(visit: Any, page: Any, sign_in: Any, catalogue: Any) -> None:
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed@example.test", PASSWORD)
    visit("/evidence/staff/")
    visit("/evidence/staff/interventions/new/")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit("/evidence/staff/interventions/iy/edit/")
    page.get_by_label("Family court").check()  # settings: a group of checkboxes
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    visit("/evidence/interventions/iy/")
    facts = page.locator("dl.facts").first.inner_text()
    assert "Early years (0 to 4); Primary age (5 to 11)" in facts and "Family court" in facts
    visit("/evidence/staff/interventions/iy/outcomes/parenting/rating/")
    page.get_by_label("Effectiveness: how big the effect is").select_option("large-benefit")
    page.get_by_role("button", name="Save the rating").click()
    page.wait_for_load_state()
    assert "a note is required" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit("/evidence/staff/import/")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"id,name\nBad Id,\n"}
    )
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_load_state()
    assert "This column is missing." in page.content()
    assert_accessible(page)


def test_evidence_pages_fit_a_phone(phone_page: Any, catalogue: Any) -> None:
    for path in ["/evidence/", "/evidence/interventions/iy/", "/evidence/ratings-explained/"]:
        phone_page.goto(path)
        overflow = phone_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"


def test_on_a_phone_results_come_first_and_filters_open_from_a_control(
    phone_page: Any, catalogue: Any
) -> None:
    phone_page.goto("/evidence/?q=incredble")
    assert phone_page.get_by_text("Did you mean").is_visible()
    control = phone_page.locator("summary", has_text="Filter")
    assert control.is_visible()
    assert not phone_page.get_by_text("Early years (0 to 4) (1)").is_visible()
    result = phone_page.get_by_role("link", name="Incredible Years")
    assert result.is_visible()
    control.click()
    assert phone_page.get_by_text("Early years (0 to 4) (1)").is_visible()
    assert_accessible(phone_page)


def test_rating_form_shows_the_rules_and_asks_why_a_rating_departs(
    visit: Any, page: Any, sign_in: Any, catalogue: Any
) -> None:
    UserFactory.create(email="ed2@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed2@example.test", PASSWORD)
    visit("/evidence/staff/interventions/iy/outcomes/entering-care/rating/")
    assert page.get_by_text("How big, by the rules").is_visible()
    page.get_by_label("Effectiveness: how big the effect is").select_option("harm")
    page.get_by_role("button", name="Save the rating").click()
    page.wait_for_load_state()
    assert "differs from what the rules give" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit("/staff/search-synonyms/")
    page.get_by_label("Words and phrases that mean the same").fill("SGO")
    page.get_by_role("button", name="Add the group").click()
    page.wait_for_load_state()
    assert "Give two or more" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


RIS_FILE = (
    "TY  - JOUR\nAU  - Trial, A\nTI  - A trial\nPY  - 2020\nDO  - 10.1000/trial.0\nER  -\n\n"
    "TY  - JOUR\nAU  - Someone, B\nTI  - A study we do not hold\nPY  - 2022\nER  -\n\n"
    "TY  - JOUR\nPY  - soon\nER  -\n"
)


def test_study_finding_and_ris_pages(visit: Any, page: Any, sign_in: Any, catalogue: Any) -> None:
    UserFactory.create(email="ed@example.test", roles=frozenset({Role.EDITOR}))
    sign_in("ed@example.test", PASSWORD)
    study_slug = catalogue.studies.first().slug
    visit("/evidence/staff/interventions/iy/studies/new/")
    page.get_by_role("button", name="Save the study").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit(f"/evidence/staff/studies/{study_slug}/edit/")
    visit(f"/evidence/staff/studies/{study_slug}/findings/new/")
    page.get_by_role("button", name="Save the finding").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    visit(f"/evidence/staff/findings/{catalogue.studies.first().findings.first().slug}/edit/")
    visit("/evidence/staff/import/ris/")
    page.get_by_label("Intervention for new studies").select_option(label="Incredible Years")
    page.get_by_label("RIS file").set_input_files(
        {
            "name": "refs.ris",
            "mimeType": "application/x-research-info-systems",
            "buffer": RIS_FILE.encode(),
        }
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    body = page.content()
    assert "Nothing has been saved yet" in body and "It has no title" in body
    assert "Add this study" in body
    assert_accessible(page)
