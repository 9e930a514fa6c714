"""The offline path and the report: bundle checks, report page, downloads, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.factories import user_with_role
from tests.fixturetypes import ClientResponse
from tests.pilots.factories import analyst_of, make_pilot, offline_bundle, offline_bundle_text
from whatworks.core.models import AuditEntry, User
from whatworks.core.roles import Role
from whatworks.pilots.models import Pilot, Run
from whatworks.registry.models import ResultsReport

pytestmark = pytest.mark.django_db


def _upload(client: Client, pilot: Pilot, data: bytes) -> ClientResponse:
    return client.post(
        reverse("pilots:bundle_upload", kwargs={"pilot_id": pilot.pk}),
        {"bundle": SimpleUploadedFile("bundle.json", data, "application/json")},
    )


def test_a_matching_bundle_shows_the_report_with_the_verdict_first(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    bundle = offline_bundle(pilot, tmp_path)
    client.force_login(analyst)
    response = _upload(client, pilot, json.dumps(bundle).encode())
    run = Run.objects.get(pilot=pilot)
    assert run.source == Run.Source.OFFLINE and run.config_hash == pilot.config_hash
    assert response["Location"] == reverse(
        "pilots:report", kwargs={"pilot_id": pilot.pk, "run_id": run.pk}
    )
    page = client.get(response["Location"]).content.decode()
    sentence = bundle["verdict"]["sentence"]
    main = page[page.index("<main") :]
    assert sentence.split(":")[0] in main
    headings = (
        "Report:",
        'id="headline"',
        "<h2>Can it be useful?</h2>",
        "<h2>In what circumstances?</h2>",
        "<h2>Should we use it?</h2>",
        "<h2>Verdict against the pre-registered criteria</h2>",
        "<h2>How well each model predicts</h2>",
        "<h2>What the model uses</h2>",
        "<h2>Curves</h2>",
        "<h2>Fairness</h2>",
        "<h2>In what circumstances</h2>",
        "<h2>Ethics gate",
    )
    positions = [main.index(s) for s in headings]
    assert positions == sorted(positions)
    assert AuditEntry.objects.filter(action="pilot.bundle_uploaded", actor=analyst).exists()
    assert AuditEntry.objects.filter(action="pilot.report_viewed", actor=analyst).exists()


def test_a_bundle_of_another_config_is_refused(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path)
    bundle["config_hash"] = "0" * 64
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, json.dumps(bundle).encode()).content.decode()
    assert "There is a problem" in page and "does not match the registered config" in page
    assert not Run.objects.exists()


def test_a_tampered_bundle_is_refused(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path)
    bundle["config"]["operating_point"] = {"top_percent": 50}  # hash kept, config changed
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, json.dumps(bundle).encode()).content.decode()
    assert "does not match its own hash" in page
    assert not Run.objects.exists()


def test_a_bundle_that_breaks_the_schema_lists_the_problems(client: Client) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, b'{"bundle_version": 1, "extra": true}').content.decode()
    assert "There is a problem" in page and "seed" in page
    assert not Run.objects.exists()


def test_downloads_are_audited_and_hidden_from_outsiders(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    run = Run.objects.get()
    kwargs = {"pilot_id": pilot.pk, "run_id": run.pk}
    html = client.get(reverse("pilots:report_download", kwargs=kwargs))
    assert html.status_code == 200 and "attachment" in html["Content-Disposition"]
    assert b"<!DOCTYPE html>" in html.content
    data = client.get(reverse("pilots:bundle_download", kwargs=kwargs))
    assert json.loads(data.content)["config_hash"] == pilot.config_hash
    for action in ("pilot.report_downloaded", "pilot.bundle_downloaded"):
        assert AuditEntry.objects.filter(action=action, actor=analyst).count() == 1
    client.force_login(user_with_role(Role.LA_ANALYST))
    for name in ("pilots:report", "pilots:report_download", "pilots:bundle_download", "pilots:run"):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name


def test_results_report_filled_from_a_run(client: Client, tmp_path: Path) -> None:
    researcher = user_with_role(Role.RESEARCHER)
    pilot = make_pilot(researcher=researcher)
    client.force_login(researcher)
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    run = Run.objects.get()
    response = client.post(
        reverse("pilots:results_fill", kwargs={"pilot_id": pilot.pk, "run_id": run.pk})
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="pilot.results_filled").exists()
    _assert_same_verdict(pilot, run)


def test_the_downloaded_bundle_is_the_analytics_packages_own_text(
    client: Client, tmp_path: Path
) -> None:
    """Byte for byte what ``whatworks-analytics run`` writes (``bundle_json``), whatever
    spacing the uploaded copy had."""
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    run = Run.objects.get()
    kwargs = {"pilot_id": pilot.pk, "run_id": run.pk}
    data = client.get(reverse("pilots:bundle_download", kwargs=kwargs))
    assert data.content == offline_bundle_text(pilot).encode("utf-8")


def _filled_by(client: Client, user: User, pilot: Pilot, run: Run) -> ClientResponse:
    client.force_login(user)
    return client.post(
        reverse("pilots:results_fill", kwargs={"pilot_id": pilot.pk, "run_id": run.pk})
    )


def test_filling_results_off_the_projects_team_is_refused_with_a_403(
    client: Client, tmp_path: Path
) -> None:
    """The authority's analyst sees the run, but only the project's team fills its results:
    the registry's refusal is a 403, as everywhere, not a message on the report."""
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    client.force_login(analyst)
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    run = Run.objects.get()
    assert _filled_by(client, analyst, pilot, run).status_code == 403
    assert not ResultsReport.objects.filter(project=pilot.project).exists()
    assert not AuditEntry.objects.filter(action="pilot.results_filled").exists()


