"""The words a subscriber agrees to, versioned, with the fingerprint kept beside each record.

Change the text only together with a new version: records keep the version and the
SHA-256 of the exact text shown, so it can be shown later what each person agreed to.
"""

from __future__ import annotations

import hashlib

CONSENT_TEXT_VERSION = "2026-11-v1"
CONSENT_TEXT = (
    "Send me the monthly whatworks newsletter by e-mail. I can unsubscribe at any time "
    "with the link in every issue. My e-mail address is used only to send the newsletter, "
    "is never shared, and is deleted when I unsubscribe and ask for it to be erased."
)


def consent_text_sha256(text: str = CONSENT_TEXT) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
