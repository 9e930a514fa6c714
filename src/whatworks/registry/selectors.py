"""Reads of the research registry with their access checks.  Views fetch only through these.

Who sees what (:func:`project_visibility`, the one decision; other parts ask it through
``whatworks.core.projects``, which this app fills from its ``AppConfig.ready``):

- anyone: published projects out of embargo, their registered versions and published
  results (also after a withdrawal); the stub (identifier, title, team, dates) of a
  published project under embargo, and the tombstone (the stub and the reason) of one
  withdrawn while embargoed;
- the project's team: everything about their project, drafts included;
- editors and administrators (``registry.view_project``): everything.

Everything else is a 404, so nobody learns that an embargoed or draft project exists.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Max, OuterRef, QuerySet, Subquery, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.models import User
from whatworks.core.projects import ProjectView, Visibility
from whatworks.core.search import (
    Document,
    MemoryVocabulary,
    load_synonyms,
    parse_query,
    rank_documents,
)
from whatworks.registry.models import (
    Project,
    ProjectRequest,
    ProjectStatus,
    ProtocolAttachment,
    ProtocolVersion,
    ResultsReport,
    StudyType,
    Topic,
)
from whatworks.registry.protocol import parse_content
from whatworks.registry.verdicts import Assessment, Verdict, assess, parse_results

AnyUser = User | AnonymousUser
REGISTER_FILTERS = ("q", "status", "type", "topic", "verdict")
REFERENCE_RE = re.compile(r"WWC-\d{4}-\d{4}")


def can_see_everything(user: AnyUser) -> bool:
    """Editors and administrators (``registry.view_project``) see every project."""
    return user.is_authenticated and user.has_perm("registry.view_project")


def projects_naming(user: AnyUser | None) -> QuerySet[Project]:
    """The projects whose team names the user: membership itself, without the
    administrators' standing on every team that :func:`is_team_member` adds (the pilots,
    which hold child-level data, open a pilot to its project's named team only)."""
    if user is None or not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(team=user)


def is_team_member(user: AnyUser | None, project: Project) -> bool:
    """On the project's team (administrators count as on every team)."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or projects_naming(user).filter(pk=project.pk).exists()


def team_projects(user: AnyUser | None) -> QuerySet[Project]:
    """The projects the user is on the team of, as :func:`is_team_member` decides it:
    every project for administrators, those whose team names them for others."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return Project.objects.all()
    return projects_naming(user)


def can_edit(user: AnyUser, project: Project) -> bool:
    return (
        user.is_authenticated
        and user.has_perm("registry.change_project")
        and is_team_member(user, project)
        and not project.is_withdrawn
    )


def can_remove_from_team(project: Project) -> bool:
    """Whether anyone may be taken off the project's team now: not its last member (a
    project always has someone on its team)."""
    return project.team.count() > 1


def can_see_drafts(user: AnyUser, project: Project) -> bool:
    """The project's insiders (its team, editors, administrators) see its drafts."""
    return can_see_everything(user) or is_team_member(user, project)


def can_publish(user: AnyUser) -> bool:
    """Editors publish projects and results (what is ready: :func:`project_publish_check`,
    :func:`results_publish_check`)."""
    return user.is_authenticated and user.has_perm("registry.publish_project")


def can_withdraw(user: AnyUser, project: Project) -> bool:
    """Editors withdraw a project that is not withdrawn already."""
    return (
        user.is_authenticated
        and user.has_perm("registry.withdraw_project")
        and not project.is_withdrawn
    )


def can_correct(user: AnyUser | None, report: ResultsReport) -> bool:
    """The project's team, and editors (who publish results), may issue a correction."""
    if user is None or not user.is_authenticated:
        return False
    return is_team_member(user, report.project) or user.has_perm("registry.publish_project")


def _public_visibility(project: Project, today: date | None) -> Visibility:
    """What everyone may see of the project, whoever they are.

    A published project under embargo shows a public stub (identifier, title, team, dates)
    as the AEA registry does, and so does the tombstone of one withdrawn under embargo;
    its summary, protocol and results wait for the embargo to end.
    """
    if project.is_public(today):
        return Visibility.FULL
    if project.published_at is not None:
        return Visibility.STUB
    return Visibility.HIDDEN


def project_visibility(
    *, user: AnyUser | None, project: Project, today: date | None = None
) -> Visibility:
    """How much of the project the user may see: the one place that decides it.

    Its page, protocol versions and results here, and every other part (pilots' Centre,
    calls, events, evidence, the newsletter) through ``whatworks.core.projects``.
    """
    public = _public_visibility(project, today)
    if public == Visibility.FULL:
        return public
    if user is not None and can_see_drafts(user, project):
        return Visibility.FULL
    return public