def test_an_ordinary_refusal_to_fill_results_is_a_message_on_the_report(
    client: Client, tmp_path: Path
) -> None:
    from whatworks.registry.services.projects import project_withdraw

    researcher = user_with_role(Role.RESEARCHER)
    pilot = make_pilot(researcher=researcher)
    client.force_login(researcher)
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    run = Run.objects.get()
    project_withdraw(actor=user_with_role(Role.EDITOR), project=pilot.project, reason="Stopped.")
    response = _filled_by(client, researcher, pilot, run)
    report_url = reverse("pilots:report", kwargs={"pilot_id": pilot.pk, "run_id": run.pk})
    assert response.status_code == 302 and response["Location"] == report_url
    page = client.get(report_url).content.decode()
    assert "withdrawn; it can no longer change" in page
    assert not ResultsReport.objects.filter(project=pilot.project).exists()


#: The registry's verdict on the pilot's criteria for each of the pilot's statuses.
REGISTRY_VERDICT = {
    "supports_use": "met",
    "ethics_gate_not_passed": "met",
    "does_not_support_use": "not-met",
    "inconclusive": "inconclusive",
}


def _assert_same_verdict(pilot: Any, run: Run) -> None:
    """One row per pre-registered outcome, rounded as the report rounds (two decimals), with
    intervals, judged by the registry to the pilot's own verdict (issue #13, item 2)."""
    from whatworks.registry.protocol import parse_content
    from whatworks.registry.verdicts import assess, parse_results

    report = ResultsReport.objects.get(project=pilot.project)
    content = parse_content(report.protocol_version.content)
    assert [r["outcome"] for r in report.results] == [o.key for o in content.outcomes]
    bundle = run.bundle or {}
    assert all(c["estimate"]["value"] is not None for c in bundle["verdict"]["criteria"])
    for row, criterion in zip(report.results, bundle["verdict"]["criteria"], strict=False):
        estimate = criterion["estimate"]
        assert row["estimate"] == round(estimate["value"], 2)
        assert (row["lower"], row["upper"]) == (
            round(estimate["low"], 2),
            round(estimate["high"], 2),
        )
    assessment = assess(content, parse_results(report.results))
    assert assessment.unreported == () and assessment.unregistered == ()
    assert assessment.overall.value == REGISTRY_VERDICT[bundle["verdict"]["status"]]
    assert [c.verdict.value for c in assessment.criteria][: len(bundle["verdict"]["criteria"])] == [
        c["judgement"].replace("_", "-") for c in bundle["verdict"]["criteria"]
    ]


def test_a_forged_fairness_or_success_outcome_gives_the_pilots_verdict_too(tmp_path: Path) -> None:
    """The same check on hand-made verdicts: inconclusive fairness and success met."""
    from whatworks.pilots import analytics
    from whatworks.registry.protocol import parse_content
    from whatworks.registry.verdicts import assess, parse_results

    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path)
    verdict = bundle["verdict"]
    for criterion in verdict["criteria"]:
        criterion["estimate"] = {"value": 0.9, "low": 0.85, "high": 0.95}
        criterion["judgement"] = "met"
    for check in verdict["fairness_checks"]:
        check.update(judgement="met", outside=[], uncertain=[])
    verdict["fairness_checks"][0].update(judgement="inconclusive", uncertain=["x"])
    verdict.update(success="met", fairness="inconclusive", status="inconclusive")
    version = pilot.protocol_version
    assert version is not None
    content = parse_content(version.content)
    made = analytics.registry_bundle(
        bundle, project_reference=pilot.project.reference, protocol_version=version
    )
    assert assess(content, parse_results(made["results"])).overall.value == "inconclusive"
    verdict.update(fairness="met", status="ethics_gate_not_passed")
    verdict["fairness_checks"][0].update(judgement="met", uncertain=[])
    made = analytics.registry_bundle(
        bundle, project_reference=pilot.project.reference, protocol_version=version
    )
    assert assess(content, parse_results(made["results"])).overall.value == "met"


