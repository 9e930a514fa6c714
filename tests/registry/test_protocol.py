"""The protocol template, its canonical JSON and its SHA-256."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.registry.factories import content
from whatworks.core.canonical import canonical_json
from whatworks.registry.protocol import (
    ProtocolContentError,
    content_sha256,
    parse_content,
)


def test_canonical_json_sorts_keys_without_spaces_or_ascii_escapes() -> None:
    assert canonical_json({"b": 1, "a": "café \u2013 ünïcode"}) == (
        '{"a":"café \u2013 ünïcode","b":1}'.encode()
    )


def test_the_hash_is_what_anyone_recomputes_from_the_documented_recipe() -> None:
    data = parse_content(content(title="Ünïcode title — with a dash")).as_json()
    recipe = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_sha256(data) == hashlib.sha256(recipe.encode("utf-8")).hexdigest()


def test_the_hash_changes_with_any_field_and_not_with_key_order() -> None:
    data = parse_content(content()).as_json()
    reordered = dict(reversed(list(data.items())))
    assert content_sha256(reordered) == content_sha256(data)
    changed = parse_content(content(timeline="Four years.")).as_json()
    assert content_sha256(changed) != content_sha256(data)


def test_every_problem_is_reported_at_once() -> None:
    bad = content(title="")
    bad["outcomes"][0]["kind"] = "tertiary"
    bad["success_criteria"]["criteria"][0]["comparison"] = "=="
    with pytest.raises(ProtocolContentError) as caught:
        parse_content(bad)
    assert len(caught.value.messages) == 3


def test_a_criterion_must_name_an_outcome_of_the_protocol() -> None:
    bad = content()
    bad["success_criteria"]["criteria"][0]["outcome"] = "made-up"
    with pytest.raises(ProtocolContentError, match="names no outcome"):
        parse_content(bad)


def test_criteria_read_as_plain_english() -> None:
    data = content()
    data["success_criteria"] = {
        "combine": "any",
        "criteria": [
            {
                "outcome": "care-entry",
                "statistic": "risk difference",
                "comparison": "<=",
                "threshold": -0.05,
            },
            {
                "outcome": "proceedings",
                "statistic": "odds ratio",
                "comparison": "two-sided",
                "threshold": 1,
            },
        ],
    }
    sentence = parse_content(data).criteria_sentence()
    assert sentence.startswith("The project succeeds if at least one of these holds:")
    assert "the risk difference for Entry to care is at most -0.05" in sentence
    assert "the odds ratio for Proceedings issued differs from 1 in either direction" in sentence
