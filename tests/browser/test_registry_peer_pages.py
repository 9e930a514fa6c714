"""The registry's pages for what peers have: the design on the draft, attached documents,
identifiers and ORCID iDs, in a real browser with the axe check."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.registry.factories import PDF_BYTES, attach, draft_project, registered_project
from whatworks.core.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_researcher_fills_in_the_design_and_attaches_documents(
    visit: Any, page: Any, sign_in: Any, tmp_path: Any
) -> None:
    from tests.browser.axe import assert_accessible

    author = UserFactory.create(email="dee@example.test", roles=frozenset({Role.RESEARCHER}))
    project = draft_project(author=author)
    ref = project.reference
    sign_in("dee@example.test", PASSWORD)
    visit(f"/research/{ref}/protocol/draft/")
    page.get_by_label("Allocation ratio").fill("2:1:1")
    page.get_by_label("Children and families").check()
    page.get_by_role("button", name="Save and review for registration").click()
    page.wait_for_load_state()
    assert "has 3 parts but the design has 2 arms" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Allocation ratio").fill("1:1")
    page.get_by_role("button", name="Save and review for registration").click()
    page.wait_for_url(f"**/research/{ref}/protocol/register/")
    assert "Design in detail" in page.locator("main").inner_text()

    visit(f"/research/{ref}/protocol/attachments/")
    wrong = tmp_path / "plan.pdf"
    wrong.write_bytes(b"\x89PNG\r\n\x1a\nnot a pdf")
    page.get_by_label("File").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert "must be a PDF" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    plan = tmp_path / "analysis-plan.pdf"
    plan.write_bytes(PDF_BYTES)
    page.get_by_label("File").set_input_files(str(plan))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"**/research/{ref}/protocol/attachments/")
    assert "analysis-plan.pdf" in page.locator("main").inner_text()
    assert_accessible(page)
    visit(f"/research/{ref}/protocol/register/")
    assert "Attached documents" in page.locator("main").inner_text()
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    project.refresh_from_db()
    visit(f"/research/{project.reference}/v1/")
    main = page.locator("main").inner_text()
    assert "analysis-plan.pdf" in main and "Usual practice" in main
    with page.expect_download() as download:
        page.get_by_role("link", name="analysis-plan.pdf").click()
    assert download.value.suggested_filename == "analysis-plan.pdf"


def test_identifiers_and_orcid_pages(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible

    author = UserFactory.create(email="ida@example.test", roles=frozenset({Role.RESEARCHER}))
    project = registered_project(author=author)
    attach(project, author=author)
    sign_in("ida@example.test", PASSWORD)
    visit("/research/orcid/")
    page.get_by_label("Your ORCID iD").fill("0000-0002-1825-0098")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "does not match the others" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Your ORCID iD").fill("0000-0002-1825-0097")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    visit(f"/research/{project.reference}/identifiers/")
    page.get_by_label("ISRCTN").fill("12345")
    page.get_by_role("button", name="Save the identifiers").click()
    page.wait_for_load_state()
    assert "is not an ISRCTN identifier" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("ISRCTN").fill("ISRCTN12345678")
    page.get_by_role("button", name="Save the identifiers").click()
    page.wait_for_url(f"**/research/{project.reference}/")
    assert_accessible(page)
    main = page.locator("main").inner_text()
    assert "ISRCTN12345678" in main and "0000-0002-1825-0097" in main


def test_the_participant_flow_page(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible
    from tests.registry.factories import project_with_results

    author = UserFactory.create(email="flo@example.test", roles=frozenset({Role.RESEARCHER}))
    project = project_with_results(author=author, publish_results=False)
    sign_in("flo@example.test", PASSWORD)
    visit(f"/research/{project.reference}/results/flow/")
    page.locator("#id_flow0-randomised").fill("310")
    page.locator("#id_flow0-analysed").fill("320")
    page.get_by_role("button", name="Save with the draft results").click()
    page.wait_for_load_state()
    assert "is more than the 310 randomised" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.locator("#id_flow0-analysed").fill("300")
    page.get_by_label("Harms and unintended effects").fill("None seen in either arm.")
    page.get_by_role("button", name="Save with the draft results").click()
    page.wait_for_url("**/results/1/")
    assert_accessible(page)
    assert "None seen in either arm." in page.locator("main").inner_text()
