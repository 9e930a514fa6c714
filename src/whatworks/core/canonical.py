"""Canonical JSON: the one serialisation that the platform hashes.

Keys sorted, separators ``,`` and ``:``, UTF-8 without ASCII escaping; NaN and infinity
refused unless ``allow_nan`` (the audit log's changes, hashed as they were always hashed).
Registered protocol versions (``registry/protocol.py``) and the audit log's hash chain
(``core/auditlog.py``) both hash these bytes, so changing them changes every stored hash.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(content: Any, *, allow_nan: bool = False) -> bytes:
    """
    >>> canonical_json({"b": 1, "a": ["é", 2.5]})
    b'{"a":["\\xc3\\xa9",2.5],"b":1}'
    """
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan
    ).encode("utf-8")
