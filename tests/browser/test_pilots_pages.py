"""Every kind of pilot page in a real browser, with the axe check: upload -> run -> report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

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
    researcher = UserFactory.create(email="r@example.test", roles=frozenset({Role.RESEARCHER}))
    pilot = make_pilot(researcher=researcher, fixed=False)
    analyst = UserFactory.create(
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
    researcher = UserFactory.create(email="c@example.test", roles=frozenset({Role.RESEARCHER}))
    sign_in(researcher.email, PASSWORD)
    visit("/pilots/centre/")
    visit("/pilots/")


def test_outsiders_get_404(visit: Any, sign_in: Any) -> None:
    pilot = make_pilot()
    other = UserFactory.create(
        email="o@example.test",
        roles=frozenset({Role.LA_ANALYST}),
        organisation=OrganisationFactory.create(),
    )
    sign_in(other.email, PASSWORD)
    visit(f"/pilots/{pilot.pk}/", expect_status=404)


def test_start_a_pilot(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible
    from tests.pilots.factories import config_yaml, pilot_project
    from tests.registry.factories import draft_project
    from whatworks.pilots.models import Pilot

    researcher = UserFactory.create(email="s@example.test", roles=frozenset({Role.RESEARCHER}))
    project = pilot_project(researcher, config_yaml())
    draft = draft_project(author=researcher)
    authority = OrganisationFactory.create()
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


def test_write_the_config_from_the_common_choices(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible
    from tests.pilots.factories import config_yaml, pilot_project

    researcher = UserFactory.create(email="c@example.test", roles=frozenset({Role.RESEARCHER}))
    pilot_project(researcher, config_yaml())
    sign_in(researcher.email, PASSWORD)
    visit("/pilots/new/")
    page.get_by_text("Write it from the common choices").click()
    page.get_by_label("A section 47 enquiry starts").check()
    page.get_by_label("Outcome window (days after the referral)").fill("180")
    page.get_by_label("Every referral whose score reaches a threshold").check()
    page.get_by_label("Score threshold (0 to 1)").fill("0.3")
    page.get_by_role("button", name="Write the config").click()
    page.wait_for_load_state()
    text = page.get_by_label("Experiment config (YAML)").input_value()
    assert "events: [cp_plan, looked_after, s47]" in text and "window_days: 180" in text
    assert "threshold: 0.3" in text
    assert "written from your choices" in page.locator("main").inner_text()
    assert_accessible(page)
    visit("/pilots/new/?choices-window_days=5&choices-flag_by=top_percent")
    summary = page.get_by_role("alert").inner_text()
    assert "Choose at least one outcome event." in summary
    assert "The outcome window must be at least 30 days." in summary


def test_shadow_phase_page(visit: Any, page: Any, sign_in: Any) -> None:
    from datetime import date

    from django.utils import timezone

    from tests.pilots.factories import analyst_of, make_dataset
    from whatworks.pilots.models import ShadowModel, ShadowScores

    pilot = make_pilot()
    analyst = analyst_of(pilot)
    analyst.email = "shadow@example.test"
    analyst.set_password(PASSWORD)
    analyst.save()
    held, later = make_dataset(pilot), make_dataset(pilot)
    run = Run.objects.create(
        pilot=pilot,
        dataset=held,
        source=Run.Source.PLATFORM,
        status=Run.Status.SUCCEEDED,
        config_hash=pilot.config_hash,
        bundle={"verdict": {"status": "not_supported", "sentence": "Not supported."}},
        verdict_status="not_supported",
        verdict_sentence="The evidence does not support use.",
    )
    estimate = {"value": 0.37, "low": 0.33, "high": 0.41}
    model = ShadowModel.objects.create(
        pilot=pilot,
        run=run,
        status=ShadowModel.Status.FROZEN,
        frozen_at=timezone.now(),
        folder="x",
        meta={
            "model": "logistic",
            "kind": "logistic",
            "label_end": "2023-04-01",
            "flag_rule": "score >= 0.21",
            "model_sha256": "ab" * 32,
            "trained_on": {"rows": 1800, "positives": 240},
            "validation": {
                "n": 900,
                "test_periods": "2021-04-01 to 2023-04-01",
                "precision": estimate,
            },
        },
    )
    ShadowScores.objects.create(
        model=model,
        dataset=later,
        status=ShadowScores.Status.EVALUATED,
        path="y.parquet",
        scored=420,
        flagged=44,
        first_referral=date(2023, 4, 1),
        last_referral=date(2024, 3, 30),
        delete_after=date(2027, 1, 1),
        scored_at=timezone.now(),
        forward={
            "scored": 420,
            "matured": 400,
            "pending": 20,
            "label_end": "2025-04-01",
            "comparison": [
                {
                    "metric": "precision",
                    "sentence": "precision: validated at 0.37 (0.33 to "
                    "0.41) in temporal validation, achieved 0.31 (0.22 to 0.40) on 400 referrals",
                }
            ],
        },
    )
    sign_in(analyst.email, PASSWORD)
    visit(f"/pilots/{pilot.pk}/")
    page.get_by_role("link", name="the shadow phase").click()
    page.wait_for_load_state()
    visit(f"/pilots/{pilot.pk}/shadow/")
    main = page.locator("main").inner_text()
    assert "validated at 0.37" in main and "achieved 0.31" in main
    assert page.get_by_role("button", name="Evaluate again").is_visible()
    assert page.get_by_label("Later extract to score").is_visible()
    # the scores can be downloaded, the link naming which scoring it is
    download = page.get_by_role("link", name=re.compile(r"^Scores \(CSV\) scored \d"))
    assert download.is_visible()
    assert download.get_attribute("href") == reverse(
        "pilots:shadow_scores_download",
        kwargs={"pilot_id": pilot.pk, "scores_id": ShadowScores.objects.get().pk},
    )


def test_ask_for_a_pilot(visit: Any, page: Any, sign_in: Any) -> None:
    from tests.browser.axe import assert_accessible

    analyst = UserFactory.create(
        email="ask@example.test",
        roles=frozenset({Role.LA_ANALYST}),
        organisation=OrganisationFactory.create(),
    )
    sign_in(analyst.email, PASSWORD)
    visit("/pilots/")
    page.get_by_role("link", name="Ask for a pilot").click()
    page.wait_for_load_state()
    visit("/pilots/ask/")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    assert "Say what your authority would like to test." in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("What would your authority like to test?").fill("Escalation in a year.")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_load_state()
    assert "Your request is with the Centre's researchers" in page.locator("main").inner_text()
    assert_accessible(page)
