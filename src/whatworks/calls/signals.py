"""Extension points of calls for partners (documented signals, as in pretix).

``application_accepted``
    Sent when an application is accepted, *inside* the accepting transaction, so that a
    receiver's writes commit or roll back with the acceptance, and an exception raised by a
    receiver refuses the acceptance (the applicant sees its message if it is a
    :class:`whatworks.core.errors.WhatworksError`).

    Arguments:

    - ``sender``: the :class:`whatworks.calls.models.Call` class.
    - ``application``: the accepted :class:`whatworks.calls.models.Application`.
    - ``organisation``: the applicant's :class:`whatworks.core.models.Organisation`, which
      becomes a partner site.
    - ``project_ref``: the call's ``project_ref`` string, the identifier of the research
      project the organisation joins ("" when the call names none).
    - ``actor``: the :class:`whatworks.core.models.User` who accepted it.

    The research registry connects to it in its ``AppConfig.ready()``::

        from whatworks.calls.signals import application_accepted
        application_accepted.connect(on_application_accepted, dispatch_uid="registry.partner")
"""

from __future__ import annotations

from django.dispatch import Signal

application_accepted = Signal()