def project_views(
    *, user: AnyUser | None, references: Collection[str], today: date | None = None
) -> dict[str, ProjectView]:
    """The visibility provider for ``whatworks.core.projects``: the projects among
    ``references`` the user may know exist, with how much of each they may see."""
    projects = list(Project.objects.filter(reference__in=list(references)))
    on_team: set[int] = set()
    everything = user is not None and can_see_everything(user)
    if user is not None and user.is_authenticated and not everything:
        if user.is_superuser:
            on_team = {p.pk for p in projects}
        else:
            on_team = set(
                Project.team.through.objects.filter(
                    user_id=user.pk, project__in=projects
                ).values_list("project_id", flat=True)
            )
    views = {}
    for project in projects:
        visibility = _public_visibility(project, today)
        if everything or project.pk in on_team:
            visibility = Visibility.FULL
        if visibility > Visibility.HIDDEN:
            views[project.reference] = ProjectView(
                reference=project.reference,
                title=project.title,
                url=project.get_absolute_url(),
                visibility=visibility,
            )
    return views


def project_by_reference(reference: str) -> Project | None:
    """The project with this identifier, whoever asks (callers check the team themselves:
    the panel's hand-over links only a project the actor is on the team of)."""
    return Project.objects.filter(reference=reference).first()


def demo_project_reference(*, title: str = "", title_contains: str = "") -> str:
    """The ``demo_projects`` provider (``core/extensions.py``): the identifier of the first
    project with this title (or one containing ``title_contains``), or ""."""
    projects = Project.objects.order_by("pk")
    if title:
        projects = projects.filter(title=title)
    if title_contains:
        projects = projects.filter(title__icontains=title_contains)
    found = projects.first()
    return str(found.reference) if found is not None else ""


def project_get_for_user(*, user: AnyUser, reference: str, today: date | None = None) -> Project:
    """The project, if the user may know it exists (a tombstone counts)."""
    project = Project.objects.filter(reference=reference).first()
    if project is None:
        raise Http404("No such project.")
    if project_visibility(user=user, project=project, today=today) == Visibility.HIDDEN:
        raise Http404("No such project.")
    return project


def can_see_versions(user: AnyUser, project: Project, today: date | None = None) -> bool:
    """Whether the user may read the project's registered protocol versions."""
    return project_visibility(user=user, project=project, today=today) == Visibility.FULL


def version_get_for_user(
    *, user: AnyUser, reference: str, number: int, today: date | None = None
) -> ProtocolVersion:
    project = project_get_for_user(user=user, reference=reference, today=today)
    if not can_see_versions(user, project, today):
        raise Http404("No such protocol version.")
    version = project.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such protocol version.")
    version.project = project
    return version


def results_reports_visible(user: AnyUser, project: Project) -> QuerySet[ResultsReport]:
    """The project's results reports the user may read: published ones, drafts for insiders."""
    reports = ResultsReport.objects.filter(project=project).select_related(
        "protocol_version", "corrects", "corrected_by"
    )
    if not can_see_drafts(user, project):
        reports = reports.filter(published_at__isnull=False)
    return reports.order_by("number")


def results_get_for_user(
    *, user: AnyUser, reference: str, number: int | None = None, today: date | None = None
) -> ResultsReport:
    """A results report: by number, or else the current one (the latest published report;
    for insiders, the draft when nothing is published yet).  Drafts only for insiders."""
    project = project_get_for_user(user=user, reference=reference, today=today)
    if not can_see_versions(user, project, today):
        raise Http404("No results.")
    reports = results_reports_visible(user, project)
    if number is not None:
        report = reports.filter(number=number).first()
    else:
        report = (
            reports.filter(published_at__isnull=False).order_by("-number").first()
            or reports.filter(published_at__isnull=True).first()
        )
    if report is None:
        raise Http404("No results.")
    report.project = project
    return report


def report_assessment(report: ResultsReport) -> Assessment:
    content = parse_content(report.protocol_version.content)
    return assess(content, parse_results(report.results))


def public_results(project: Project) -> ResultsReport | None:
    """The project's current published results (after any corrections)."""
    return (
        ResultsReport.objects.filter(project=project, published_at__isnull=False)
        .select_related("protocol_version")
        .order_by("-number")
        .first()
    )


def draft_results(project: Project) -> ResultsReport | None:
    """The project's draft report (the original or a correction), if any."""
    return (
        ResultsReport.objects.filter(project=project, published_at__isnull=True)
        .select_related("protocol_version", "corrects")
        .first()
    )


