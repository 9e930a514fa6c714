"""The ``whatworks`` command, run as a person would: in a fresh process, with its own var/.

Bad configuration must give one line that says what is wrong and what to do, exit 2, no
traceback, and lose nothing already stored.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run(args: list[str], var: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "WHATWORKS_ENV",
            "WHATWORKS_PSEUDONYM_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests in the same process
        }
    }
    return subprocess.run(
        [sys.executable, "-m", "whatworks.cli", *args],
        env={**clean, "WHATWORKS_VAR_DIR": str(var), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def production_secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "WHATWORKS_PSEUDONYM_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "whatworks.example.org",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
        "WHATWORKS_BASE_URL": "https://whatworks.example.org",
    }


@pytest.fixture(scope="session")
def template_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var/ with a migrated database, made once per test process and copied per test."""
    var = tmp_path_factory.mktemp("template-var")
    result = run(["migrate"], var)
    assert result.returncode == 0, result.stderr
    return var


@pytest.fixture
def migrated_var(template_var: Path, tmp_path: Path) -> Path:
    var = tmp_path / "var"
    shutil.copytree(template_var, var)
    return var


def assert_one_line_problem(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def _row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith(("sqlite_", "django_tasks", "axes_")) and "_fts" not in name
        ]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


#: Columns holding people's names and addresses, by table (docs/ARCHITECTURE.md: the audit
#: log names people by number, never by name or e-mail).
PERSONAL_COLUMNS = {
    "core_user": ("email", "first_name", "last_name", "username"),
    "news_authorprofile": ("display_name", "slug"),
    "news_subscriber": ("email",),
    "events_registration": ("name", "email"),
    "panel_member": ("email", "name"),
    "calls_application": ("contact_name", "contact_email"),
}


def _assert_audit_log_names_nobody(database: Path) -> None:
    """No name or address stored anywhere in the demo appears in its audit log."""
    with sqlite3.connect(database) as db:
        values: set[str] = set()
        for table, wanted in PERSONAL_COLUMNS.items():
            columns = {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')}
            for column in set(wanted) & columns:
                query = f'SELECT DISTINCT "{column}" FROM "{table}"'  # noqa: S608
                values |= {v for (v,) in db.execute(query) if isinstance(v, str) and len(v) >= 4}
        assert len(values) > 10, "the demo's people were not found: has a table been renamed?"
        # A name that a published post prints (an appointment announced in the news) is
        # the post's public content, audited as such.
        published = " ".join(
            " ".join(row) for row in db.execute("SELECT title, summary, body FROM news_post")
        ).casefold()
        values = {v for v in values if v.casefold() not in published}
        entries = db.execute(
            "SELECT id, action, actor_label, object_repr, changes FROM core_auditentry"
        ).fetchall()
    assert entries, "the demo writes audit entries"
    leaks = [
        (entry[0], entry[1], value)
        for entry in entries
        for value in values
        if value.casefold() in " ".join(str(f) for f in entry[2:]).casefold()
    ]
    assert leaks == [], f"audit entries name people: {leaks[:10]}"


def test_demo_is_idempotent_and_keeps_what_was_added(migrated_var: Path) -> None:
    tmp_path = migrated_var
    first = run(["demo"], tmp_path, WHATWORKS_DEMO_PASSWORD="demo password 123")
    assert first.returncode == 0, first.stderr
    for email in (
        "admin@demo.test",
        "editor@demo.test",
        "researcher@demo.test",
        "analyst.a@demo.test",
        "analyst.b@demo.test",
        "member@demo.test",
    ):
        assert email in first.stdout
    database = tmp_path / "whatworks.sqlite3"
    _assert_audit_log_names_nobody(database)
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO core_organisation (name, slug, kind, region, created_at)"
            " VALUES ('Added Later', 'added-later', 'other', '', '2026-01-01')"
        )
    before = _row_counts(database)
    assert before["core_user"] >= 6
    second = run(["demo"], tmp_path, WHATWORKS_DEMO_PASSWORD="demo password 123")
    assert second.returncode == 0, second.stderr
    assert "(already there)" in second.stdout
    after = _row_counts(database)
    grown = {t: (before[t], after[t]) for t in before if after[t] != before[t]}
    assert grown == {}, f"a second demo run changed these tables: {grown}"
    with sqlite3.connect(database) as db:
        assert db.execute(
            "SELECT COUNT(*) FROM core_organisation WHERE slug='added-later'"
        ).fetchone() == (1,)