def test_rounding_as_the_report_rounds_never_changes_a_judgement() -> None:
    """0.66 (0.6496 to 0.70) against >= 0.65 is inconclusive; two decimals would show the
    lower end as 0.65 and make it met, so more digits are kept for that estimate."""
    from whatworks.pilots.analytics import _rounded

    estimate = {"value": 0.66, "low": 0.6496, "high": 0.7}
    assert _rounded(estimate, ">=", 0.65, "inconclusive") == {
        "estimate": 0.66,
        "lower": 0.6496,
        "upper": 0.7,
    }
    assert _rounded({"value": 0.3267, "low": 0.2912, "high": 0.3651}, ">=", 0.65, "not_met") == {
        "estimate": 0.33,
        "lower": 0.29,
        "upper": 0.37,
    }


def test_centre_view_shows_verdicts_side_by_side(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    _upload(client, pilot, json.dumps(offline_bundle(pilot, tmp_path)).encode())
    client.force_login(user_with_role(Role.RESEARCHER))
    page = client.get(reverse("pilots:centre")).content.decode()
    assert pilot.name in page and Run.objects.get().verdict_sentence[:30] in page
    assert "notmet" not in page and "not_met" not in page, "judgements in words"
    client.force_login(user_with_role(Role.LA_ANALYST))
    assert client.get(reverse("pilots:centre")).status_code == 403


def _forged(bundle: dict[str, Any]) -> dict[str, Any]:
    """The forgery of issue #13: the verdict set to "supports use", every judgement to
    "met", the ethics answers left as they were, the config untouched."""
    bundle["verdict"].update(
        status="supports_use",
        sentence="The evidence supports use of logistic as one input to social workers' decisions.",
        success="met",
        fairness="met",
        ethics_passed=True,
    )
    for criterion in bundle["verdict"]["criteria"]:
        criterion["judgement"] = "met"
    for check in bundle["verdict"]["fairness_checks"]:
        check["judgement"] = "met"
    return bundle


def test_a_bundle_with_a_forged_verdict_is_refused_with_every_problem(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    genuine = offline_bundle(pilot, tmp_path)
    assert genuine["verdict"]["status"] != "supports_use" and not genuine["ethics"]["passed"]
    bundle = _forged(json.loads(json.dumps(genuine)))
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, json.dumps(bundle).encode()).content.decode()
    assert "There is a problem" in page
    assert "the config&#x27;s answers do not pass it" in page
    assert "supports_use" in page and genuine["verdict"]["status"] in page
    for criterion in genuine["verdict"]["criteria"]:
        if criterion["judgement"] != "met":
            assert f"criterion {criterion['metric']}" in page
    assert not Run.objects.exists()


def test_a_bundle_whose_metrics_disagree_with_their_counts_is_refused(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path)
    pooled = next(
        r["metrics"] for r in bundle["results"] if r["model"] == "logistic" and r["split"] is None
    )
    pooled["precision"]["value"] = 0.7
    pooled["precision"]["low"] = 0.68
    pooled["precision"]["high"] = 0.72
    bundle["verdict"]["criteria"][0]["estimate"] = pooled["precision"]
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, json.dumps(bundle).encode()).content.decode()
    assert "precision is 0.7 but its counts give" in page
    assert not Run.objects.exists()


def test_an_offline_run_keeps_the_derived_verdict_and_says_who_computed_it(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path)
    bundle["verdict"]["sentence"] = "Edited wording that no code wrote."
    client.force_login(analyst_of(pilot))
    response = _upload(client, pilot, json.dumps(bundle).encode())
    run = Run.objects.get()
    assert run.bundle is not None
    assert run.verdict_sentence != "Edited wording that no code wrote."
    assert run.bundle["verdict"]["sentence"] == run.verdict_sentence
    page = client.get(response["Location"]).content.decode()
    assert "Computed by the authority, not reproduced by the Centre." in page
    for value in (bundle["code_version"], bundle["config_hash"], bundle["data"]["fingerprint"]):
        assert value in page
    # the downloaded report says it too, with the same provenance
    kwargs = {"pilot_id": pilot.pk, "run_id": run.pk}
    download = client.get(reverse("pilots:report_download", kwargs=kwargs)).content.decode()
    assert "Computed by the authority, not reproduced by the Centre." in download
    assert bundle["data"]["fingerprint"] in download
    client.force_login(user_with_role(Role.RESEARCHER))
    centre = client.get(reverse("pilots:centre")).content.decode()
    assert "Computed by the authority, not reproduced by the Centre." in centre
    assert bundle["data"]["fingerprint"] in centre


