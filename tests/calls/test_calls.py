"""Setting up calls: the research project a call feeds is named by its registry identifier."""

from __future__ import annotations

import pytest

from tests.calls.factories import make_call
from whatworks.calls import errors
from whatworks.calls.models import Call

pytestmark = pytest.mark.django_db


def test_a_call_names_its_project_by_the_registrys_identifier() -> None:
    call = make_call(project_ref="WWC-2019-0007")
    assert Call.objects.get(pk=call.pk).project_ref == "WWC-2019-0007"


@pytest.mark.parametrize("bad", ["2019-0007", "wwc-2019-7", "WWC-2019-0007 v2", "project 7"])
def test_a_call_refuses_anything_else_and_says_how_to_write_it(bad: str) -> None:
    with pytest.raises(errors.CallError, match=r"as the registry shows it, e\.g\. WWC-2019"):
        make_call(project_ref=bad)
    assert not Call.objects.filter(project_ref=bad).exists()
