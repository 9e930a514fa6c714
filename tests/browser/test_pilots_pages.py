"""Every kind of pilot page in a real browser, with the axe check: upload -> run -> report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.pilots.factories import lift_registry_guard, make_pilot, synthetic_folder, zip_of
from whatworks.core.roles import Role
from whatworks.core.tasks_support import make_worker
from whatworks.pilots.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _setup(transactional_db: Any, settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.PRIVATE_DATA_ROOT = tmp_path / "private"
    settings.WHATWORKS_PSEUDONYM_KEY = "browser-test-key-0123456789abcdef"
    yield
    lift_registry_guard()


def test_upload_run_and_report(visit: Any, page: Any, sign_in: Any, tmp_path: Path) -> None:
    researcher = UserFactory(email="r@example.test", roles=frozenset({Role.RESEARCHER}))
    pilot = make_pilot(researcher=researcher, fixed=False)
    analyst = UserFactory(
        email="a@example.test",
        roles=frozenset({Role.LA_ANALYST}),
        organisation=pilot.organisation,
    )
    sign_in(analyst.email, PASSWORD)
    visit("/pilots/")
    assert page.get_by_role("link", name=pilot.name).is_visible()
    visit(f"/pilots/{pilot.pk}/")
    page.get_by_label("Experiment config (YAML)").fill("name: x\n")
    page.get_by_role("button", name="Fix the config").click()
    page.wait_for_load_state()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    from tests.browser.axe import assert_accessible
    from tests.pilots.factories import config_yaml

    assert_accessible(page)
    page.get_by_label("Registered protocol version").select_option(index=1)
    page.get_by_label("Experiment config (YAML)").fill(config_yaml())
    page.get_by_role("button", name="Fix the config").click()
    page.wait_for_load_state()
    assert "Fixed in" in page.locator("main").inner_text()

    folder = synthetic_folder(tmp_path / "data")
    visit(f"/pilots/{pilot.pk}/data/")
    (tmp_path / "upload").mkdir()
    broken = tmp_path / "upload" / "children.csv"
    broken.write_text("child_id\nC1\n")
    page.get_by_label("Dataset files").set_input_files([str(broken)])
    page.get_by_role("button", name="Check and upload").click()
    page.wait_for_load_state()
    assert "Waiting to be checked" in page.locator("main").inner_text()
    assert_accessible(page)
    make_worker(worker_id="browser-worker", batch=True, interval=0).run()
    # The page polls; once the check has finished it reloads itself with the outcome.
    page.get_by_role("alert").wait_for()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    archive = tmp_path / "data.zip"
    archive.write_bytes(zip_of(folder))
    page.get_by_label("Dataset files").set_input_files([str(archive)])
    page.get_by_role("button", name="Check and upload").click()
    page.wait_for_load_state()
    make_worker(worker_id="browser-worker", batch=True, interval=0).run()
    page.get_by_text("The dataset passed every check").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the pilot to run the analysis").click()
    page.wait_for_load_state()

    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_load_state()
    assert "Queued" in page.locator("main").inner_text()
    assert_accessible(page)
    make_worker(worker_id="browser-worker", batch=True, interval=0).run()
    page.get_by_role("link", name="See the report").click()
    page.wait_for_load_state()
    run = Run.objects.get()
    assert run.verdict_sentence[:40] in page.locator("main").inner_text()
    assert_accessible(page)
    visit(f"/pilots/{pilot.pk}/bundle/")
    visit(f"/pilots/{pilot.pk}/runs/{run.pk}/report/")


def test_the_data_contract_and_what_a_visitor_can_do(visit: Any, page: Any) -> None:
    visit("/pilots/")
    main = page.locator("main").inner_text()
    assert "Who can start a pilot" in main and "Ask for a pilot" in main
    page.get_by_role("link", name="data contract").first.click()
    page.wait_for_load_state()
    visit("/pilots/contract/")
    assert page.get_by_role("heading", name="Referrals (referrals)").is_visible()


def test_centre_view(visit: Any, sign_in: Any) -> None:
    make_pilot()
    researcher = UserFactory(email="c@example.test", roles=frozenset({Role.RESEARCHER}))
    sign_in(researcher.email, PASSWORD)
    visit("/pilots/centre/")
    visit("/pilots/")


def test_outsiders_get_404(visit: Any, sign_in: Any) -> None:
    pilot = make_pilot()
    other = UserFactory(
        email="o@example.test",
        roles=frozenset({Role.LA_ANALYST}),
        organisation=OrganisationFactory(),
    )
    sign_in(other.email, PASSWORD)
    visit(f"/pilots/{pilot.pk}/", expect_status=404)


def test_start_a_pilot(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible
    from tests.pilots.factories import config_yaml, pilot_project
    from tests.registry.factories import draft_project
    from whatworks.pilots.models import Pilot

    researcher = UserFactory(email="s@example.test", roles=frozenset({Role.RESEARCHER}))
    project = pilot_project(researcher, config_yaml())
    draft = draft_project(author=researcher)
    authority = OrganisationFactory()
    sign_in(researcher.email, PASSWORD)
    visit("/pilots/")
    page.get_by_role("link", name="Start a pilot").click()
    page.wait_for_load_state()
    visit("/pilots/new/?template=example")
    assert "escalation-within-a-year" in page.get_by_label("Experiment config (YAML)").input_value()
    visit("/pilots/new/")
    assert "The protocol must first be registered" in page.locator("main").inner_text()
    assert page.get_by_role("link", name=f"Register the protocol of {draft.reference}").is_visible()
    page.get_by_role("button", name="Start the pilot").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").inner_text()
    assert "There is a problem" in summary and "Choose the research project." in summary
    assert "Enter the experiment config." in summary
    assert page.get_by_role("button", name="Add this config to the protocol draft").is_visible()
    assert_accessible(page)

    page.get_by_label("Research project").select_option(
        label=f"{project.reference} {project.title}"
    )
    page.get_by_label("Local authority").select_option(label=authority.name)
    page.get_by_label("Title").fill("Escalation pilot")
    page.get_by_label("Registered protocol version").select_option(index=1)
    page.get_by_label("Experiment config (YAML)").fill(config_yaml())
    page.get_by_role("button", name="Start the pilot").click()
    page.wait_for_load_state()
    pilot = Pilot.objects.get()
    assert page.url.endswith(pilot.get_absolute_url())
    main = page.locator("main").inner_text()
    assert "Escalation pilot" in main and "Fixed in" in main
    assert_accessible(page)
