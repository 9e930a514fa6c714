"""The shared format of a research project's identifier."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from whatworks.core.validators import registry_reference_validator


@pytest.mark.parametrize("good", ["WWC-2019-0007", "WWC-2026-123456"])
def test_identifiers_as_the_registry_makes_them_pass(good: str) -> None:
    registry_reference_validator("ref")(good)


@pytest.mark.parametrize("bad", ["", "WWC-19-0007", "WWC-2019-007", "WWC-2019-0007\n", "x"])
def test_anything_else_fails_with_the_fields_code(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        registry_reference_validator("project_ref")(bad)
    assert info.value.code == "project_ref"
