"""The protocol's documents: the team uploads them to the draft; anyone who may read a
version downloads the ones it froze.  Every download is checked against its SHA-256 and
audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from whatworks.core.access import require_permission
from whatworks.core.errors import add_to_form, add_to_messages
from whatworks.core.http import AuthedHttpRequest
from whatworks.registry.attachments import (
    ACCEPTED,
    AttachmentMismatchError,
    accepted_words,
)
from whatworks.registry.errors import RegistryError
from whatworks.registry.models import ProtocolAttachment
from whatworks.registry.protocol import ATTACHMENT_KINDS, ATTACHMENT_LABELS
from whatworks.registry.selectors import (
    draft_attachment_get_for_user,
    version_attachment_get_for_user,
)
from whatworks.registry.services.attachments import (
    attachment_add,
    attachment_read,
    attachment_remove,
)
from whatworks.registry.views.common import editable_project, posted


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Which document"), choices=ATTACHMENT_KINDS)
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.FileInput,
        error_messages={"required": gettext_lazy("Choose a file to upload.")},
    )

    def __init__(self, *args: object, limit_mb: float, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].help_text = _(
            "Each kind once: uploading another file of a kind replaces the draft's. "
            "Analysis code may be plain text or a ZIP archive of the code."
        )
        self.fields["file"].help_text = _(
            "At most %(mb)s MB. PDF, Word (.docx), OpenDocument text (.odt) or plain text. "
            "The file becomes public with the protocol when it is registered and published: "
            "it must hold no personal data."
        ) % {"mb": f"{limit_mb:g}"}


@require_permission("registry.change_project")
def attachments(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    """The draft's documents, and the form that adds or replaces one."""
    from django.conf import settings

    project = editable_project(request, reference)
    limit = settings.WHATWORKS_REGISTRY_MAX_ATTACHMENT_MB
    form = AttachmentForm(posted(request), request.FILES or None, limit_mb=limit)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            attachment_add(
                actor=request.user,
                project=project,
                kind=kind,
                upload=form.cleaned_data["file"],
            )
        except RegistryError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(label)s attached to the draft protocol.") % {"label": ATTACHMENT_LABELS[kind]},
            )
            return redirect("registry:attachments", reference=project.reference)
    items = {a["kind"]: a for a in (project.draft_content or {}).get("attachments") or []}
    return render(
        request,
        "registry/attachments.html",
        {
            "project": project,
            "form": form,
            "kinds": [
                (kind, label, items.get(kind), accepted_words(kind))
                for kind, label in ATTACHMENT_KINDS
                if kind in ACCEPTED
            ],
        },
    )


@require_POST
@require_permission("registry.change_project")
def attachment_remove_view(request: AuthedHttpRequest, reference: str) -> HttpResponse:
    project = editable_project(request, reference)
    kind = request.POST.get("kind", "")
    try:
        attachment_remove(actor=request.user, project=project, kind=kind)
    except RegistryError as exc:
        add_to_messages(request, exc)
    else:
        messages.success(
            request,
            _("%(label)s taken out of the draft.") % {"label": ATTACHMENT_LABELS.get(kind, kind)},
        )
    return redirect("registry:attachments", reference=project.reference)


def _download(request: HttpRequest, attachment: ProtocolAttachment, where: str) -> HttpResponse:
    actor = request.user if request.user.is_authenticated else None
    try:
        data = attachment_read(actor=actor, attachment=attachment, where=where)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    except AttachmentMismatchError:
        return HttpResponse(
            _(
                "This file no longer matches the SHA-256 it was registered with, so it is not "
                "served. The editors have been told through the audit log."
            ),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, attachment.original_name) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def version_attachment(
    request: HttpRequest, reference: str, number: int, kind: str
) -> HttpResponse:
    version, attachment = version_attachment_get_for_user(
        user=request.user, reference=reference, number=number, kind=kind
    )
    return _download(request, attachment, f"v{version.number}")


@require_GET
def draft_attachment(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    attachment = draft_attachment_get_for_user(user=request.user, reference=reference, kind=kind)
    return _download(request, attachment, "draft")
