"""The experiment config: parsing, every error at once, the canonical hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from whatworks_analytics.pilots.config import (
    ConfigError,
    canonical_json,
    config_hash,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "escalation.yaml"


def minimal() -> dict[str, Any]:
    return {
        "config_version": 1,
        "name": "test",
        "operating_point": {"top_percent": 10},
        "fairness": {"action": "assistive"},
    }


def test_example_config_parses() -> None:
    config = load_config(EXAMPLE)
    assert config.config_version == 1
    assert [m.kind for m in config.models] == ["baseline", "logistic", "lightgbm"]
    assert config.outcome.events == ("cp_plan", "looked_after")
    assert config.outcome.window_days == 365
    assert config.operating_point.top_percent == 10
    # YAML 1.1 reads unquoted yes / no as booleans; they are answers here.
    assert config.ethics["purpose_proportionality"].answer == "yes"
    assert config.ethics["transparency_to_families"].answer == "no"


def test_defaults_fill_in() -> None:
    config = parse_config(minimal())
    assert config.success.criteria[0].metric == "precision"
    assert config.success.criteria[0].value == 0.65
    assert config.fairness.band.low == 0.8 and config.fairness.band.high == 1.25
    assert config.fairness.attributes == ("ethnicity", "sex", "age_band", "disability")
    assert config.features.protected == ()


def test_config_is_frozen() -> None:
    config = parse_config(minimal())
    with pytest.raises(ValidationError, match="frozen"):
        config.seed = 3


def test_every_error_is_reported_at_once_with_its_path() -> None:
    raw = minimal()
    raw["outcome"] = {"events": ["cp_plan", "arrest"], "window_days": 0}
    raw["operating_point"] = {"top_percent": 10, "threshold": 0.5}
    raw["success"] = {"model": "forest", "criteria": [{"metric": "precision", "value": "high"}]}
    raw["fairness"] = {"action": "neutral", "band": {"low": 1.5}, "reference": {"area": "x"}}
    raw["ethics"] = {"dpia": {"answer": "maybe"}, "vibes": {"answer": "yes"}}
    raw["splits"] = {"n_splits": 0}
    raw["cohort"] = {"sources": ["police", "pigeon"]}
    raw["models"] = [
        {"name": "baseline", "kind": "baseline"},
        {"name": "lightgbm", "kind": "lightgbm", "params": {"trees": 5}},
    ]
    raw["colour"] = "blue"
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    paths = {p.path for p in caught.value.problems}
    expected = {
        "outcome.events.1",
        "outcome.window_days",
        "operating_point",
        "success.model",
        "success.criteria.0.value",
        "fairness.action",
        "fairness.band.low",
        "fairness.reference.area",
        "ethics.dpia.answer",
        "ethics.vibes",
        "splits.n_splits",
        "cohort.sources",
        "models.1",
        "colour",
    }
    assert expected <= paths, expected - paths
    message = str(caught.value)
    assert "no model is called 'forest'" in message
    assert "give exactly one of top_percent and threshold" in message
    assert "unknown parameter(s) trees for a lightgbm model" in message
    assert "'pigeon'" in message


def test_missing_required_sections() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"config_version": 1, "name": "x"})
    paths = {p.path for p in caught.value.problems}
    assert {"operating_point", "fairness"} <= paths


def test_unsupported_version_and_non_mapping() -> None:
    raw = minimal() | {"config_version": 2}
    with pytest.raises(ConfigError, match="unsupported version 2"):
        parse_config(raw)
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config(["not", "a", "mapping"])


def test_duplicate_model_names() -> None:
    raw = minimal() | {
        "models": [{"name": "m", "kind": "baseline"}, {"name": "m", "kind": "lightgbm"}],
        "success": {"model": "m"},
    }
    with pytest.raises(ConfigError, match="duplicate name"):
        parse_config(raw)


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("config_version: 1\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)


def test_hash_ignores_comments_layout_and_key_order(tmp_path: Path) -> None:
    a = parse_config(minimal())
    shuffled = dict(reversed(list(minimal().items())))
    b = parse_config(shuffled)
    path = tmp_path / "c.yaml"
    path.write_text("# a comment\n" + yaml.safe_dump(minimal(), sort_keys=False), encoding="utf-8")
    c = load_config(path)
    assert config_hash(a) == config_hash(b) == config_hash(c)
    changed = parse_config(minimal() | {"operating_point": {"top_percent": 11}})
    assert config_hash(changed) != config_hash(a)


def test_hash_is_sha256_of_canonical_json() -> None:
    import hashlib

    config = parse_config(minimal() | {"name": "café"})
    text = canonical_json(config.to_dict())
    assert '"name":"café"' in text  # no ASCII escaping, no spaces
    assert ", " not in text and ": " not in text
    assert config_hash(config) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
