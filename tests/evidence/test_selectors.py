"""Access to interventions and studies, for every role: drafts only for evidence editors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tests.conftest import ROLES
from tests.fixturetypes import MakeUser
from whatworks.core.models import User
from whatworks.core.roles import Role
from whatworks.evidence.selectors import intervention_get_for_user, study_get_for_user

from .factories import intervention, study

pytestmark = pytest.mark.django_db
EDITORS = {"editor", "admin"}


def user_for(role: str, make_user: MakeUser) -> User | AnonymousUser:
    if role == "visitor":
        return AnonymousUser()
    return make_user(None if role == "registered" else Role(role))


@pytest.mark.parametrize("role", ROLES)
def test_published_is_public_and_drafts_are_for_editors(role: str, make_user: MakeUser) -> None:
    user = user_for(role, make_user)
    published = intervention(status="published")
    draft = intervention(status="draft")
    draft_study = study(draft)
    assert intervention_get_for_user(user=user, slug=published.slug) == published
    assert study_get_for_user(user=user, slug=study(published).slug).intervention == published
    if role in EDITORS:
        assert intervention_get_for_user(user=user, slug=draft.slug) == draft
        assert study_get_for_user(user=user, slug=draft_study.slug) == draft_study
    else:
        with pytest.raises(Http404):
            intervention_get_for_user(user=user, slug=draft.slug)
        with pytest.raises(Http404):
            study_get_for_user(user=user, slug=draft_study.slug)
    with pytest.raises(Http404):
        intervention_get_for_user(user=user, slug="no-such-thing")