@dataclass(frozen=True)
class PublishCheck:
    """Whether something may be published now, for the editor's button and the service.

    ``waiting``: there is something to publish (a project not yet on the register and not
    withdrawn; a results report still in draft).  ``problems``: why it cannot be published
    yet, each a sentence to show; none means it can.
    """

    waiting: bool
    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.waiting and not self.problems


def project_publish_check(project: Project) -> PublishCheck:
    """May an editor put the project on the public register now (a withdrawn project is
    refused by the service before this is asked)?"""
    problems = []
    if project.published_at is not None:
        problems.append(_("This project is already published."))
    if not project.versions.exists():
        problems.append(_("Register the protocol before publishing the project."))
    return PublishCheck(
        waiting=project.published_at is None and not project.is_withdrawn,
        problems=tuple(problems),
    )


def results_publish_check(report: ResultsReport | None) -> PublishCheck:
    """May an editor publish this results report now (the draft, or a draft correction)?
    No report: nothing is waiting."""
    if report is None:
        return PublishCheck(waiting=False)
    problems = []
    if report.published_at is not None:
        problems.append(_("These results are already published."))
    if report.project.published_at is None:
        problems.append(_("Publish the project before its results."))
    if not report.results:
        problems.append(_("Add at least one result before publishing."))
    return PublishCheck(waiting=report.published_at is None, problems=tuple(problems))


def _current_verdict() -> Subquery:
    return Subquery(
        ResultsReport.objects.filter(project=OuterRef("pk"), published_at__isnull=False)
        .order_by("-number")
        .values("overall_verdict")[:1]
    )


def register_filter_errors(filters: dict[str, str]) -> dict[str, str]:
    choices = {
        "status": ProjectStatus.values,
        "type": StudyType.values,
        "topic": Topic.values,
        "verdict": Verdict._value2member_map_.keys(),
    }
    return {
        name: "Choose one of the options in the list."
        for name, allowed in choices.items()
        if filters.get(name) and filters[name] not in allowed
    }


@dataclass(frozen=True)
class RegisterSearch:
    """The register, filtered and searched: best matches first when words were typed."""

    projects: QuerySet[Project]
    #: The query with typos corrected that the results are for ("did you mean ...?"), or "".
    corrected: str = ""
    #: Why nothing was searched for (``'`` or only stop words), or "".
    problem: str = ""


def register_search(*, filters: dict[str, Any], today: date | None = None) -> RegisterSearch:
    """The public register, filtered by status, type, topic and verdict, and searched with
    the platform's one search (``core.search``: stems, spellings, synonyms, typos,
    questions) over each listed project's title (first), summary, identifier and partner
    sites, in memory: the register holds hundreds of projects, not tens of thousands."""
    projects = (
        Project.objects.listed(today)
        .prefetch_related("partner_sites")
        .annotate(latest_version=Max("versions__number"), verdict=_current_verdict())
    )
    if status := filters.get("status"):
        projects = projects.filter(status=status)
    if study_type := filters.get("type"):
        projects = projects.filter(study_type=study_type)
    if topic := filters.get("topic"):
        projects = projects.filter(topic=topic)
    if verdict := filters.get("verdict"):
        projects = projects.filter(verdict=verdict)
    newest_first = projects.order_by("-published_at", "-year", "-serial")
    query = (filters.get("q") or "").strip()
    if not query:
        return RegisterSearch(newest_first)
    if REFERENCE_RE.fullmatch(query.upper()):
        return RegisterSearch(newest_first.filter(reference=query.upper()))
    documents = _register_documents(newest_first)
    vocabulary = MemoryVocabulary.from_texts(f"{d.head} {d.body}" for d in documents)
    synonyms = load_synonyms()
    parsed = parse_query(query, synonyms=synonyms, vocabulary=vocabulary)
    if parsed.problem:
        return RegisterSearch(projects.none(), problem=parsed.problem)
    keys = rank_documents(documents, parsed)
    corrected = parsed.corrected
    if corrected and not keys:
        keys = rank_documents(documents, parse_query(query, synonyms=synonyms))
        corrected = ""
    order = Case(*(When(pk=key, then=position) for position, key in enumerate(keys)))
    ranked = projects.filter(pk__in=keys).order_by(order) if keys else projects.none()
    return RegisterSearch(ranked, corrected=corrected)


def _register_documents(projects: QuerySet[Project]) -> list[Document]:
    partners: dict[int, list[str]] = {}
    through = Project.partner_sites.through.objects.filter(project__in=projects.values("pk"))
    for project_id, name in through.values_list("project_id", "organisation__name"):
        partners.setdefault(project_id, []).append(name)
    return [
        Document(pk, title, " ".join([summary, reference, *partners.get(pk, [])]))
        for pk, title, summary, reference in projects.values_list(
            "pk", "title", "summary", "reference"
        )
    ]