SCRIPT = '<script>alert("bundle")</script>'


def _free_text(data: dict[str, object], payload: str) -> None:
    """The payload in every free-text field of a bundle (not its config: that is hashed)."""
    verdict: Any = data["verdict"]
    verdict["sentence"] += payload
    for criterion in verdict["criteria"]:
        criterion["text"] += payload
    warnings: Any = data["warnings"]
    data["warnings"] = [*warnings, payload]
    splits: Any = data["splits"]
    for split in splits:
        split["reason"] = payload
    fairness: Any = data["fairness"]
    fairness["warnings"] = [payload]
    for group in fairness["groups"]:
        group["too_small_reasons"] = [payload]


def test_a_bundle_with_markup_in_its_names_is_refused_with_every_problem(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    bundle: Any = offline_bundle(pilot, tmp_path, years=5)
    bundle["lift"][0]["metric"] = SCRIPT
    bundle["fairness"]["key_metrics"] = [SCRIPT]
    bundle["fairness"]["groups"][0]["disparity"] = {SCRIPT: 1.0}
    bundle["fairness"]["groups"][0]["group"] = SCRIPT
    bundle["circumstances"][0]["group"] = SCRIPT
    bundle["verdict"]["model"] = SCRIPT
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, json.dumps(bundle).encode()).content.decode()
    assert "There is a problem" in page and "<script>alert" not in page
    for where in (
        "lift[0].metric",
        "fairness.key_metrics[0]",
        "fairness.groups[0].disparity",
        "fairness.groups[0].group",
        "circumstances[0].group",
        "verdict.model",
    ):
        assert where in page, where
    assert not Run.objects.exists()


def test_free_text_is_escaped_in_the_report_and_its_download(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    bundle = offline_bundle(pilot, tmp_path, years=5)
    _free_text(bundle, SCRIPT)
    client.force_login(analyst_of(pilot))
    response = _upload(client, pilot, json.dumps(bundle).encode())
    assert response.status_code == 302, response.content.decode()[-3000:]
    run = Run.objects.get()
    kwargs = {"pilot_id": pilot.pk, "run_id": run.pk}
    report = client.get(reverse("pilots:report", kwargs=kwargs)).content.decode()
    assert "<script>alert" not in report and "&lt;script&gt;alert" in report
    detail = client.get(pilot.get_absolute_url()).content.decode()
    assert "<script>alert" not in detail
    client.force_login(user_with_role(Role.RESEARCHER))
    assert "<script>alert" not in client.get(reverse("pilots:centre")).content.decode()
    client.force_login(analyst_of(pilot))
    download = client.get(reverse("pilots:report_download", kwargs=kwargs))
    body = download.content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    policy = download["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy
    assert "sandbox" in policy
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'none'" in body, "the file forbids script when opened from disk too"


def test_a_bundle_over_the_size_limit_is_refused_clearly(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    pilot = make_pilot()
    data = json.dumps(offline_bundle(pilot, tmp_path)).encode()
    settings.WHATWORKS_PILOT_MAX_BUNDLE_BYTES = len(data) // 4
    client.force_login(analyst_of(pilot))
    page = _upload(client, pilot, data).content.decode()
    assert "There is a problem" in page and "larger than the limit of" in page
    assert "choose the bundle.json" in page
    assert not Run.objects.exists()
    settings.WHATWORKS_PILOT_MAX_BUNDLE_BYTES = len(data) + 1
    assert _upload(client, pilot, data).status_code == 302, "at the limit it is accepted"


def test_the_bundle_streams_through_the_limiter_to_a_file(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body is never read whole by the view: the limiter sees it chunk by chunk and
    a temporary file holds it."""
    from whatworks.pilots.uploads import SizeLimitHandler

    seen: list[int] = []
    real = SizeLimitHandler.receive_data_chunk

    def spy(self: SizeLimitHandler, raw_data: bytes, start: int) -> bytes | None:
        seen.append(len(raw_data))
        return real(self, raw_data, start)

    monkeypatch.setattr(SizeLimitHandler, "receive_data_chunk", spy)
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    data = json.dumps(offline_bundle(pilot, tmp_path)).encode()
    assert _upload(client, pilot, data).status_code == 302
    assert sum(seen) == len(data)
