"""Roles are Django groups with permissions, defined here once.

A visitor is anyone not signed in and a registered user is anyone signed in; the other
roles are groups.  Later parts add their permissions to :data:`ROLE_PERMISSIONS`;
``roles_sync`` makes the database match this table (it runs after every ``migrate``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PANEL_MEMBER = "panel-member", _("Panel member")
    FORUM_PARTICIPANT = "forum-participant", _("Forum participant")
    LA_ANALYST = "la-analyst", _("Local authority analyst")
    RESEARCHER = "researcher", _("Researcher")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Administrator")


#: The research registry: researchers draft and register their own projects' protocols
#: (the team check is in the registry's services); editors see everything and publish.
REGISTRY_RESEARCHER = frozenset(
    {
        "registry.add_project",
        "registry.change_project",
        "registry.add_protocolversion",
        "registry.add_resultsreport",
    }
)
REGISTRY_EDITOR = frozenset(
    {
        "registry.view_project",
        "registry.view_protocolversion",
        "registry.view_resultsreport",
        "registry.publish_project",
        "registry.withdraw_project",
    }
)

#: The Evidence Store: editors and administrators edit interventions, ratings, studies and
#: findings (staff pages, the admin, import and export); reading is public.
EVIDENCE_EDITOR = frozenset(
    f"evidence.{action}_{model}"
    for action in ("view", "add", "change", "delete")
    for model in ("intervention", "study", "finding", "outcomerating")
)

#: Events and calls for partners: editors manage events (attendees, check-in) and calls
#: (and decide on applications); researchers score applications.
EVENTS_CALLS_EDITOR = frozenset(
    {
        *(f"events.{a}_{m}" for a in ("view", "add", "change") for m in ("event", "question")),
        "events.view_registration",
        "events.change_registration",
        "events.checkin_registration",
        *(f"calls.{a}_{m}" for a in ("view", "add", "change") for m in ("call", "question")),
        "calls.view_criterion",
        "calls.add_criterion",
        "calls.change_criterion",
        "calls.view_application",
        "calls.decide_application",
    }
)
CALLS_RESEARCHER = frozenset({"calls.view_application", "calls.review_application"})

#: News: editors write posts (and authors, tags, images) and draft, finish and send the
#: newsletter; they see how many subscribers there are in each state, never an address
#: (the admin shows them counts only; administrators see the list by number).
NEWS_EDITOR = frozenset(
    {
        *(f"news.{a}_{m}" for a in ("view", "add", "change") for m in ("post", "postimage")),
        *(f"news.{a}_{m}" for a in ("view", "add", "change") for m in ("tag", "authorprofile")),
        *(f"news.{a}_issue" for a in ("view", "add", "change")),
        *(f"news.{a}_topic" for a in ("view", "add", "change")),
        "news.view_subscriber",
    }
)

#: The polling panel: researchers build polls, surveys and scales, invite members and see
#: results before publication; members need no permission (their pages check membership).
PANEL_RESEARCHER = frozenset(
    {
        *(f"panel.{a}_{m}" for a in ("view", "add", "change") for m in ("poll", "question")),
        "panel.view_scale",
        "panel.add_scale",
        "panel.view_study",
        "panel.add_study",
        "panel.add_invitation",
    }
)

#: The deliberative forum: moderators (editors and researchers) see every conversation's
#: dashboard, accept, reject and mark meta statements, and export; editors also set up and
#: close conversations.  Voting and writing need no permission (signed in, or anonymous
#: where the conversation allows it), so forum participants hold none.
FORUM_MODERATOR = frozenset(
    {"forum.view_conversation", "forum.moderate_conversation", "forum.export_conversation"}
)
FORUM_EDITOR = FORUM_MODERATOR | {"forum.add_conversation", "forum.change_conversation"}

#: Pilots: each pilot is visible only to its authority's analysts and its project's team
#: (checked in ``pilot_get_for_user``, not by permission); the Centre's researchers and
#: administrators see every pilot's verdict side by side (aggregates only).
PILOTS_CENTRE = frozenset({"pilots.view_centre"})

#: Search: editors keep the synonyms and abbreviations every part's search understands.
SEARCH_EDITOR = frozenset(
    f"core.{action}_searchsynonym" for action in ("view", "add", "change", "delete")
)

#: Permissions per role, as "app_label.codename".  Deny by default: a role has exactly these.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PANEL_MEMBER: frozenset(),
    Role.FORUM_PARTICIPANT: frozenset(),
    Role.LA_ANALYST: frozenset(),
    Role.RESEARCHER: frozenset()
    | REGISTRY_RESEARCHER
    | CALLS_RESEARCHER
    | PANEL_RESEARCHER
    | FORUM_MODERATOR
    | PILOTS_CENTRE,
    Role.EDITOR: frozenset({"core.view_organisation"})
    | REGISTRY_EDITOR
    | EVIDENCE_EDITOR
    | EVENTS_CALLS_EDITOR
    | NEWS_EDITOR
    | FORUM_EDITOR
    | SEARCH_EDITOR,
    Role.ADMIN: frozenset(
        {
            "core.view_auditentry",
            "core.view_organisation",
            "core.add_organisation",
            "core.change_organisation",
            "core.view_user",
            "core.change_user",
            "core.view_taskrecord",
        }
    )
    | REGISTRY_RESEARCHER
    | REGISTRY_EDITOR
    | EVIDENCE_EDITOR
    | EVENTS_CALLS_EDITOR
    | CALLS_RESEARCHER
    | NEWS_EDITOR
    | PANEL_RESEARCHER
    | FORUM_EDITOR
    | SEARCH_EDITOR
    | PILOTS_CENTRE,
}

#: Roles whose members may use the admin site (``is_staff``).
STAFF_ROLES = frozenset({Role.EDITOR, Role.ADMIN})
