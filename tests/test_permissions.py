"""The permission matrix: every URL pattern, every role, the answer each gets.

Adding a URL without adding it here fails ``test_every_url_is_in_the_matrix``, so each new
page is checked for every role.  Codes: 200, 302 (to sign-in: "login"), 403, 404, 405.
Objects that belong to nobody (random ids) must give 404 to everyone who may not know
they exist.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.calls import factories as calls_factories
from tests.conftest import ROLES
from tests.events import factories as events_factories
from tests.evidence import factories as evidence_factories
from tests.fixturetypes import ClientFor, ClientResponse
from tests.forum import factories as forum_factories
from tests.news import factories as news_factories
from tests.panel import factories as panel_factories
from tests.pilots import factories as pilots_factories
from tests.registry import factories as registry_factories
from tests.registry import trial_factories

LOGIN = "login"
ADMIN_ROLES = {"admin"}
STAFF_ROLES = {"admin", "editor"}
PANEL_ROLES = {"researcher", "admin"}
REVIEWERS = {"admin", "editor", "researcher"}
MFA_ROLES = {"admin", "editor", "la-analyst"}


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
def _synonym_kwargs() -> dict[str, object]:
    from whatworks.core.models import SearchSynonym

    return {"pk": SearchSynonym.objects.create(terms="SGO, special guardianship").pk}


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
    "core:mfa": ({}, signed_in(200)),
    "core:mfa_setup": ({}, signed_in(200)),
    # with an app (every role that must verify), the form; without, on to set-up
    "core:mfa_verify": ({}, {**signed_in(302), **dict.fromkeys(MFA_ROLES, 200)}),
    "core:mfa_recovery_codes": ({}, signed_in(405)),
    "core:mfa_turn_off": ({}, signed_in(405)),
    "core:audit_log": ({}, only(ADMIN_ROLES, 200)),
    "core:audit_export": ({}, everyone(405)),
    "core:audit_export_download": ({"record_id": uuid.uuid4()}, only(ADMIN_ROLES, 404)),
    "core:task_detail": ({"record_id": uuid.uuid4()}, signed_in(404)),
    "core:synonym_list": ({}, only(STAFF_ROLES, 200)),
    "core:synonym_edit": (_synonym_kwargs, only(STAFF_ROLES, 200)),
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
    "evidence:study_create": (evidence_factories.draft_kwargs, only(STAFF_ROLES, 200)),
    "evidence:study_edit": (evidence_factories.draft_study_kwargs, only(STAFF_ROLES, 200)),
    "evidence:finding_create": (evidence_factories.draft_study_kwargs, only(STAFF_ROLES, 200)),
    "evidence:finding_edit": (evidence_factories.draft_finding_kwargs, only(STAFF_ROLES, 200)),
    "evidence:ris_import": ({}, only(STAFF_ROLES, 200)),
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
    "registry:analysis_plan": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:power": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    # Trial data are the team's (the admin is on every team): other researchers get 404.
    "registry:trial_data": (trial_factories.trial_data_kwargs, only(ADMIN_ROLES, 200)),
    "registry:trial_dataset": (
        trial_factories.trial_dataset_kwargs,
        {**only(ADMIN_ROLES, 200), "researcher": 404},
    ),
    "registry:trial_analyse": (trial_factories.trial_dataset_kwargs, everyone(405)),
    "registry:trial_dataset_delete": (trial_factories.trial_dataset_kwargs, everyone(405)),
    "registry:trial_evidence_link": (trial_factories.trial_data_kwargs, only(ADMIN_ROLES, 200)),
    "registry:project_publish": (registry_factories.project_kwargs, everyone(405)),
    "registry:project_withdraw": (registry_factories.project_kwargs, only(STAFF_ROLES, 200)),
    # Deleting a draft: the team's (the admin is on every team); others may not know it.
    "registry:project_delete": (
        registry_factories.draft_kwargs,
        {**only(ADMIN_ROLES, 200), "researcher": 404},
    ),
    "registry:requests": ({}, only(STAFF_ROLES, 200)),
    "registry:request_decide": (registry_factories.request_kwargs, only(STAFF_ROLES, 200)),
    "registry:request_create": (
        registry_factories.request_create_kwargs,
        only(ADMIN_ROLES, 200),
    ),
    "registry:version": (registry_factories.version_kwargs, everyone(200)),
    "registry:version_json": (registry_factories.version_kwargs, everyone(200)),
    "registry:version_datacite_json": (registry_factories.version_kwargs, everyone(200)),
    "registry:version_datacite_xml": (registry_factories.version_kwargs, everyone(200)),
    "registry:diff": (registry_factories.project_kwargs, everyone(200)),
    "registry:results": (registry_factories.project_kwargs, everyone(200)),
    "registry:results_json": (registry_factories.project_kwargs, everyone(200)),
    "registry:results_import": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:results_publish": (registry_factories.project_kwargs, everyone(405)),
    "registry:results_report": (registry_factories.results_report_kwargs, everyone(200)),
    "registry:results_report_json": (registry_factories.results_report_kwargs, everyone(200)),
    "registry:results_enter": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    # The team or an editor (who publishes results) may correct published results.
    "registry:results_flow": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:results_correct": (registry_factories.project_kwargs, only(STAFF_ROLES, 200)),
    "registry:team": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:team_remove": (registry_factories.project_kwargs, everyone(405)),
    "registry:orcid": ({}, only({"researcher", "admin"}, 200)),
    "registry:identifiers": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:attachments": (registry_factories.project_kwargs, only(ADMIN_ROLES, 200)),
    "registry:attachment_remove": (registry_factories.project_kwargs, everyone(405)),
    # A draft's documents: the team and editors; for others they do not exist.
    "registry:draft_attachment": (
        registry_factories.draft_attachment_kwargs,
        {**everyone(404), **dict.fromkeys(STAFF_ROLES, 200)},
    ),
    "registry:version_attachment": (registry_factories.attachment_kwargs, everyone(200)),
    "pilots:index": ({}, everyone(200)),
    # A pilot is seen only by its authority's analysts and its project's team; the matrix's
    # users are neither, so everything is 404 (tests/pilots/test_access.py covers insiders).
    "pilots:centre": ({}, only({"researcher", "admin"}, 200)),
    # Starting a pilot (of one's own registry projects) reveals no pilot: 403 for others.
    "pilots:create": ({}, only({"researcher", "admin"}, 200)),
    "pilots:contract": ({}, everyone(200)),
    "pilots:ask": ({}, signed_in(200)),
    "pilots:detail": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:config": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:dataset_upload": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:dataset_check": (pilots_factories.upload_kwargs, signed_in(404)),
    "pilots:dataset_delete": (pilots_factories.dataset_kwargs, everyone(405)),
    "pilots:bundle_upload": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:run_start": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:run": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:run_cancel": (pilots_factories.run_kwargs, everyone(405)),
    "pilots:report": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:report_download": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:bundle_download": (pilots_factories.run_kwargs, signed_in(404)),
    "pilots:results_fill": (pilots_factories.run_kwargs, everyone(405)),
    "pilots:shadow": (pilots_factories.pilot_kwargs, signed_in(404)),
    "pilots:shadow_freeze": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:shadow_score": (pilots_factories.pilot_kwargs, everyone(405)),
    "pilots:shadow_evaluate": (pilots_factories.shadow_scores_kwargs, everyone(405)),
    "pilots:shadow_scores_download": (pilots_factories.shadow_scores_kwargs, signed_in(404)),
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
    "panel:leave_link": (panel_factories.matrix_leave_token, everyone(200)),
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
    "panel:question_edit": (panel_factories.matrix_draft_question, only(PANEL_ROLES, 200)),
    "panel:question_delete": (panel_factories.matrix_draft_question, everyone(405)),
    "panel:question_move": (panel_factories.matrix_draft_question, everyone(405)),
    "panel:preview": (panel_factories.matrix_draft_poll, only(PANEL_ROLES, 200)),
    "panel:invite": (panel_factories.matrix_open_poll, everyone(405)),
    "panel:remind": (panel_factories.matrix_open_poll, everyone(405)),
    "panel:poll_schedule": (panel_factories.matrix_draft_poll, everyone(405)),
    "panel:results_publish": (panel_factories.matrix_closed_poll, everyone(405)),
    # only the poll's owner or a panel manager (tests/panel/test_bounces.py)
    "panel:bounces": (
        panel_factories.matrix_open_poll,
        {**only(PANEL_ROLES, 403), "admin": 200},  # the superuser is a panel manager
    ),
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
    "forum:verify": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:verify_confirm": (forum_factories.verify_kwargs, everyone(200)),
    "forum:report": (forum_factories.conversation_kwargs, everyone(200)),
    "forum:dashboard": (forum_factories.conversation_kwargs, only(REVIEWERS, 200)),
    "forum:moderate": (forum_factories.moderate_kwargs, everyone(405)),
    "forum:close": (forum_factories.conversation_kwargs, everyone(405)),
    "forum:export": (forum_factories.conversation_kwargs, only(REVIEWERS, 200)),
    "forum:staff_list": ({}, only(REVIEWERS, 200)),
    "forum:conversation_create": ({}, only(STAFF_ROLES, 200)),
    "forum:conversation_edit": (forum_factories.conversation_kwargs, only(STAFF_ROLES, 200)),
    "forum:conversation_import": ({}, only(STAFF_ROLES, 200)),
    "forum:conversation_embed": (forum_factories.conversation_kwargs, only(STAFF_ROLES, 200)),
    "forum:open": (forum_factories.conversation_kwargs, everyone(405)),
    "events:index": ({}, everyone(200)),
    "events:past": ({}, everyone(200)),
    "events:feed": ({}, everyone(200)),
    "events:detail": (events_factories.event_kwargs, everyone(200)),
    "events:calendar": (events_factories.event_kwargs, everyone(200)),
    "events:register": (events_factories.event_kwargs, everyone(200)),
    "events:registration": (events_factories.registration_kwargs, everyone(200)),
    "events:confirm": (events_factories.registration_kwargs, everyone(405)),
    "events:registration_calendar": (events_factories.registration_kwargs, everyone(200)),
    "events:cancel": (events_factories.registration_kwargs, everyone(405)),
    "events:accept": (events_factories.registration_kwargs, everyone(405)),
    "events:attendees": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:attendees_csv": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:check_in": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:check_in_person": (events_factories.check_in_kwargs, everyone(405)),
    "events:answers": (events_factories.registration_kwargs, everyone(200)),
    "events:certificate": (events_factories.certificate_kwargs, everyone(200)),
    "events:manage": ({}, only(STAFF_ROLES, 200)),
    "events:create": ({}, only(STAFF_ROLES, 200)),
    "events:ticket": (events_factories.ticket_kwargs, only(STAFF_ROLES, 200)),
    "events:manage_event": (events_factories.unpublished_event_kwargs, only(STAFF_ROLES, 200)),
    "events:edit": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:duplicate": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:publish": (events_factories.unpublished_event_kwargs, everyone(405)),
    "events:cancel_event": (events_factories.event_kwargs, everyone(405)),
    "events:questions": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:question_edit": (events_factories.question_kwargs, only(STAFF_ROLES, 200)),
    "events:question_delete": (events_factories.question_kwargs, everyone(405)),
    "events:attendee_add": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:attendees_email": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:attendee_move": (events_factories.check_in_kwargs, everyone(405)),
    "events:attendee_cancel": (events_factories.check_in_kwargs, everyone(405)),
    "events:check_in_count": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:check_in_scan": (events_factories.event_kwargs, everyone(405)),
    "events:walk_in": (events_factories.event_kwargs, everyone(405)),
    "events:check_in_undo": (events_factories.check_in_kwargs, everyone(405)),
    "events:feedback": (events_factories.event_kwargs, only(STAFF_ROLES, 200)),
    "events:feedback_send": (events_factories.event_kwargs, everyone(405)),
    "calls:index": ({}, everyone(200)),
    "calls:detail": (calls_factories.call_kwargs, everyone(200)),
    "calls:apply": (calls_factories.call_kwargs, signed_in(200)),
    "calls:my_applications": ({}, signed_in(200)),
    "calls:application": (calls_factories.application_kwargs, only(REVIEWERS, 200, others=404)),
    "calls:attachment": (calls_factories.attachment_kwargs, only(REVIEWERS, 200, others=404)),
    "calls:review": (calls_factories.application_kwargs, everyone(405)),
    "calls:decide": (calls_factories.application_kwargs, everyone(405)),
    "calls:review_list": (calls_factories.call_kwargs, only(REVIEWERS, 200)),
    "calls:manage": ({}, only(STAFF_ROLES, 200)),
    "calls:create": ({}, only(STAFF_ROLES, 200)),
    "calls:edit": (calls_factories.call_kwargs, only(STAFF_ROLES, 200)),
    "calls:questions": (calls_factories.call_kwargs, only(STAFF_ROLES, 200)),
    "calls:question_edit": (calls_factories.question_kwargs, only(STAFF_ROLES, 200)),
    "calls:question_delete": (calls_factories.question_kwargs, everyone(405)),
    "calls:criteria": (calls_factories.call_kwargs, only(STAFF_ROLES, 200)),
    "calls:criterion_edit": (calls_factories.criterion_kwargs, only(STAFF_ROLES, 200)),
    "calls:criterion_delete": (calls_factories.criterion_kwargs, everyone(405)),
    "calls:assign": (calls_factories.application_kwargs, everyone(405)),
    "calls:unassign": (calls_factories.assignment_kwargs, everyone(405)),
    "calls:conflict": (calls_factories.application_kwargs, everyone(405)),
    "calls:decide_bulk": (calls_factories.call_kwargs, everyone(405)),
    "calls:withdraw": (calls_factories.application_kwargs, everyone(405)),
    # a call without eligibility questions sends everyone on to the form
    "calls:eligibility": (calls_factories.call_kwargs, signed_in(302)),
    "calls:account_new": ({}, {**everyone(302), "visitor": 200}),
    "calls:account_sent": ({}, everyone(200)),
    "calls:account_confirm": (calls_factories.account_token_kwargs, everyone(200)),
    "calls:join": ({}, signed_in(200)),
    "calls:join_requests": ({}, signed_in(200)),
    "calls:join_decide": (calls_factories.join_request_kwargs, everyone(405)),
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
    "news:issue_test": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 405)),
    "news:issue_schedule": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 405)),
    "news:issue_unschedule": (news_factories.issue_id_kwargs, only(STAFF_ROLES, 405)),
    "news:post_revisions": (news_factories.post_id_kwargs, only(STAFF_ROLES, 200)),
    "news:topics": ({}, only(STAFF_ROLES, 200)),
    "news:topic_edit": (news_factories.topic_id_kwargs, only(STAFF_ROLES, 200)),
    "news:topic_retire": (news_factories.topic_id_kwargs, only(STAFF_ROLES, 405)),
    "news:manage_topics": (news_factories.manage_kwargs, everyone(405)),
    "news:bounce_webhook": ({}, everyone(405)),
}


def _walk(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
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


#: PostgreSQL's pass (``make test-postgres``) renders every page for each role that may see
#: it and posts as each role that may act: that is where a query could behave differently
#: on another database.  The refusals, which the SQLite pass checks for every role, it
#: checks for visitors only, so that CI stays under 20 minutes on two cores (issue #23).
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _matrix_cases(*, reaches: Callable[[str, str], bool]) -> list[tuple[str, str]]:
    return [
        (name, role)
        for name in sorted(MATRIX)
        for role in ROLES
        if not ON_POSTGRES or role == "visitor" or reaches(name, role)
    ]


def _renders(name: str, role: str) -> bool:
    return MATRIX[name][1][role] == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), _matrix_cases(reaches=_renders))
def test_permission_matrix(client_for: ClientFor, name: str, role: str) -> None:
    from django.urls import reverse

    kwargs, expected = MATRIX[name]
    client = client_for(role)
    made = kwargs() if callable(kwargs) else kwargs
    response = client.get(reverse(name, kwargs=made))
    want = expected[role]
    if want == LOGIN:
        assert response.status_code == 302, f"{name} as {role}: {response.status_code}"
        assert response["Location"].startswith(reverse("core:login"))
    else:
        assert response.status_code == want, f"{name} as {role}: {response.status_code}"
    assert_response_headers(name, role, made, response)


#: Public pages for visitors that must stay cacheable (the middleware adds nothing).
CACHEABLE_FOR_VISITORS = {"core:home", "evidence:index", "registry:index", "news:index"}


def assert_response_headers(
    name: str, role: str, kwargs: dict[str, object], response: ClientResponse
) -> None:
    """Private answers are never stored by a cache; downloads carry a CSP without script.

    Every answer for a signed-in person, and every page reached through a secret link
    (a token in the URL), says ``Cache-Control: no-store``; a visitor's public pages are
    left cacheable.  Anything served as a download is covered by the Content-Security-Policy
    too, which allows no inline script.
    """
    from whatworks.core.middleware import TOKEN_URL_KWARGS

    cache = response.headers.get("Cache-Control", "")
    private = role != "visitor" or bool(TOKEN_URL_KWARGS & kwargs.keys())
    declared_public = "public" in cache and response.status_code == 200
    if private and not declared_public:
        assert "no-store" in cache, f"{name} as {role}: Cache-Control {cache!r}"
    if role == "visitor" and name in CACHEABLE_FOR_VISITORS:
        assert "no-store" not in cache, f"{name} as a visitor should stay cacheable"
    if "attachment" in response.headers.get("Content-Disposition", ""):
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src" in policy, f"{name} as {role}: download without a CSP"
        assert "unsafe-inline" not in policy, f"{name} as {role}: CSP allows inline script"


#: URLs that answer GET with 405 (they only take POST): the roles allowed to act.  Token
#: links act for whoever holds the token (everyone here); objects nobody in the matrix owns
#: (pilots, panel membership) have no one.
SIGNED_IN = set(ROLES) - {"visitor"}
POST_ONLY: dict[str, set[str]] = {
    "core:logout": set(ROLES),
    "core:audit_export": ADMIN_ROLES,
    "core:mfa_recovery_codes": SIGNED_IN,
    "core:mfa_turn_off": SIGNED_IN,
    "registry:project_publish": STAFF_ROLES,
    "registry:results_publish": STAFF_ROLES,
    "registry:team_remove": ADMIN_ROLES,
    "registry:attachment_remove": ADMIN_ROLES,
    "registry:trial_analyse": ADMIN_ROLES,
    "registry:trial_dataset_delete": ADMIN_ROLES,
    "pilots:config": set(),
    "pilots:run_start": set(),
    "pilots:run_cancel": set(),
    "pilots:dataset_delete": set(),
    "pilots:results_fill": set(),
    "pilots:shadow_freeze": set(),
    "pilots:shadow_score": set(),
    "pilots:shadow_evaluate": set(),
    "panel:recontact": set(),
    "panel:study_consent": set(),
    "panel:question_add": PANEL_ROLES,
    "panel:poll_status": PANEL_ROLES,
    "panel:question_delete": PANEL_ROLES,
    "panel:question_move": PANEL_ROLES,
    "panel:invite": PANEL_ROLES,
    "panel:remind": PANEL_ROLES,
    "panel:poll_schedule": PANEL_ROLES,
    "panel:results_publish": PANEL_ROLES,
    "panel:study_link": PANEL_ROLES,
    "panel:study_export": PANEL_ROLES,
    "forum:vote": set(ROLES),
    "forum:moderate": REVIEWERS,
    "forum:close": STAFF_ROLES,
    "forum:open": STAFF_ROLES,
    "events:confirm": set(ROLES),
    "events:cancel": set(ROLES),
    "events:accept": set(ROLES),
    "events:check_in_person": STAFF_ROLES,
    "events:publish": STAFF_ROLES,
    "events:cancel_event": STAFF_ROLES,
    "events:question_delete": STAFF_ROLES,
    "events:attendee_move": STAFF_ROLES,
    "events:attendee_cancel": STAFF_ROLES,
    "events:check_in_scan": STAFF_ROLES,
    "events:walk_in": STAFF_ROLES,
    "events:check_in_undo": STAFF_ROLES,
    "events:feedback_send": STAFF_ROLES,
    "calls:review": REVIEWERS,
    "calls:decide": STAFF_ROLES,
    "calls:question_delete": STAFF_ROLES,
    "calls:criterion_delete": STAFF_ROLES,
    "calls:assign": STAFF_ROLES,
    "calls:unassign": STAFF_ROLES,
    "calls:decide_bulk": STAFF_ROLES,
    "calls:withdraw": set(),  # only the applicant, who is none of these roles
    "calls:join_decide": ADMIN_ROLES,
    "calls:conflict": {"admin", "researcher"},  # who may review (editors see, not score)
    "news:manage_erase": set(ROLES),
    "news:issue_new": STAFF_ROLES,
    "news:issue_send": STAFF_ROLES,
    "news:issue_resume": STAFF_ROLES,
    "news:issue_test": STAFF_ROLES,
    "news:issue_schedule": STAFF_ROLES,
    "news:issue_unschedule": STAFF_ROLES,
    "news:topic_retire": STAFF_ROLES,
    "news:manage_topics": set(ROLES),
    "news:bounce_webhook": set(),  # off without its secret; then only a signed report acts
}


#: Data posted where an empty form would be turned away before the permission check (the
#: refusal must come from the permission, not from the missing field).
POST_DATA: dict[str, dict[str, str]] = {"calls:decide": {"status": "accepted"}}


def test_every_post_only_url_says_who_may_act() -> None:
    post_only = {name for name, (_, expected) in MATRIX.items() if 405 in expected.values()}
    assert post_only == POST_ONLY.keys()


def _acts(name: str, role: str) -> bool:
    answer = MATRIX[name][1][role]
    return role in POST_ONLY[name] if answer == 405 else answer in {200, 302}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), _matrix_cases(reaches=_acts))
def test_state_changing_requests(client_for: ClientFor, name: str, role: str) -> None:
    """POST, with no data, to every URL as every role.

    Whoever may not act is sent to sign in or refused (403/404; 405 from a page that only
    reads) and nothing is written (no audit entry); nobody gets a server error.
    """
    from django.urls import reverse

    from whatworks.core.models import AuditEntry

    kwargs = MATRIX[name][0]
    client = client_for(role)
    made = kwargs() if callable(kwargs) else kwargs
    before = AuditEntry.objects.count()
    response = client.post(reverse(name, kwargs=made), POST_DATA.get(name, {}))
    code = response.status_code
    assert code < 500, f"POST {name} as {role}: {code}"
    if _acts(name, role):
        return
    if code == 302:
        assert response["Location"].startswith(reverse("core:login")), f"POST {name} as {role}"
    else:
        assert code in {403, 404, 405}, f"POST {name} as {role}: {code}"
    assert AuditEntry.objects.count() == before, f"POST {name} as {role} wrote something"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_is_for_staff_only(client_for: ClientFor, role: str) -> None:
    response = client_for(role).get("/admin/")
    if role in STAFF_ROLES:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


# --- insiders: people with the right role but not the right object ----------------------


@pytest.mark.django_db
def test_an_analyst_of_the_other_authority_cannot_reach_or_run_a_pilot(client: Client) -> None:
    from django.urls import reverse

    from tests.factories import OrganisationFactory, user_with_role
    from whatworks.core.models import AuditEntry
    from whatworks.core.roles import Role

    pilot = pilots_factories.make_pilot()
    other = user_with_role(Role.LA_ANALYST, organisation=OrganisationFactory.create())
    own = pilots_factories.analyst_of(pilot)
    client.force_login(other)
    before = AuditEntry.objects.count()
    for name in ("pilots:detail", "pilots:dataset_upload", "pilots:bundle_upload"):
        url = reverse(name, kwargs={"pilot_id": pilot.pk})
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code in {404, 405}, name
    for name in ("pilots:config", "pilots:run_start"):
        assert client.post(reverse(name, kwargs={"pilot_id": pilot.pk}), {}).status_code == 404
    assert AuditEntry.objects.count() == before
    client.force_login(own)
    assert client.get(reverse("pilots:detail", kwargs={"pilot_id": pilot.pk})).status_code == 200


@pytest.mark.django_db
def test_a_researcher_on_another_team_cannot_change_a_project(client: Client) -> None:
    from django.urls import reverse

    from tests.factories import user_with_role
    from whatworks.core.roles import Role

    author = user_with_role(Role.RESEARCHER)
    project = registry_factories.draft_project(author=author)
    outsider = user_with_role(Role.RESEARCHER)
    client.force_login(outsider)
    kwargs = {"reference": project.reference}
    for name in ("registry:project_edit", "registry:protocol_edit", "registry:team"):
        url = reverse(name, kwargs=kwargs)
        assert client.get(url).status_code in {403, 404}, name
        response = client.post(url, {"title": "Taken over", "email": outsider.email})
        assert response.status_code in {403, 404}, name
    assert client.post(reverse("registry:protocol_register", kwargs=kwargs)).status_code in {
        403,
        404,
    }
    project.refresh_from_db()
    assert project.title != "Taken over"
    assert not project.versions.exists()
    client.force_login(author)
    assert client.get(reverse("registry:project_edit", kwargs=kwargs)).status_code == 200


@pytest.mark.django_db
def test_a_reviewer_who_has_not_scored_sees_no_scores(client: Client) -> None:
    from tests.factories import user_with_role
    from whatworks.calls.services import review as review_services
    from whatworks.core.roles import Role

    application = calls_factories.submitted_application()
    scorer, waiting = user_with_role(Role.RESEARCHER), user_with_role(Role.RESEARCHER)
    scores = {c.pk: 5 for c in application.call.criteria.all()}
    calls_factories.assign(application, scorer)
    calls_factories.assign(application, waiting)
    review_services.review_submit(actor=scorer, application=application, scores=scores)
    client.force_login(waiting)
    page = client.get(application.get_absolute_url()).content.decode()
    assert "Reviewers' scores" not in page
    assert f"user #{scorer.pk}" not in page and scorer.full_name not in page


def _admin_models() -> list[str]:
    from django.contrib import admin

    return sorted(model._meta.label_lower for model in admin.site._registry)


@pytest.mark.django_db
@pytest.mark.parametrize("label", _admin_models())
def test_an_editor_in_the_admin_gets_exactly_the_role_s_permissions(
    client_for: ClientFor, label: str
) -> None:
    """Per admin model: the change list and the add page answer as the roles table says."""
    from django.apps import apps
    from django.urls import reverse

    from whatworks.core.roles import ROLE_PERMISSIONS, Role

    model = apps.get_model(label)
    app_label, name = model._meta.app_label, model._meta.model_name
    granted = ROLE_PERMISSIONS[Role.EDITOR]
    may_view = {f"{app_label}.view_{name}", f"{app_label}.change_{name}"} & granted
    client = client_for("editor")
    listing = client.get(reverse(f"admin:{app_label}_{name}_changelist"))
    assert listing.status_code == (200 if may_view else 403), label
    add = client.post(reverse(f"admin:{app_label}_{name}_add"), {})
    if f"{app_label}.add_{name}" not in granted:
        assert add.status_code == 403, label
    else:  # the role may add; some admins still leave adding to the part's own pages
        assert add.status_code in {200, 302, 403}, label
