"""The consent texts people agree to, versioned; a record keeps the version and its hash.

Never edit a published text: add a new version and point ``CURRENT`` at it, so that every
consent record can show exactly what was agreed to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ConsentText:
    version: str
    membership: str
    recontact: str
    study: str

    def full_text(self) -> str:
        return "\n\n".join((self.version, self.membership, self.recontact, self.study))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.full_text().encode("utf-8")).hexdigest()


TEXTS: dict[str, ConsentText] = {
    "panel-2026-1": ConsentText(
        version="panel-2026-1",
        membership=(
            "I agree to join the whatworks polling panel. The Centre keeps my e-mail address "
            "and my profile (role, region, employer type, age band, sex, ethnic group, years "
            "in practice) to invite me to short polls and to weight results to the workforce. "
            "Results are published only in aggregate, with small groups suppressed. I can "
            "download my data, change my answers to open polls, and leave at any time."
        ),
        recontact=(
            "I agree that the Centre may contact me about future research studies. "
            "Each study asks for its own consent."
        ),
        study=(
            "I agree to take part in this study. My answers in each wave are linked by a "
            "pseudonym, never by my name or e-mail address, so that change can be measured."
        ),
    ),
}

CURRENT = "panel-2026-1"

MEMBERSHIP_LABEL = _("I agree to join the panel on these terms")
RECONTACT_LABEL = _("You may contact me about future research studies")


def current() -> ConsentText:
    return TEXTS[CURRENT]
