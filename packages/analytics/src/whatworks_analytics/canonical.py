"""The package's one canonical JSON: what its hashes are taken over.

Keys sorted, separators ``","`` and ``":"`` (no spaces), UTF-8 without ASCII escaping, and
no NaN or infinity (they are not JSON).  The experiment config's hash
(:func:`whatworks_analytics.pilots.config.config_hash`) and a trial plan's
(:func:`whatworks_analytics.trials.bundle.plan_sha256`) are both the SHA-256 of this text
in UTF-8; it is the platform's canonical JSON too (``whatworks.core.canonical``), so a hash
the registry stores is the hash the package computes.

    >>> canonical_json({"b": 1, "a": ["é", 2.5]})
    '{"a":["é",2.5],"b":1}'
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Keys sorted, separators ``","`` and ``":"``, no ASCII escaping, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
