"""Requests to publish or withdraw a project: the team asks, an editor decides with a reason.

Who can do what: the team drafts, registers, amends and enters results, and **asks**;
editors (``registry.publish_project`` / ``registry.withdraw_project``) publish projects
and results, withdraw projects, and decide requests.  The team is told of the decision by
e-mail (after commit) and on the project's page.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import PermissionDeniedError
from whatworks.core.links import absolute_url
from whatworks.core.mail import mail_message, mail_send
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import Project, ProjectRequest
from whatworks.registry.services.common import require_team
from whatworks.registry.services.projects import project_publish, project_withdraw

Kind = ProjectRequest.Kind
Status = ProjectRequest.Status

#: The permission an editor needs to decide each kind of request.
DECIDE_PERMISSION = {
    Kind.PUBLISH: "registry.publish_project",
    Kind.WITHDRAW: "registry.withdraw_project",
}


def request_problems(*, project: Project, kind: str) -> list[str]:
    """Why the team cannot ask for this now, whatever it writes; every problem at once."""
    problems = []
    if kind not in Kind.values:
        return ["Ask for publication or for withdrawal."]
    if kind == Kind.PUBLISH:
        if project.published_at is not None:
            problems.append(_("This project is already published."))
        if not project.versions.exists():
            problems.append(_("Register the protocol before asking for publication."))
    if project.is_withdrawn:
        problems.append(_("This project has been withdrawn; it can no longer change."))
    if project.requests.filter(kind=kind, status=Status.PENDING).exists():
        problems.append(_("This request is already waiting for an editor."))
    return problems


@transaction.atomic
def project_request_create(
    *, actor: User | None, project: Project, kind: str, reason: str = ""
) -> ProjectRequest:
    """The team asks editors to publish or withdraw its project."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_team(actor, project)
    problems = request_problems(project=project, kind=kind)
    if kind == Kind.WITHDRAW and not reason.strip():
        problems.append(
            _("Say why the project should be withdrawn: the reason is shown on its tombstone.")
        )
    if problems:
        raise RegistryError(problems)
    request = ProjectRequest.objects.create(
        project=project, kind=kind, reason=reason.strip(), requested_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_REQUEST_MADE,
        target=request,
        changes={"project": project.reference, "kind": kind},
    )
    return request


@transaction.atomic
def project_request_decide(
    *,
    actor: User | None,
    request: ProjectRequest,
    accept: bool,
    reason: str,
    keep_results: bool = False,
) -> ProjectRequest:
    """An editor accepts (publishing or withdrawing the project) or declines, with a reason.

    Accepting a withdrawal uses the team's reason on the tombstone; a project with
    published results needs ``keep_results`` as :func:`project_withdraw` does.
    """
    request = (
        ProjectRequest.objects.select_for_update().select_related("project").get(pk=request.pk)
    )
    permission = DECIDE_PERMISSION[Kind(request.kind)]
    if actor is None or not actor.has_perm(permission):
        raise PermissionDeniedError(_("Only the registry's editors decide requests."))
    if request.status != Status.PENDING:
        raise RegistryError(_("This request has already been decided."))
    reason = reason.strip()
    if not reason:
        raise RegistryError(_("Give the reason for your decision: the team will read it."))
    if accept and request.kind == Kind.PUBLISH:
        project_publish(actor=actor, project=request.project)
    elif accept:
        project_withdraw(
            actor=actor, project=request.project, reason=request.reason, keep_results=keep_results
        )
    request.status = Status.ACCEPTED if accept else Status.DECLINED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.REGISTRY_REQUEST_DECIDED,
        target=request,
        changes={
            "project": request.project.reference,
            "kind": request.kind,
            "status": request.status,
        },
    )
    transaction.on_commit(partial(send_decision_email, request.pk))
    return request


def send_decision_email(request_id: int) -> None:
    """Tell the project's team what the editor decided, and why."""
    request = ProjectRequest.objects.select_related("project").get(pk=request_id)
    project = request.project
    recipients = sorted(
        project.team.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        return
    verb = "accepted" if request.status == Status.ACCEPTED else "declined"
    mail_send(
        mail_message(
            subject=_("%(reference)s: your request to %(kind)s the project was %(verb)s")
            % {"reference": project.reference, "kind": request.kind, "verb": verb},
            body=render_to_string(
                "registry/email/request_decided.txt",
                {
                    "request": request,
                    "project": project,
                    "verb": verb,
                    "link": absolute_url(project.get_absolute_url()),
                },
            ),
            to=recipients,
        )
    )
