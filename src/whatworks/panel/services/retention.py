"""Retention of the panel's personal data, run daily (``panel_retention`` or the task).

Three rules, each after a number of days read from the settings (module defaults here
until the settings name them):

* sign-ups never confirmed are deleted ``WHATWORKS_PANEL_UNCONFIRMED_DAYS`` after the
  request (someone who had been a member before and asked to rejoin has their identity
  removed instead, as at erasure level 2, so that their anonymised answers stay);
* members who left the panel more than ``WHATWORKS_PANEL_LEFT_DAYS`` ago have their identity
  removed, keeping their anonymised answers (erasure level 2, ``member_anonymise``);
* invitations to polls closed more than ``WHATWORKS_PANEL_CLOSED_POLL_DAYS`` ago lose their
  token (the link stops working) and the link to the member, and so to the e-mail address;
  disposition, region and role stay for the response rates.

Each run writes one audit entry with counts and the day limits, never an address; each
member whose identity is removed gets the same audit entry as erasure level 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from whatworks.core.audit_actions import AuditAction
from whatworks.core.models import User
from whatworks.core.services.audit import audit_record
from whatworks.panel.models import ConsentRecord, Invitation, PanelMember, Poll
from whatworks.panel.services.members import member_anonymise

#: Defaults, in days, until ``config/settings/base.py`` reads them from the environment.
UNCONFIRMED_DAYS = 30
LEFT_DAYS = 90
CLOSED_POLL_DAYS = 180

#: What a dropped token hash becomes: not 64 hex digits, so no token can ever match it.
DROPPED_TOKEN_PREFIX = "dropped:"  # noqa: S105 (a marker, not a secret)


def _days(name: str, default: int, given: int | None) -> int:
    days = given if given is not None else int(getattr(settings, name, default))
    if days < 0:
        raise ValueError(f"{name} must not be negative")
    return days


@dataclass(frozen=True)
class RetentionReport:
    unconfirmed_deleted: int
    rejoin_requests_anonymised: int
    left_anonymised: int
    invitations_cleared: int
    unconfirmed_days: int
    left_days: int
    closed_poll_days: int


@transaction.atomic
def panel_retention_apply(
    *,
    actor: User | None = None,
    now: datetime | None = None,
    unconfirmed_days: int | None = None,
    left_days: int | None = None,
    closed_poll_days: int | None = None,
) -> RetentionReport:
    """Apply the three retention rules once; return what was done (also audited)."""
    now = now or timezone.now()
    unconfirmed_days = _days("WHATWORKS_PANEL_UNCONFIRMED_DAYS", UNCONFIRMED_DAYS, unconfirmed_days)
    left_days = _days("WHATWORKS_PANEL_LEFT_DAYS", LEFT_DAYS, left_days)
    closed_poll_days = _days("WHATWORKS_PANEL_CLOSED_POLL_DAYS", CLOSED_POLL_DAYS, closed_poll_days)

    # 1. Sign-ups still waiting for confirmation, counted from the latest request to join.
    pending = (
        PanelMember.objects.filter(status=PanelMember.Status.PENDING)
        .annotate(
            requested=Coalesce(
                Max(
                    "consents__recorded_at",
                    filter=Q(
                        consents__purpose=ConsentRecord.Purpose.MEMBERSHIP, consents__granted=True
                    ),
                ),
                "created_at",
            )
        )
        .filter(requested__lt=now - timedelta(days=unconfirmed_days))
    )
    deleted = rejoin = 0
    due = list(pending.values_list("pk", flat=True))
    for member in PanelMember.objects.filter(pk__in=due).order_by("pk"):
        if member.confirmed_at is None and not member.responses.exists():
            member.delete()  # never a member: consents go with it; no answers exist
            deleted += 1
        else:
            member_anonymise(actor=actor, member=member)
            rejoin += 1

    # 2. Members who left long enough ago: identity removed, anonymised answers kept.
    left = 0
    for member in PanelMember.objects.filter(
        status=PanelMember.Status.LEFT, left_at__lt=now - timedelta(days=left_days)
    ).order_by("pk"):
        member_anonymise(actor=actor, member=member)
        left += 1

    # 3. Invitations to polls closed long enough ago: no token, no link to the member.
    old_polls = Poll.objects.filter(
        status=Poll.Status.CLOSED, closed_at__lt=now - timedelta(days=closed_poll_days)
    )
    stale = Invitation.objects.filter(poll__in=old_polls).filter(
        Q(member__isnull=False) | ~Q(token_hash__startswith=DROPPED_TOKEN_PREFIX)
    )
    cleared = 0
    for pk in stale.values_list("pk", flat=True).order_by("pk"):
        cleared += Invitation.objects.filter(pk=pk).update(
            member=None, token_hash=f"{DROPPED_TOKEN_PREFIX}{pk}"
        )

    report = RetentionReport(
        unconfirmed_deleted=deleted,
        rejoin_requests_anonymised=rejoin,
        left_anonymised=left,
        invitations_cleared=cleared,
        unconfirmed_days=unconfirmed_days,
        left_days=left_days,
        closed_poll_days=closed_poll_days,
    )
    audit_record(actor=actor, action=AuditAction.PANEL_RETENTION_APPLIED, changes=asdict(report))
    return report
