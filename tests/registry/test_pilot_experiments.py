"""Pilot experiments in a protocol (issue #13, item 2): a pilot's config, its hash and its
criteria are part of the registered content; the outcomes and criteria derived from it
stay as registered; other protocols' content and hashes do not change."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.test import Client

from tests.pilots.factories import config_dict
from tests.registry.factories import CONTENT, content, draft_project, researcher
from whatworks.registry.diffs import diff_content
from whatworks.registry.errors import RegistryError
from whatworks.registry.protocol import (
    PILOT_FAIRNESS_STATISTIC,
    ProtocolContentError,
    content_sha256,
    parse_content,
    pilot_experiment,
)
from whatworks.registry.services.pilot_experiments import protocol_draft_add_pilot_experiment
from whatworks.registry.services.protocols import protocol_draft_save
from whatworks_analytics.pilots.config import config_hash, parse_config


def _with_experiment() -> dict[str, Any]:
    experiment = pilot_experiment(config_dict())
    data = content()
    data["outcomes"] += [o.model_dump(mode="json") for o in experiment.outcomes()]
    data["success_criteria"]["criteria"] += [
        c.model_dump(mode="json") for c in experiment.criteria()
    ]
    data["pilot_experiments"] = [experiment.model_dump(mode="json")]
    return data


def test_protocols_without_pilots_keep_their_content_and_hash() -> None:
    assert parse_content(content()).as_json() == content()
    assert content_sha256(parse_content(CONTENT).as_json()) == content_sha256(CONTENT)


def test_an_experiment_carries_its_config_hash_and_criteria() -> None:
    parsed = parse_content(_with_experiment())
    [experiment] = parsed.pilot_experiments
    assert experiment.config_hash == config_hash(parse_config(config_dict()))
    assert parsed.pilot_experiment(experiment.config_hash) is experiment
    assert [(c.metric, c.op.value, c.threshold) for c in experiment.success] == [
        ("precision", ">=", 0.65),
        ("recall", ">=", 0.5),
    ]
    statistics = {(c.outcome, c.statistic) for c in parsed.success_criteria.criteria}
    assert ("escalation-within-a-year-precision", "precision") in statistics
    assert ("escalation-within-a-year-fairness", PILOT_FAIRNESS_STATISTIC) in statistics


def test_an_experiment_edited_against_its_config_is_refused() -> None:
    data = _with_experiment()
    data["pilot_experiments"][0]["success"][0]["threshold"] = 0.1
    with pytest.raises(ProtocolContentError, match="does not match its own config"):
        parse_content(data)
    data = _with_experiment()
    data["pilot_experiments"][0]["config"]["seed"] = 1  # the hash no longer follows
    with pytest.raises(ProtocolContentError, match="does not match its own config"):
        parse_content(data)


def test_the_criteria_an_experiment_derives_cannot_be_dropped_or_moved() -> None:
    data = _with_experiment()
    data["success_criteria"]["criteria"][1]["threshold"] = 0.3  # precision >= 0.3
    with pytest.raises(ProtocolContentError, match="must stay as they are"):
        parse_content(data)


@pytest.mark.django_db
def test_the_draft_form_keeps_the_experiment_and_adding_it_again_replaces_it() -> None:
    author = researcher()
    project = draft_project(author=author)
    protocol_draft_add_pilot_experiment(actor=author, project=project, config=config_dict())
    project.refresh_from_db()
    saved = dict(project.draft_content)
    saved.pop("pilot_experiments")  # the form does not carry it
    protocol_draft_save(actor=author, project=project, content=saved)
    project.refresh_from_db()
    assert len(project.draft_content["pilot_experiments"]) == 1
    changed = config_dict()
    changed["success"]["criteria"][0]["value"] = 0.7
    protocol_draft_add_pilot_experiment(actor=author, project=project, config=changed)
    project.refresh_from_db()
    parsed = parse_content(project.draft_content)
    assert len(parsed.pilot_experiments) == 1
    assert parsed.pilot_experiments[0].success[0].threshold == 0.7
    thresholds = [
        c.threshold for c in parsed.success_criteria.criteria if c.statistic == "precision"
    ]
    assert thresholds == [0.7]
    with pytest.raises(RegistryError, match="cannot be registered"):
        protocol_draft_add_pilot_experiment(
            actor=author, project=project, config=yaml.safe_load("name: x\n")
        )


def test_a_new_config_shows_in_the_diff_even_with_the_same_criteria() -> None:
    before = parse_content(_with_experiment()).as_json()
    other = config_dict(seed=99)
    experiment = pilot_experiment(other)
    after = dict(before, pilot_experiments=[experiment.model_dump(mode="json")])
    rows = [r for r in diff_content(before, after) if r.section == "pilot_experiments"]
    assert len(rows) == 1 and rows[0].change == "changed" and rows[0].highlighted
    assert experiment.config_hash in rows[0].after


@pytest.mark.django_db
def test_the_version_page_shows_the_experiment_and_its_hash(client: Client) -> None:
    from tests.pilots.factories import config_yaml, pilot_project

    project = pilot_project(researcher(), config_yaml())
    version = project.versions.get(number=1)
    page = client.get(version.get_absolute_url()).content.decode()
    assert "Pilot experiments" in page
    assert version.content["pilot_experiments"][0]["config_hash"] in page
