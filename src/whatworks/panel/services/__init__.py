"""Writes of the panel, one module per process; everything is re-exported here."""

from whatworks.panel.services.answering import (
    AnswerError,
    clean_answers,
    invitation_open,
    invitation_opt_out,
    response_save,
)
from whatworks.panel.services.invitations import (
    BounceReport,
    InviteSelection,
    invitation_mark_bounced,
    invitations_count,
    invitations_mark_bounced,
    invitations_send,
    reminders_send,
)
from whatworks.panel.services.members import (
    member_anonymise,
    member_confirm,
    member_erase,
    member_export,
    member_join,
    member_leave,
    member_set_consent,
    member_update_profile,
)
from whatworks.panel.services.polls import (
    poll_close,
    poll_create,
    poll_open,
    question_add,
    scale_create,
    scale_score,
    study_create,
)
from whatworks.panel.services.retention import RetentionReport, panel_retention_apply

__all__ = [
    "AnswerError",
    "BounceReport",
    "InviteSelection",
    "RetentionReport",
    "clean_answers",
    "invitation_mark_bounced",
    "invitation_open",
    "invitation_opt_out",
    "invitations_count",
    "invitations_mark_bounced",
    "invitations_send",
    "member_anonymise",
    "member_confirm",
    "member_erase",
    "member_export",
    "member_join",
    "member_leave",
    "member_set_consent",
    "member_update_profile",
    "panel_retention_apply",
    "poll_close",
    "poll_create",
    "poll_open",
    "question_add",
    "reminders_send",
    "response_save",
    "scale_create",
    "scale_score",
    "study_create",
]
