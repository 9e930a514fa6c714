"""Identifiers other registries give: researchers' ORCID iDs, and the same study's
identifiers in ISRCTN, ClinicalTrials.gov (NCT) and OSF Registries (issue #17).

Each is checked by its format; an ORCID iD also by its check digit (ISO 7064 MOD 11-2, as
ORCID documents it).  None is looked up online.  They are shown on the public project page
and go into the DataCite metadata (``datacite.py``).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.core.models import User
from whatworks.registry.models import Project, ResearcherIdentity

_ORCID_RE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_ORCID_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")


def orcid_check_digit(base: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the 15 digits ``base``."""
    total = 0
    for digit in base:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_orcid(value: str) -> str:
    """``0000-0002-1825-0097`` from any usual way of writing it; ValueError if it is not
    an ORCID iD, saying why."""
    text = value.strip().upper().replace(" ", "")
    for prefix in _ORCID_PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    match = _ORCID_RE.match(text)
    if match is None:
        raise ValueError(
            "An ORCID iD is 16 characters in four groups of four, such as 0000-0002-1825-0097 "
            "(the last may be X)."
        )
    digits = "".join(match.groups())
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValueError(
            f"{'-'.join(match.groups())} is not a valid ORCID iD: its last character does not "
            "match the others (check for a mistyped digit)."
        )
    return "-".join(match.groups())


#: scheme -> (label, pattern of the normalised form, example, how to normalise, URL pattern)
SCHEMES: dict[str, dict[str, Any]] = {
    "isrctn": {
        "label": "ISRCTN",
        "pattern": re.compile(r"^ISRCTN\d{8}$"),
        "example": "ISRCTN12345678",
        "url": "https://www.isrctn.com/{}",
    },
    "nct": {
        "label": "ClinicalTrials.gov (NCT)",
        "pattern": re.compile(r"^NCT\d{8}$"),
        "example": "NCT01234567",
        "url": "https://clinicaltrials.gov/study/{}",
    },
    "osf": {
        "label": "OSF Registries",
        "pattern": re.compile(r"^[a-z0-9]{5}$"),
        "example": "abcd3 (or https://osf.io/abcd3)",
        "url": "https://osf.io/{}",
    },
}


def normalise_secondary(scheme: str, value: str) -> str:
    """The identifier in its usual form; ValueError naming the expected format."""
    text = value.strip().replace(" ", "")
    if scheme == "osf":
        text = text.lower().rstrip("/")
        for prefix in ("https://", "http://", "doi.org/", "10.17605/"):
            text = text.removeprefix(prefix)
        text = text.removeprefix("osf.io/")
    else:
        text = text.upper()
        if scheme == "isrctn" and text.isdigit():
            text = f"ISRCTN{text}"
    spec = SCHEMES[scheme]
    if not spec["pattern"].match(text):
        raise ValueError(
            f"“{value.strip()}” is not an {spec['label']} identifier: write it as "
            f"{spec['example']}."
            if scheme != "nct"
            else f"“{value.strip()}” is not a ClinicalTrials.gov identifier: write it as "
            f"{spec['example']} (NCT and eight digits)."
        )
    return text


def secondary_links(project: Project) -> list[dict[str, str]]:
    """The project's identifiers in other registers, for its page (label, value, url)."""
    ids = project.secondary_ids or {}
    return [
        {"label": spec["label"], "value": ids[scheme], "url": spec["url"].format(ids[scheme])}
        for scheme, spec in SCHEMES.items()
        if ids.get(scheme)
    ]


def orcids_of(users: list[User]) -> dict[int, str]:
    return dict(
        ResearcherIdentity.objects.filter(user__in=users)
        .exclude(orcid="")
        .values_list("user_id", "orcid")
    )


# --- forms -------------------------------------------------------------------------------


class SecondaryIdsForm(forms.Form):
    isrctn = forms.CharField(
        label=_("ISRCTN (optional)"), required=False, max_length=40, help_text=_("ISRCTN12345678")
    )
    nct = forms.CharField(
        label=_("ClinicalTrials.gov identifier (optional)"),
        required=False,
        max_length=40,
        help_text=_("NCT and eight digits, such as NCT01234567"),
    )
    osf = forms.CharField(
        label=_("OSF Registries (optional)"),
        required=False,
        max_length=100,
        help_text=_(
            "The registration's five characters or its address, such as https://osf.io/abcd3"
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for scheme in SCHEMES:
            value = data.get(scheme) or ""
            if value.strip():
                try:
                    data[scheme] = normalise_secondary(scheme, value)
                except ValueError as exc:
                    self.add_error(scheme, str(exc))
        return data


class OrcidForm(forms.Form):
    orcid = forms.CharField(
        label=_("Your ORCID iD (optional)"),
        required=False,
        max_length=60,
        help_text=_(
            "Such as 0000-0002-1825-0097, or its address at orcid.org. Leave it empty to "
            "remove it. It is shown beside your name on the projects you work on."
        ),
    )

    def clean_orcid(self) -> str:
        value = self.cleaned_data.get("orcid") or ""
        if not value.strip():
            return ""
        try:
            return normalise_orcid(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