def register_projects(*, filters: dict[str, Any], today: date | None = None) -> QuerySet[Project]:
    """The public register, filtered and searched (see :func:`register_search`)."""
    return register_search(filters=filters, today=today).projects


def public_projects(today: date | None = None) -> QuerySet[Project]:
    return Project.objects.listed(today).order_by("year", "serial")


def overdue_projects(today: date | None = None) -> QuerySet[Project]:
    """Public projects whose results are due and not published."""
    today = today or timezone.localdate()
    return (
        Project.objects.public(today)
        .filter(withdrawn_at__isnull=True, results_due__lt=today)
        .exclude(results_reports__published_at__isnull=False)
        .order_by("results_due")
    )


def workspace_projects(*, user: AnyUser) -> QuerySet[Project]:
    """Projects a signed-in researcher or editor works on: the team's own, or all for editors."""
    if can_see_everything(user):
        return Project.objects.all()
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(team=user)


@dataclass(frozen=True)
class VersionPair:
    before: ProtocolVersion
    after: ProtocolVersion


def version_pair_for_user(
    *, user: AnyUser, reference: str, from_number: int, to_number: int
) -> VersionPair:
    return VersionPair(
        before=version_get_for_user(user=user, reference=reference, number=from_number),
        after=version_get_for_user(user=user, reference=reference, number=to_number),
    )


# --- requests to publish or withdraw -----------------------------------------------------


def can_decide_requests(user: AnyUser) -> bool:
    """Editors decide the team's requests (either permission lets them see the queue)."""
    return user.is_authenticated and (
        user.has_perm("registry.publish_project") or user.has_perm("registry.withdraw_project")
    )


def request_queue(*, user: AnyUser) -> QuerySet[ProjectRequest]:
    """Pending requests, oldest first, for an editor; nothing for anyone else."""
    if not can_decide_requests(user):
        return ProjectRequest.objects.none()
    return (
        ProjectRequest.objects.filter(status=ProjectRequest.Status.PENDING)
        .select_related("project", "requested_by")
        .order_by("requested_at", "pk")
    )


def recent_decisions(*, user: AnyUser, limit: int = 20) -> list[ProjectRequest]:
    if not can_decide_requests(user):
        return []
    return list(
        ProjectRequest.objects.exclude(status=ProjectRequest.Status.PENDING)
        .select_related("project", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def request_get_for_user(*, user: AnyUser, request_id: int) -> ProjectRequest:
    """A request, for the editors who decide it; 404 for everyone else."""
    found = (
        ProjectRequest.objects.select_related("project", "requested_by", "decided_by")
        .filter(pk=request_id)
        .first()
    )
    if found is None or not can_decide_requests(user):
        raise Http404("No such request.")
    return found


def project_requests(*, user: AnyUser, project: Project) -> list[ProjectRequest]:
    """The project's requests and their decisions, newest first, for its team and editors."""
    if not (is_team_member(user, project) or can_decide_requests(user)):
        return []
    return list(project.requests.select_related("decided_by").order_by("-requested_at", "-pk"))


# --- protocol attachments (``attachments.py``) ------------------------------------------


def _attachment_row(project: Project, item: dict[str, Any] | None) -> ProtocolAttachment:
    if item is None:
        raise Http404("No such document.")
    row = ProtocolAttachment.objects.filter(
        project=project, kind=item.get("kind"), sha256=item.get("sha256")
    ).first()
    if row is None:
        raise Http404("No such document.")
    row.project = project
    return row


def version_attachment_get_for_user(
    *, user: AnyUser, reference: str, number: int, kind: str
) -> tuple[ProtocolVersion, ProtocolAttachment]:
    """A document a registered version lists: for whoever may read the version."""
    version = version_get_for_user(user=user, reference=reference, number=number)
    items = (version.content or {}).get("attachments") or []
    return version, _attachment_row(
        version.project, next((a for a in items if a.get("kind") == kind), None)
    )


def draft_attachment_get_for_user(
    *, user: AnyUser, reference: str, kind: str
) -> ProtocolAttachment:
    """A document of the draft protocol: for the team and editors only."""
    project = project_get_for_user(user=user, reference=reference)
    if not can_see_drafts(user, project):
        raise Http404("No such document.")
    items = (project.draft_content or {}).get("attachments") or []
    return _attachment_row(project, next((a for a in items if a.get("kind") == kind), None))
