"""The audit log's actions: one constant per kind of entry, so that a typo is a type error.

``audit_record(action=AuditAction.PANEL_POLL_OPENED, ...)``: :class:`AuditAction` is a
``StrEnum``, so a constant *is* its string and the log stores the same text as before.
Callers that still pass a string literal keep working while they move over; a test
(``tests/core/test_audit_actions.py``) fails when any call passes a literal that is not
one of these values, or an f-string whose pattern is not in :data:`AUDIT_ACTION_FAMILIES`,
so a new kind of entry is added here first.  Names are the value in capitals, its dots and
underscores as underscores.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # audit
    AUDIT_EXPORT_DOWNLOADED = "audit.export_downloaded"
    AUDIT_EXPORTED = "audit.exported"
    # author_profile
    AUTHOR_PROFILE_CREATED = "author_profile.created"
    # call
    CALL_APPLICATION_SAVED = "call.application_saved"
    CALL_APPLICATION_SCORED = "call.application_scored"
    CALL_APPLICATION_SUBMITTED = "call.application_submitted"
    CALL_APPLICATION_WITHDRAWN = "call.application_withdrawn"
    CALL_ATTACHMENT_READ = "call.attachment_read"
    CALL_CONFLICT_DECLARED = "call.conflict_declared"
    CALL_CREATED = "call.created"
    CALL_CRITERION_CREATED = "call.criterion_created"
    CALL_CRITERION_DELETED = "call.criterion_deleted"
    CALL_CRITERION_UPDATED = "call.criterion_updated"
    CALL_DEADLINE_REMINDER_SENT = "call.deadline_reminder_sent"
    CALL_QUESTION_CREATED = "call.question_created"
    CALL_QUESTION_DELETED = "call.question_deleted"
    CALL_QUESTION_UPDATED = "call.question_updated"
    CALL_REVIEWER_ASSIGNED = "call.reviewer_assigned"
    CALL_REVIEWER_UNASSIGNED = "call.reviewer_unassigned"
    CALL_SCORES_CORRECTED = "call.scores_corrected"
    CALL_UPDATED = "call.updated"
    # core
    CORE_SEARCH_SYNONYM_CHANGED = "core.search_synonym_changed"
    CORE_SEARCH_SYNONYM_CREATED = "core.search_synonym_created"
    CORE_SEARCH_SYNONYM_DELETED = "core.search_synonym_deleted"
    # event
    EVENT_ADDRESS_CONFIRMED = "event.address_confirmed"
    EVENT_ANSWERS_CHANGED = "event.answers_changed"
    EVENT_ATTENDEE_ADDED = "event.attendee_added"
    EVENT_ATTENDEE_MOVED = "event.attendee_moved"
    EVENT_ATTENDEES_ANONYMISED = "event.attendees_anonymised"
    EVENT_ATTENDEES_EXPORTED = "event.attendees_exported"
    EVENT_ATTENDEES_MESSAGED = "event.attendees_messaged"
    EVENT_ATTENDEES_VIEWED = "event.attendees_viewed"
    EVENT_CANCELLED = "event.cancelled"
    EVENT_CERTIFICATE_SENT = "event.certificate_sent"
    EVENT_CHECK_IN_UNDONE = "event.check_in_undone"
    EVENT_CHECKED_IN = "event.checked_in"
    EVENT_CREATED = "event.created"
    EVENT_DUPLICATED = "event.duplicated"
    EVENT_FEEDBACK_SENT = "event.feedback_sent"
    EVENT_FEEDBACK_SURVEY_CREATED = "event.feedback_survey_created"
    EVENT_HOLD_LAPSED = "event.hold_lapsed"
    EVENT_OFFER_ACCEPTED = "event.offer_accepted"
    EVENT_OFFER_EXPIRED = "event.offer_expired"
    EVENT_PLACE_OFFERED = "event.place_offered"
    EVENT_PUBLISHED = "event.published"
    EVENT_QUESTION_CREATED = "event.question_created"
    EVENT_QUESTION_DELETED = "event.question_deleted"
    EVENT_QUESTION_UPDATED = "event.question_updated"
    EVENT_REGISTERED = "event.registered"
    EVENT_REGISTRATION_CANCELLED = "event.registration_cancelled"
    EVENT_REMINDER_SENT = "event.reminder_sent"
    EVENT_UPDATED = "event.updated"
    EVENT_WALKED_IN = "event.walked_in"
    # evidence
    EVIDENCE_FINDING_CHANGED = "evidence.finding_changed"
    EVIDENCE_FINDING_CREATED = "evidence.finding_created"
    EVIDENCE_IMPORT = "evidence.import"
    EVIDENCE_INTERVENTION_CHANGED = "evidence.intervention_changed"
    EVIDENCE_INTERVENTION_CREATED = "evidence.intervention_created"
    EVIDENCE_RATING_SET = "evidence.rating_set"
    EVIDENCE_STUDY_CHANGED = "evidence.study_changed"
    EVIDENCE_STUDY_CREATED = "evidence.study_created"
    # forum
    FORUM_CONVERSATION_CLOSED = "forum.conversation_closed"
    FORUM_CONVERSATION_CREATED = "forum.conversation_created"
    FORUM_CONVERSATION_EMBEDDING_SET = "forum.conversation_embedding_set"
    FORUM_CONVERSATION_EXPORTED = "forum.conversation_exported"
    FORUM_CONVERSATION_IMPORTED = "forum.conversation_imported"
    FORUM_CONVERSATION_OPENED = "forum.conversation_opened"
    FORUM_CONVERSATION_UPDATED = "forum.conversation_updated"
    FORUM_PARTICIPANT_VERIFIED = "forum.participant_verified"
    FORUM_STATEMENT_ADDED = "forum.statement_added"
    FORUM_STATEMENT_MODERATED = "forum.statement_moderated"
    # issue
    ISSUE_DRAFTED = "issue.drafted"
    ISSUE_SCHEDULED = "issue.scheduled"
    ISSUE_SENDING_RESUMED = "issue.sending_resumed"
    ISSUE_SENDING_STARTED = "issue.sending_started"
    ISSUE_SENT = "issue.sent"
    ISSUE_TEST_SENT = "issue.test_sent"
    ISSUE_UNSCHEDULED = "issue.unscheduled"
    ISSUE_UPDATED = "issue.updated"
    # news
    NEWS_SUBSCRIBER_VIEWED = "news.subscriber_viewed"
    NEWS_SUBSCRIBERS_LISTED = "news.subscribers_listed"
    NEWS_TOPIC_CREATED = "news.topic_created"
    NEWS_TOPIC_RESTORED = "news.topic_restored"
    NEWS_TOPIC_RETIRED = "news.topic_retired"
    NEWS_TOPIC_UPDATED = "news.topic_updated"
    # organisation
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_JOIN_APPROVED = "organisation.join_approved"
    ORGANISATION_JOIN_REFUSED = "organisation.join_refused"
    ORGANISATION_JOIN_REQUESTED = "organisation.join_requested"
    # panel
    PANEL_CONSENT_RECORDED = "panel.consent_recorded"
    PANEL_INVITATION_BOUNCED = "panel.invitation_bounced"
    PANEL_INVITATION_OPTED_OUT = "panel.invitation_opted_out"
    PANEL_INVITATIONS_BOUNCED = "panel.invitations_bounced"
    PANEL_INVITATIONS_SENT = "panel.invitations_sent"
    PANEL_MEMBER_ANONYMISED = "panel.member_anonymised"
    PANEL_MEMBER_CONFIRMED = "panel.member_confirmed"
    PANEL_MEMBER_DATA_EXPORTED = "panel.member_data_exported"
    PANEL_MEMBER_ERASED = "panel.member_erased"
    PANEL_MEMBER_JOINED = "panel.member_joined"
    PANEL_MEMBER_LEFT = "panel.member_left"
    PANEL_OUTSIDE_INVITATIONS_SENT = "panel.outside_invitations_sent"
    PANEL_OUTSIDE_SURVEY_CREATED = "panel.outside_survey_created"
    PANEL_POLL_CLOSED = "panel.poll_closed"
    PANEL_POLL_CREATED = "panel.poll_created"
    PANEL_POLL_OPENED = "panel.poll_opened"
    PANEL_POLL_SCHEDULED = "panel.poll_scheduled"
    PANEL_PROFILE_CHANGED = "panel.profile_changed"
    PANEL_QUESTION_ADDED = "panel.question_added"
    PANEL_QUESTION_CHANGED = "panel.question_changed"
    PANEL_QUESTION_DELETED = "panel.question_deleted"
    PANEL_QUESTION_MOVED = "panel.question_moved"
    PANEL_REMINDERS_SENT = "panel.reminders_sent"
    PANEL_RESPONSE_REVISION_STARTED = "panel.response_revision_started"
    PANEL_RESPONSE_SAVED = "panel.response_saved"
    PANEL_RESPONSE_SUBMITTED = "panel.response_submitted"
    PANEL_RESULTS_PUBLISHED = "panel.results_published"
    PANEL_RETENTION_APPLIED = "panel.retention_applied"
    PANEL_SCALE_CREATED = "panel.scale_created"
    PANEL_STUDY_CREATED = "panel.study_created"
    PANEL_STUDY_LINKED = "panel.study_linked"
    PANEL_STUDY_RESULTS_SENT = "panel.study_results_sent"
    PANEL_STUDY_UNLINKED = "panel.study_unlinked"
    # pilot
    PILOT_BUNDLE_DOWNLOADED = "pilot.bundle_downloaded"
    PILOT_BUNDLE_UPLOADED = "pilot.bundle_uploaded"
    PILOT_CONFIG_FIXED = "pilot.config_fixed"
    PILOT_CREATED = "pilot.created"
    PILOT_DATASET_DELETED = "pilot.dataset_deleted"
    PILOT_DATASET_UPLOAD_STARTED = "pilot.dataset_upload_started"
    PILOT_DATASET_UPLOADED = "pilot.dataset_uploaded"
    PILOT_INCOMING_SWEPT = "pilot.incoming_swept"
    PILOT_MODEL_FROZEN = "pilot.model_frozen"
    PILOT_REPORT_DOWNLOADED = "pilot.report_downloaded"
    PILOT_REPORT_VIEWED = "pilot.report_viewed"
    PILOT_REQUESTED = "pilot.requested"
    PILOT_RESULTS_FILLED = "pilot.results_filled"
    PILOT_RUN_CANCEL_REQUESTED = "pilot.run_cancel_requested"
    PILOT_RUN_FINISHED = "pilot.run_finished"
    PILOT_RUN_VIEWED = "pilot.run_viewed"
    PILOT_SHADOW_EVALUATED = "pilot.shadow_evaluated"
    PILOT_SHADOW_EVALUATION_STARTED = "pilot.shadow_evaluation_started"
    PILOT_SHADOW_FREEZE_STARTED = "pilot.shadow_freeze_started"
    PILOT_SHADOW_SCORED = "pilot.shadow_scored"
    PILOT_SHADOW_SCORES_DELETED = "pilot.shadow_scores_deleted"
    PILOT_SHADOW_SCORING_STARTED = "pilot.shadow_scoring_started"
    PILOT_SHADOW_VIEWED = "pilot.shadow_viewed"
    PILOT_VIEWED = "pilot.viewed"
    # post
    POST_CREATED = "post.created"
    POST_UPDATED = "post.updated"
    # post_image
    POST_IMAGE_ADDED = "post_image.added"
    # project
    PROJECT_PARTNER_SITE_ADDED = "project.partner_site_added"
    # registry
    REGISTRY_ATTACHMENT_ADDED = "registry.attachment_added"
    REGISTRY_ATTACHMENT_DOWNLOADED = "registry.attachment_downloaded"
    REGISTRY_ATTACHMENT_MISMATCH = "registry.attachment_mismatch"
    REGISTRY_ATTACHMENT_REMOVED = "registry.attachment_removed"
    REGISTRY_DRAFT_DELETED = "registry.draft_deleted"
    REGISTRY_EMBARGO_RELEASED = "registry.embargo_released"
    REGISTRY_ORCID_SET = "registry.orcid_set"
    REGISTRY_PROJECT_CREATED = "registry.project_created"
    REGISTRY_PROJECT_PUBLISHED = "registry.project_published"
    REGISTRY_PROJECT_UPDATED = "registry.project_updated"
    REGISTRY_PROJECT_WITHDRAWN = "registry.project_withdrawn"
    REGISTRY_PROTOCOL_AMENDED = "registry.protocol_amended"
    REGISTRY_PROTOCOL_DRAFT_SAVED = "registry.protocol_draft_saved"
    REGISTRY_PROTOCOL_PILOT_EXPERIMENT_ADDED = "registry.protocol_pilot_experiment_added"
    REGISTRY_PROTOCOL_REGISTERED = "registry.protocol_registered"
    REGISTRY_PROTOCOL_TRIAL_ANALYSIS_REMOVED = "registry.protocol_trial_analysis_removed"
    REGISTRY_PROTOCOL_TRIAL_ANALYSIS_SET = "registry.protocol_trial_analysis_set"
    REGISTRY_REQUEST_DECIDED = "registry.request_decided"
    REGISTRY_REQUEST_MADE = "registry.request_made"
    REGISTRY_RESULTS_CORRECTION_DISCARDED = "registry.results_correction_discarded"
    REGISTRY_RESULTS_CORRECTION_STARTED = "registry.results_correction_started"
    REGISTRY_RESULTS_CREATED = "registry.results_created"
    REGISTRY_RESULTS_ENTERED = "registry.results_entered"
    REGISTRY_RESULTS_FLOW_SET = "registry.results_flow_set"
    REGISTRY_RESULTS_IMPORTED = "registry.results_imported"
    REGISTRY_RESULTS_PUBLISHED = "registry.results_published"
    REGISTRY_RESULTS_REMINDER_SENT = "registry.results_reminder_sent"
    REGISTRY_RESULTS_TRIAL_BUNDLE_IMPORTED = "registry.results_trial_bundle_imported"
    REGISTRY_RESULTS_UPDATED = "registry.results_updated"
    REGISTRY_SECONDARY_IDS_SET = "registry.secondary_ids_set"
    REGISTRY_TEAM_MEMBER_ADDED = "registry.team_member_added"
    REGISTRY_TEAM_MEMBER_REMOVED = "registry.team_member_removed"
    REGISTRY_TRIAL_ANALYSIS_FAILED = "registry.trial_analysis_failed"
    REGISTRY_TRIAL_ANALYSIS_FINISHED = "registry.trial_analysis_finished"
    REGISTRY_TRIAL_ANALYSIS_STARTED = "registry.trial_analysis_started"
    REGISTRY_TRIAL_DATA_DELETED = "registry.trial_data_deleted"
    REGISTRY_TRIAL_DATA_STORED = "registry.trial_data_stored"
    REGISTRY_TRIAL_DATA_UPLOAD_STARTED = "registry.trial_data_upload_started"
    REGISTRY_TRIAL_EVIDENCE_LINK_REMOVED = "registry.trial_evidence_link_removed"
    REGISTRY_TRIAL_EVIDENCE_LINK_SET = "registry.trial_evidence_link_set"
    REGISTRY_TRIAL_INCOMING_SWEPT = "registry.trial_incoming_swept"
    # subscriber
    SUBSCRIBER_BOUNCED = "subscriber.bounced"
    SUBSCRIBER_CONFIRMED = "subscriber.confirmed"
    SUBSCRIBER_ERASED = "subscriber.erased"
    SUBSCRIBER_EXPORTED = "subscriber.exported"
    SUBSCRIBER_IMPORTED = "subscriber.imported"
    SUBSCRIBER_MANAGE_LINK_SENT = "subscriber.manage_link_sent"
    SUBSCRIBER_SUBSCRIBED = "subscriber.subscribed"
    SUBSCRIBER_TOPICS_CHANGED = "subscriber.topics_changed"
    SUBSCRIBER_UNSUBSCRIBED = "subscriber.unsubscribed"
    # tag
    TAG_CREATED = "tag.created"
    # task
    TASK_STARTED = "task.started"
    TASK_WORKER_LOST = "task.worker_lost"
    # throttle
    THROTTLE_REFUSED = "throttle.refused"
    # user
    USER_ANONYMISED = "user.anonymised"
    USER_CREATED = "user.created"
    USER_MFA_ENROLLED = "user.mfa_enrolled"
    USER_MFA_FAILED = "user.mfa_failed"
    USER_MFA_RECOVERY_CODES_REPLACED = "user.mfa_recovery_codes_replaced"
    USER_MFA_SEEDED = "user.mfa_seeded"
    USER_MFA_SETUP_STARTED = "user.mfa_setup_started"
    USER_MFA_TURNED_OFF = "user.mfa_turned_off"
    USER_MFA_VERIFIED = "user.mfa_verified"
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105 (an action, not a password)
    USER_PASSWORD_SET_IN_ADMIN = "user.password_set_in_admin"  # noqa: S105
    USER_REGISTERED_TO_APPLY = "user.registered_to_apply"
    USER_ROLES_CHANGED = "user.roles_changed"


#: Actions written with a variable part, as the f-string pattern (``{}`` for the variable).
AUDIT_ACTION_FAMILIES: frozenset[str] = frozenset(
    {
        "call.application_{}",
        "evidence.{}_imported",
        "pilot.dataset_upload_{}",
        "pilot.run_{}",
        "registry.trial_data_{}",
        "{}.deleted_in_admin",
        "{}.{}_in_admin",
    }
)
