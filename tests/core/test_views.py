from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.fixturetypes import ClientFor
from whatworks.core.roles import Role
from whatworks.core.services.audit import audit_record

pytestmark = pytest.mark.django_db


def test_sign_in_with_email_and_password(client: Client) -> None:
    UserFactory.create(email="sam@example.test")
    response = client.post(
        reverse("core:login"), {"username": "SAM@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert "_auth_user_id" in client.session


def test_a_wrong_password_shows_an_error_summary(client: Client) -> None:
    UserFactory.create(email="sam@example.test")
    response = client.post(
        reverse("core:login"), {"username": "sam@example.test", "password": "no"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "<title>Error: Sign in" in page


def test_repeated_failures_lock_the_account_out(client: Client) -> None:
    UserFactory.create(email="sam@example.test")
    for _ in range(3):  # AXES_FAILURE_LIMIT in test settings
        client.post(reverse("core:login"), {"username": "sam@example.test", "password": "bad"})
    response = client.post(
        reverse("core:login"), {"username": "sam@example.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("variant", ["SAM@example.test", "  sam@example.test ", "Sam@Example.Test"])
def test_the_lock_out_ignores_case_and_spaces_as_sign_in_does(client: Client, variant: str) -> None:
    """Retyping the address in capitals or with spaces gives no fresh attempts."""
    UserFactory.create(email="sam@example.test")
    for _ in range(2):
        client.post(reverse("core:login"), {"username": "sam@example.test", "password": "bad"})
    client.post(reverse("core:login"), {"username": variant, "password": "bad"})
    response = client.post(reverse("core:login"), {"username": variant, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get(reverse("core:logout")).status_code == 405
    assert client.post(reverse("core:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link(client: Client) -> None:
    user = UserFactory.create(email="sam@example.test")
    response = client.post(reverse("core:password_reset"), {"email": "sam@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.test"]
    link = next(line for line in message.body.splitlines() if "/account/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert "Choose a new password" in response.content.decode()
    new = "a brand new long passphrase"
    response = client.post(
        response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_reset_for_an_unknown_address_sends_nothing(client: Client) -> None:
    response = client.post(reverse("core:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_healthz_tells_visitors_only_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("role", ["registered", "researcher", "editor"])
def test_healthz_gives_no_details_to_other_roles(client_for: ClientFor, role: str) -> None:
    assert client_for(role).get("/healthz").json() == {"status": "ok"}


def test_healthz_reports_the_database_and_the_queue_to_admins(client_for: ClientFor) -> None:
    response = client_for("admin").get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": "ok", "task_queue": "ok"}
    assert body["workers_alive"] == 0


def test_healthz_answers_503_when_the_queue_is_unusable(
    client: Client, client_for: ClientFor
) -> None:
    from django_tasks_db.models import DBTaskResult

    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    with connection.cursor() as cursor:  # undone when the test's transaction rolls back
        cursor.execute(f"ALTER TABLE {table} RENAME TO whatworks_hidden_queue")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    response = client_for("admin").get("/healthz")
    assert response.json()["checks"]["task_queue"] == "unavailable"


def test_security_headers(client: Client) -> None:
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_friendly_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_audit_log_filters_and_reports_bad_dates(client: Client) -> None:
    admin = UserFactory.create(roles=frozenset({Role.ADMIN}))
    client.force_login(admin)
    audit_record(actor=None, action="thing.made")
    audit_record(actor=admin, action="other.done")
    page = client.get(reverse("core:audit_log"), {"action": "thing"}).content.decode()
    assert "<code>thing.made</code>" in page
    assert "<code>other.done</code>" not in page
    page = client.get(reverse("core:audit_log"), {"since": "31/01/2026"}).content.decode()
    assert "There is a problem" in page
    assert "Enter a date as YYYY-MM-DD" in page
    assert (
        "<code>other.done</code>" in page
    )  # the other filters still apply; the bad one is ignored


def test_audit_log_paginates(client: Client) -> None:
    client.force_login(UserFactory.create(roles=frozenset({Role.ADMIN})))
    for i in range(60):
        audit_record(actor=None, action=f"bulk.{i}")
    page = client.get(reverse("core:audit_log"), {"action": "bulk", "page": "2"}).content.decode()
    assert "Page 2 of 2" in page


def test_server_error_page_renders_without_the_database(rf: RequestFactory) -> None:
    from whatworks.core.views.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert 'href="#main-content"' in page


def test_sqlite_runs_in_wal_mode() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
