"""Demo content: organisations and one account per role, then each part's own demo.

Idempotent: every object is looked up by a natural key first, so running it again neither
duplicates demo content nor touches anything people added since.  Refuses in production.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.apps import apps
from django.conf import settings
from django.db import transaction

from whatworks.core import extensions, mfa
from whatworks.core.errors import DemoError
from whatworks.core.models import Organisation, User
from whatworks.core.roles import Role
from whatworks.core.services import mfa as mfa_services
from whatworks.core.services.organisations import organisation_create
from whatworks.core.services.users import (
    generate_password,
    roles_sync,
    user_create,
    user_set_password,
)


class Writer(Protocol):
    def write(self, text: str) -> object: ...


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role_label: str
    roles: frozenset[Role]
    organisation_slug: str | None = None


DEMO_ORGANISATIONS = (
    (
        "Northmoor Borough Council (demo)",
        "northmoor",
        Organisation.Kind.LOCAL_AUTHORITY,
        "north-west",
    ),
    (
        "Southvale County Council (demo)",
        "southvale",
        Organisation.Kind.LOCAL_AUTHORITY,
        "south-east",
    ),
    ("What Works Centre (demo)", "centre", Organisation.Kind.CHARITY, ""),
)

DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.test", "Ada Admin", "administrator", frozenset({Role.ADMIN}), "centre"),
    DemoAccount("editor@demo.test", "Eden Editor", "editor", frozenset({Role.EDITOR}), "centre"),
    DemoAccount(
        "researcher@demo.test",
        "Rae Researcher",
        "researcher",
        frozenset({Role.RESEARCHER}),
        "centre",
    ),
    DemoAccount(
        "analyst.a@demo.test",
        "Ari Analyst",
        "LA analyst, Northmoor",
        frozenset({Role.LA_ANALYST}),
        "northmoor",
    ),
    DemoAccount(
        "analyst.b@demo.test",
        "Bea Analyst",
        "LA analyst, Southvale",
        frozenset({Role.LA_ANALYST}),
        "southvale",
    ),
    DemoAccount(
        "member@demo.test",
        "Mo Member",
        "panel member and forum participant",
        frozenset({Role.PANEL_MEMBER, Role.FORUM_PARTICIPANT}),
    ),
)


#: The authenticator-app secret of every demo account whose role needs a second factor
#: (administrator, editors, LA analysts).  Known on purpose: demo content never reaches
#: production (``demo_load`` refuses there).  ``whatworks manage demo_code`` prints the
#: current code for reviewers without an app.
DEMO_TOTP_SECRET = "DEMO WHAT WORK SAPP 2345 6723 4567 ABCD"  # noqa: S105 - demo only


def demo_password() -> tuple[str, bool]:
    """WHATWORKS_DEMO_PASSWORD, else one generated once and kept in var/ (0600).

    Returns the password and whether it was generated (so the caller prints it).
    """
    given = settings.WHATWORKS_DEMO_PASSWORD
    if given:
        return given, False
    path = Path(settings.VAR_DIR) / "demo_password"
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), True
    password = generate_password()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password)
    return password, True


@transaction.atomic
def demo_load_core(*, password: str) -> list[tuple[DemoAccount, bool]]:
    """Create the demo organisations and accounts that are missing; return (account, created)."""
    roles_sync()
    organisations = {}
    for name, slug, kind, region in DEMO_ORGANISATIONS:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            organisation = organisation_create(
                actor=None, name=name, slug=slug, kind=kind, region=region
            )
        organisations[slug] = organisation
    results = []
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = user_create(
                actor=None,
                email=account.email,
                password=password,
                full_name=account.full_name,
                organisation=organisations.get(account.organisation_slug or ""),
                roles=account.roles,
            )
            results.append((account, True))
        else:
            if not user.check_password(password):
                user_set_password(actor=None, user=user, password=password)
            results.append((account, False))
        if account.roles & mfa.MFA_ROLES:
            mfa_services.app_seed(actor=None, user=user, secret_base32=DEMO_TOTP_SECRET)
    return results


def demo_project_reference(*, title: str = "", title_contains: str = "") -> str:
    """The identifier of the registry's demo project with this title (or a title that
    contains ``title_contains``), or "" when the registry or the project is absent.

    For the parts' demos, which link their content to registry projects: asked through
    the core's ``demo_projects`` extension point, which the registry fills, since the
    parts do not import one another (the registry's demo loads first).
    """
    found = extensions.demo_projects.collect(
        lambda _registration, reference: str(reference) or None,
        title=title,
        title_contains=title_contains,
    )
    return found[0] if found else ""


def part_demo_loaders() -> list[tuple[str, Callable[..., object]]]:
    """Each app may offer ``<app>/demo.py`` with ``load(*, stdout)``; they run in app order."""
    loaders = []
    for config in apps.get_app_configs():
        if not config.name.startswith("whatworks.") or config.name == "whatworks.core":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.demo":
                continue
            raise
        loaders.append((config.label, module.load))
    return loaders


def demo_load(*, stdout: Writer, only: frozenset[str] | None = None) -> None:
    """Load the demo accounts, then every part's demo content (or only the parts in ``only``,
    by app label: ``frozenset()`` loads the accounts alone)."""
    if settings.WHATWORKS_ENV == "production":
        raise DemoError(
            "Demo accounts are never created in production (WHATWORKS_ENV=production). "
            "Use `whatworks createadmin` to make the first account."
        )
    password, generated = demo_password()
    accounts = demo_load_core(password=password)
    loaders = part_demo_loaders()
    unknown = (only or frozenset()) - {label for label, _ in loaders}
    if unknown:
        raise DemoError(
            f"No demo content for {', '.join(sorted(unknown))}: choose from "
            f"{', '.join(label for label, _ in loaders)}."
        )
    for label, load in loaders:
        if only is not None and label not in only:
            continue
        stdout.write(f"Loading demo content: {label}\n")
        load(stdout=stdout)
    stdout.write("\nDemo accounts (one per role):\n")
    for account, created in accounts:
        note = "" if created else " (already there)"
        code = " [asks for a code]" if account.roles & mfa.MFA_ROLES else ""
        stdout.write(f"  {account.email:<24} {account.role_label}{code}{note}\n")
    if generated:
        stdout.write(f"\nPassword for every demo account: {password}\n")
        stdout.write("(set WHATWORKS_DEMO_PASSWORD to choose your own)\n")
    else:
        stdout.write("\nPassword for every demo account: the value of WHATWORKS_DEMO_PASSWORD\n")
    stdout.write(
        "\nAccounts marked [asks for a code] sign in with a second step: add the key\n"
        f"  {DEMO_TOTP_SECRET}\n"
        "to an authenticator app (time-based, 6 digits), or print the current code with\n"
        "  whatworks manage demo_code\n"
    )
