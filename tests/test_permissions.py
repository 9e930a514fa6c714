"""The permission matrix: every URL pattern, every role, the answer each gets.

Adding a URL without adding it here fails ``test_every_url_is_in_the_matrix``, so each new
page is checked for every role.  Codes: 200, 302 (to sign-in: "login"), 403, 404, 405.
Objects that belong to nobody (random ids) must give 404 to everyone who may not know
they exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.calls import factories as calls_factories
from tests.conftest import ROLES
from tests.events import factories as events_factories
from tests.evidence import factories as evidence_factories
from tests.forum import factories as forum_factories
from tests.news import factories as news_factories
from tests.panel import factories as panel_factories
from tests.pilots import factories as pilots_factories
from tests.registry import factories as registry_factories

LOGIN = "login"
ADMIN_ROLES = {"admin"}
STAFF_ROLES = {"admin", "editor"}
PANEL_ROLES = {"researcher", "admin"}
REVIEWERS = {"admin", "editor", "researcher"}


def everyone(code: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, code)


def signed_in(code: int | str, *, visitor: int | str = LOGIN) -> dict[str, int | str]:
    return {**everyone(code), "visitor": visitor}


def only(roles: set[str], code: int | str, *, others: int | str = 403) -> dict[str, int | str]:
    return {role: code if role in roles else others for role in ROLES} | {"visitor": LOGIN}


#: A draft in the Evidence Store: editors see it; for everyone else it does not exist.
EVIDENCE_DRAFT = {**everyone(404), **dict.fromkeys(STAFF_ROLES, 200)}

#: Keyword arguments for ``reverse``: a dict, or a function called inside the test (with the
#: database available and the requesting user made) that creates the objects the URL needs
#: and returns the kwargs.  Such functions usually live in each app's factories module.
Kwargs = dict[str, object] | Callable[[], dict[str, object]]

#: url name -> (kwargs for reverse, expected answer per role)
MATRIX: dict[str, tuple[Kwargs, dict[str, int | str]]] = {
    "core:home": ({}, everyone(200)),
    "core:accessibility": ({}, everyone(200)),
    "core:privacy": ({}, everyone(200)),
    "core:healthz": ({}, everyone(200)),
    "core:login": ({}, {**everyone(302), "visitor": 200}),
    "core:logout": ({}, everyone(405)),
    "core:password_reset": ({}, everyone(200)),
    "core:password_reset_done": ({}, everyone(200)),
    "core:password_reset_confirm": ({"uidb64": "MQ", "token": "set-password"}, everyone(200)),
    "core:password_reset_complete": ({}, everyone(200)),
    "core:audit_log": ({}, only(ADMIN_ROLES, 200)),
    "core:audit_export": ({}, everyone(405)),
    "core:audit_export_download": ({"record_id": uuid.uuid4()}, only(ADMIN_ROLES, 404)),
    "core:task_detail": ({"record_id": uuid.uuid4()}, signed_in(404)),
    "evidence:index": ({}, everyone(200)),
    "evidence:ratings_explained": ({}, everyone(200)),
    "evidence:intervention": (evidence_factories.draft_kwargs, EVIDENCE_DRAFT),
    "evidence:study": (evidence_factories.draft_study_kwargs, EVIDENCE_DRAFT),
    "evidence:intervention_data": (evidence_factories.published_kwargs, everyone(200)),
    "evidence:staff_home": ({}, only(STAFF_ROLES, 200)),
    "evidence:intervention_create": ({}, only(STAFF_ROLES, 200)),
    "evidence:intervention_edit": (evidence_factories.draft_kwargs, only(STAFF_ROLES, 200)),
    "evidence:rating_edit": (evidence_factories.rating_kwargs, only(STAFF_ROLES, 200)),
    "evidence:import": ({}, only(STAFF_ROLES, 200)),
    "evidence:export": ({"kind": "findings", "fmt": "json"}, only(STAFF_ROLES, 200)),
    "registry:index": ({}, everyone(200)),
    "registry:register_json": ({}, everyone(200)),
    "registry:register_csv": ({}, everyone(200)),
    "registry:overdue": ({}, everyone(200)),
    "registry:workspace": ({}, only({"researcher", "editor", "admin"}, 200)),
    "registry:project_create": ({}, only({"researcher", "admin"}, 200)),
    "registry:project": (registry_factories.project_kwargs, everyone(200)),
    "registry:project_edit": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:protocol_edit": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:protocol_register": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:project_publish": (registry_factories.project_kwargs, everyone(405)),
    "registry:project_withdraw": (registry_factories.project_kwargs, only(STAFF_ROLES, 200)),
    "registry:version": (registry_factories.version_kwargs, everyone(200)),
    "registry:version_json": (registry_factories.version_kwargs, everyone(200)),
    "registry:diff": (registry_factories.project_kwargs, everyone(200)),
    "registry:results": (registry_factories.project_kwargs, everyone(200)),
    "registry:results_json": (registry_factories.project_kwargs, everyone(200)),
    "registry:results_import": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:results_publish": (registry_factories.project_kwargs, everyone(405)),
    "registry:results_report": (registry_factories.results_report_kwargs, everyone(200)),
    "registry:results_report_json": (registry_factories.results_report_kwargs, everyone(200)),
    "registry:results_enter": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    # The team or an editor (who publishes results) may correct published results.
    "registry:results_correct": (registry_factories.project_kwargs, only(STAFF_ROLES, 200)),
    "registry:team": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:team_remove": (registry_factories.project_kwargs, everyone(405)),
    "pilots:index": ({}, everyone(200)),
    # A pilot is seen only by its authority's analysts and its project's team; the matrix's
    # users are neither, so everything is 404 (tests/pilots/test_access.py covers insiders).
    "pilots:centre": ({}, only({"researcher", "admin"}, 200)),
    # Starting a pilot (of one's own registry projects) reveals no pilot: 403 for others.
    "pilots:create": ({}, only({"researcher", "admin"}, 200)),
    "pilots:detail": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:config": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:dataset_upload": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:dataset_check": (pilots_factories.upload_kwargs, signed_in(404)),
    "pilots:bundle_upload": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:run_start": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:run": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:run_cancel": (pilots_factories.run_kwargs, everyone(405)),
    "pilots:report": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:report_download": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:bundle_download": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:results_fill": (pilots_factories.run_kwargs, everyone(405)),
    "panel:index": ({}, everyone(200)),
    "panel:join": ({}, everyone(200)),
    "panel:join_sent": ({}, everyone(200)),
    "panel:confirm": ({"token": "not-a-token"}, everyone(200)),
    "panel:me": ({}, signed_in(200)),
    "panel:profile": ({}, signed_in(404)),  # role alone is not membership
    "panel:recontact": ({}, everyone(405)),
    "panel:export": ({}, signed_in(404)),
    "panel:study_consent": (panel_factories.matrix_study, everyone(405)),
    "panel:leave": ({}, signed_in(404)),
    "panel:answer": (panel_factories.matrix_answer_token, everyone(200)),
    "panel:answer_mine": (panel_factories.matrix_open_poll, signed_in(404)),
    "panel:results": (panel_factories.matrix_closed_poll, everyone(200)),
    "panel:results_csv": (panel_factories.matrix_closed_poll, everyone(200)),
    "panel:pulse": ({}, everyone(200)),
    "panel:pulse_detail": (panel_factories.matrix_pulse, everyone(200)),
    "panel:manage": ({}, only(PANEL_ROLES, 200)),
    "panel:poll_create": ({}, only(PANEL_ROLES, 200)),
    "panel:poll_detail": (panel_factories.matrix_draft_poll, only(PANEL_ROLES, 200)),
    "panel:question_add": (panel_factories.matrix_draft_poll, everyone(405)),
    "panel:poll_status": (panel_factories.matrix_draft_poll, everyone(405)),
    "panel:invite": (panel_factories.matrix_open_poll, everyone(405)),
    "panel:bounces": (panel_factories.matrix_open_poll, only(PANEL_ROLES, 200)),
    "panel:scale_create": ({}, only(PANEL_ROLES, 200)),
    "panel:study_detail": (panel_factories.matrix_study, only(PANEL_ROLES, 200)),
    "panel:study_link": (panel_factories.matrix_study, everyone(405)),
    # a study without a registered project has no bundle (tests/panel/test_handover.py: 200)
    "panel:study_bundle": (panel_factories.matrix_study, only(PANEL_ROLES, 404)),
    "panel:study_export": (panel_factories.matrix_study, everyone(405)),
    "forum:index": ({}, everyone(200)),
    "forum:conversation": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:vote": (forum_factories.conversation_kwargs, everyone(405)),
    "forum:statement_add": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:me": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:report": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:dashboard": (forum_factories.conversation_kwargs, only(REVIEWERS, 200)),
    "forum:moderate": (forum_factories.moderate_kwargs, everyone(405)),
    "forum:close": (forum_factories.conversation_kwargs, everyone(405)),
    "forum:export": (forum_factories.conversation_kwargs, only(REVIEWERS, 200)),
    "forum:staff_list": ({}, only(REVIEWERS, 200)),
    "forum:conversation_create": ({}, only(STAFF_ROLES, 200)),
    "forum:conversation_edit": (forum_factories.conversation_kwargs, only(STAFF_ROLES, 200)),
    "forum:open": (forum_factories.conversation_kwargs, everyone(405)),
    "events:index": ({}, everyone(200)),
    "events:past": ({}, everyone(200)),
    "events:feed": ({}, everyone(200)),
    "events:detail": (events_factories.event_kwargs, everyone(200)),
    "events:calendar": (events_factories.event_kwargs, everyone(200)),
    "events:register": (events_factories.event_kwargs, everyone(200)),
    "events:registration": (events_factories.registration_kwargs, everyone(200)),
    "events:cancel": (events_factories.registration_kwargs, everyone(405)),
    "events:accept": (events_factories.registration_kwargs, everyone(405)),
    "events:attendees": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:attendees_csv": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:check_in": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:check_in_person": (events_factories.check_in_kwargs, everyone(405)),
    "calls:index": ({}, everyone(200)),
    "calls:detail": (calls_factories.call_kwargs, everyone(200)),
    "calls:apply": (calls_factories.call_kwargs, signed_in(200)),
    "calls:my_applications": ({}, signed_in(200)),
    "calls:application": (calls_factories.application_kwargs, only(REVIEWERS, 200, others=404)),
    "calls:attachment": (calls_factories.attachment_kwargs, only(REVIEWERS, 200, others=404)),
    "calls:review": (calls_factories.application_kwargs, everyone(405)),
    "calls:decide": (calls_factories.application_kwargs, everyone(405)),
    "calls:review_list": (calls_factories.call_kwargs, only(REVIEWERS, 200)),
    "news:index": ({}, everyone(200)),
    "news:post": (news_factories.published_post_kwargs, everyone(200)),
    "news:author": (news_factories.author_kwargs, everyone(200)),
    "news:tag": (news_factories.tag_kwargs, everyone(200)),
    "news:image": (news_factories.image_kwargs, everyone(200)),
    "news:feed_rss": ({}, everyone(200)),
    "news:feed_atom": ({}, everyone(200)),
    "news:subscribe": ({}, everyone(200)),
    "news:subscribe_done": ({}, everyone(200)),
    "news:confirm": (news_factories.confirm_kwargs, everyone(200)),
    "news:unsubscribe": (news_factories.unsubscribe_kwargs, everyone(200)),
    "news:manage_request": ({}, everyone(200)),
    "news:manage": (news_factories.manage_kwargs, everyone(200)),
    "news:manage_export": (news_factories.manage_kwargs, everyone(200)),
    "news:manage_erase": (news_factories.manage_kwargs, everyone(405)),
    "news:archive": ({}, everyone(200)),
    "news:archive_issue": (news_factories.sent_issue_kwargs, everyone(200)),
    "news:manage_home": ({}, only(STAFF_ROLES, 200)),
    "news:post_new": ({}, only(STAFF_ROLES, 200)),
    "news:post_edit": (news_factories.post_id_kwargs, only(STAFF_ROLES, 200)),
    "news:post_images": (news_factories.post_id_kwargs, only(STAFF_ROLES, 200)),
    "news:issue_new": ({}, only(STAFF_ROLES, 405)),
    "news:issue_edit": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 200)),
    "news:issue_preview": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 200)),
    "news:issue_send": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 405)),
    "news:issue_resume": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 405)),
}


def _walk(patterns: list, namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: checked by test_admin_is_for_staff_only
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"
        elif isinstance(pattern, URLPattern):
            raise AssertionError(f"URL pattern {pattern.pattern} has no name")


def test_every_url_is_in_the_matrix() -> None:
    names = set(_walk(get_resolver().url_patterns))
    assert names - MATRIX.keys() == set(), "add these URLs to the permission matrix"
    assert MATRIX.keys() - names == set(), "these matrix entries match no URL"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client_for, name: str, role: str) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    kwargs, expected = MATRIX[name]
    client = client_for(role)
    response = client.get(reverse(name, kwargs=kwargs() if callable(kwargs) else kwargs))
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, f"{name} as {role}: {response.status_code}"
        assert response["Location"].startswith(reverse("core:login"))
    else:
        assert response.status_code == want, f"{name} as {role}: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client_for, role: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for(role).get("/admin/")
    if role in STAFF_ROLES:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