def test_demo_generates_and_prints_a_password_once(migrated_var: Path) -> None:
    tmp_path = migrated_var
    first = run(["demo", "--only", ""], tmp_path)
    line = next(x for x in first.stdout.splitlines() if x.startswith("Password for every"))
    password = line.rsplit(" ", 1)[1]
    assert len(password) >= 12
    second = run(["demo", "--only", ""], tmp_path)
    assert f"Password for every demo account: {password}" in second.stdout


def test_demo_refuses_in_production(tmp_path: Path) -> None:
    result = run(["demo"], tmp_path, WHATWORKS_ENV="production", **production_secrets())
    assert_one_line_problem(result, "never created in production")


def test_malformed_database_url(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, DATABASE_URL="mysq://nowhere")
    assert_one_line_problem(result, "DATABASE_URL", "postgres://")


def test_unreachable_database(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, DATABASE_URL="postgres://nobody:secret@127.0.0.1:1/x")
    assert_one_line_problem(result, "cannot use the database at 127.0.0.1:1/x", "DATABASE_URL")
    assert "secret" not in result.stderr


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` truly read-only, even for root: a read-only bind mount over itself."""
    mounted = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({mounted.stderr.strip()!r}); needs root")
    try:
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(path)],
            check=True,
            capture_output=True,
        )
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_read_only_var_directory(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    with read_only(var):
        result = run(["migrate"], var)
    assert_one_line_problem(result, "read-only", "writable")


def test_read_only_var_with_data_is_reported_and_left_intact(migrated_var: Path) -> None:
    var = migrated_var
    result = run(["demo", "--only", ""], var, WHATWORKS_DEMO_PASSWORD="demo password 123")
    assert result.returncode == 0, result.stderr
    database = var / "whatworks.sqlite3"
    before = database.read_bytes()
    with read_only(var):
        result = run(["demo"], var, WHATWORKS_DEMO_PASSWORD="another password 456")
    assert_one_line_problem(result, "read-only", "writable")
    assert database.read_bytes() == before


def test_missing_secret_key_in_production(tmp_path: Path) -> None:
    result = run(["check"], tmp_path, WHATWORKS_ENV="production", ALLOWED_HOSTS="example.org")
    assert_one_line_problem(result, "SECRET_KEY is not set", "WHATWORKS_ENV=production")


def test_production_refuses_to_start_without_a_base_url(tmp_path: Path) -> None:
    env = {k: v for k, v in production_secrets().items() if k != "WHATWORKS_BASE_URL"}
    result = run(["check", "--deploy"], tmp_path, **env)
    assert_one_line_problem(result, "WHATWORKS_BASE_URL is not set", "WHATWORKS_ENV=production")


def _base_url(tmp_path: Path, **env: str) -> str:
    code = "from django.conf import settings; print(settings.WHATWORKS_BASE_URL)"
    result = run(["manage", "shell", "-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_demo_base_url_follows_the_port(tmp_path: Path) -> None:
    # `PORT=8102 make demo` runs `whatworks demo` and `whatworks serve --port 8102`
    assert _base_url(tmp_path, PORT="8102") == "http://localhost:8102"
    assert _base_url(tmp_path, WHATWORKS_SERVE_PORT="8103", PORT="8102") == (
        "http://localhost:8103"
    )
    assert _base_url(tmp_path, PORT="8102", WHATWORKS_BASE_URL="https://a.example/") == (
        "https://a.example"
    )


def test_serve_passes_its_port_to_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from whatworks import cli

    class Stop(Exception):
        pass

    def stop(**_: object) -> None:
        raise Stop

    monkeypatch.delenv("WHATWORKS_SERVE_PORT", raising=False)
    monkeypatch.setattr(cli, "_setup", stop)
    args = cli.build_parser().parse_args(["serve", "--port", "8102"])
    with pytest.raises(Stop):
        cli.cmd_serve(args)
    assert os.environ["WHATWORKS_SERVE_PORT"] == "8102"


@pytest.mark.parametrize(
    ("setting", "value", "phrases"),
    [
        ("EMAIL_URL", "consolemail://", ("EMAIL_URL", "console", "smtp+tls://")),
        ("WHATWORKS_BASE_URL", "http://localhost:8000", ("WHATWORKS_BASE_URL", "local address")),
        ("WHATWORKS_BASE_URL", "https://127.0.0.1", ("WHATWORKS_BASE_URL", "public address")),
        ("WHATWORKS_BASE_URL", "http://whatworks.example.org", ("not HTTPS", "https://")),
    ],
)
def test_check_deploy_refuses_what_cannot_reach_people(
    tmp_path: Path, setting: str, value: str, phrases: tuple[str, ...]
) -> None:
    result = run(["check", "--deploy"], tmp_path, **{**production_secrets(), setting: value})
    assert_one_line_problem(result, *phrases)


def test_port_already_in_use(migrated_var: Path) -> None:
    tmp_path = migrated_var
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["serve", "--no-worker", "--port", str(port)], tmp_path)
    assert_one_line_problem(result, f"port {port}", "already in use", f"PORT={port + 1}")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run(["serve", "--no-worker", "--port", "0"], tmp_path)
    assert_one_line_problem(result, "whatworks migrate")


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = run(["check", "--deploy"], tmp_path, **production_secrets())
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_queue_fails_clearly_without_a_worker(migrated_var: Path) -> None:
    tmp_path = migrated_var
    result = run(["check", "--queue", "--timeout", "1"], tmp_path)
    assert result.returncode == 1
    assert "no worker ran the self-check task" in result.stderr


def test_manage_py_still_works(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**os.environ, "WHATWORKS_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_demo_only_refuses_an_unknown_part(migrated_var: Path) -> None:
    result = run(["demo", "--only", "evidence,nonsense"], migrated_var)
    assert_one_line_problem(result, "No demo content for nonsense", "choose from")


def _children(pid: int) -> dict[int, str]:
    """Command lines of the processes whose parent is ``pid`` (Linux /proc), by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(entry.name)] = cmdline
    return found


def _running(pid: int) -> bool:
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return False


def _serve_two_processes(var: Path) -> tuple[subprocess.Popen[str], int, int]:
    """Start ``serve --processes 2``; wait until it answers; (server, port, helper pid)."""
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "whatworks.cli", "serve", "--no-worker"),
            *("--processes", "2", "--port", str(port)),
        ],
        env={**clean, "WHATWORKS_VAR_DIR": str(var)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Polls until the server answers; the deadline only stops a hung test (a loaded
    # 2-core machine has taken minutes to start Django in two processes).
    deadline = time.monotonic() + 600
    while True:
        assert server.poll() is None, server.communicate()[0]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                assert r.status == 200
            break
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.3)
    helpers = [pid for pid, cmd in _children(server.pid).items() if "--listen-fd" in cmd]
    assert len(helpers) == 1, _children(server.pid)
    return server, port, helpers[0]


def _gone(pid: int, within: float = 300.0) -> bool:
    """Whether ``pid`` has exited; polls, and gives up only after a hung test's safety net."""
    import time

    deadline = time.monotonic() + within
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _running(pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_serve_runs_several_web_processes_on_one_port_and_stops_them(migrated_var: Path) -> None:
    import urllib.request

    server, port, helper = _serve_two_processes(migrated_var)
    try:
        for _ in range(20):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=300) as r:
                assert r.status == 200
    finally:
        server.send_signal(signal.SIGTERM)  # as a service manager stops it
        server.communicate(timeout=300)
    assert _gone(helper), "the second web process outlived the first"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_web_process_exits_when_the_first_is_killed(migrated_var: Path) -> None:
    server, _port, helper = _serve_two_processes(migrated_var)
    server.kill()
    server.communicate(timeout=300)
    assert _gone(helper), "an orphaned web process kept the port"


def test_migrate_makes_the_database_and_var_private(template_var: Path) -> None:
    """The SQLite file (and its -wal/-shm) and var/ are the platform user's only."""
    import stat

    database = template_var / "whatworks.sqlite3"
    assert database.exists()
    for path in (database, template_var / f"{database.name}-wal", template_var / "secret_key"):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(template_var.stat().st_mode) & 0o077 == 0


def _leftovers(var: Path) -> list[Path]:
    """Raw files as a killed web process and a killed worker would leave them."""
    incoming = var / "private" / "pilots" / "incoming"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    paths = [
        incoming / "0d6f3c5e-0000-4000-8000-000000000001" / "tables" / "children.csv",
        incoming / "receiving" / f"{socket.gethostname()}-{dead.pid}-ab12" / "000",
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("child_id\nC424242\n")
    return paths


def test_a_worker_start_sweeps_the_scratch_area(migrated_var: Path) -> None:
    paths = _leftovers(migrated_var)
    result = run(["worker", "--batch"], migrated_var)
    assert result.returncode == 0, result.stderr
    assert not any(p.exists() for p in paths)
    assert oct((migrated_var / "private").stat().st_mode & 0o777) == oct(0o700)


def test_serve_sweeps_the_scratch_area_before_it_answers(migrated_var: Path) -> None:
    paths = _leftovers(migrated_var)
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "whatworks.cli", "serve", "--no-worker", "--port", "0"],
        env={**clean, "WHATWORKS_VAR_DIR": str(migrated_var)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # until it says it is running (the sweep came first)
            if "whatworks is running" in line:
                break
        assert not any(p.exists() for p in paths)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=300)
