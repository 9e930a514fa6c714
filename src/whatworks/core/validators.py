"""Formats shared by several parts.

A research project's identifier is made by the registry (WWC-YYYY-NNNN); calls, events and
Evidence Store studies refer to projects by it.  The parts do not import one another, so
they check the format here and the registry's pages do the rest (an unknown identifier
links to a page that says so).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

REGISTRY_REFERENCE_PATTERN = r"\AWWC-[0-9]{4}-[0-9]{4,6}\Z"
REGISTRY_REFERENCE_MESSAGE = _(
    "Enter the research project's identifier as the registry shows it, e.g. WWC-2019-0007."
)


def registry_reference_validator(code: str) -> RegexValidator:
    """A validator of a project identifier; ``code`` names the field's error."""
    return RegexValidator(REGISTRY_REFERENCE_PATTERN, REGISTRY_REFERENCE_MESSAGE, code=code)
