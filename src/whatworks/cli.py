"""The ``whatworks`` command: serve, worker, demo, createadmin, check, migrate, manage.

Problems a person can fix — a malformed or unreachable DATABASE_URL, a read-only var/, a
port already in use, a missing SECRET_KEY in production — are printed as one line that
says what is wrong and what to do, with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from django.utils.translation import gettext

EXIT_PROBLEM = 2


class CliProblem(Exception):
    """A problem the person running the command can fix; the message says how."""


def fail(message: str) -> NoReturn:
    print(f"whatworks: {message}", file=sys.stderr)
    raise SystemExit(EXIT_PROBLEM)


def _setup(*, production: bool = False) -> None:
    """Load settings and set Django up, turning configuration errors into one line."""
    if production:
        os.environ["WHATWORKS_ENV"] = "production"
        os.environ["DJANGO_SETTINGS_MODULE"] = "whatworks.config.settings.prod"
    from django.core.exceptions import ImproperlyConfigured

    from whatworks.config.env import settings_module

    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        raise CliProblem(str(exc)) from None


def _check_database() -> None:
    """Connect and write nothing; explain connection failures in one line."""
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            where = str(settings["NAME"])
            hint = "check that the folder exists and is writable, or set DATABASE_URL"
        else:
            where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}"
            where += f"/{settings.get('NAME')}"
            hint = "check DATABASE_URL and that the server is running and reachable"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CliProblem(f"cannot use the database at {where} ({reason}): {hint}.") from None
    if connection.vendor == "sqlite":
        _restrict_sqlite(str(connection.settings_dict["NAME"]))


#: Files and folders the platform creates are its own user's only (0600 and 0700): the
#: SQLite database, its -wal and -shm files, and the private data root's child-level data.
UMASK = 0o077


def _restrict_sqlite(name: str) -> None:
    """Make the SQLite database and its -wal/-shm files readable by this user only
    (files made before the umask rule are tightened too)."""
    if name.startswith("file:") or name == ":memory:":
        return
    for path in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, 0o600)


def _database_problem(exc: Exception) -> CliProblem:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return CliProblem(
            "the database is read-only (" + str(exc).splitlines()[0] + "): make ./var/ and "
            "its files writable (chmod -R u+w var) or set WHATWORKS_VAR_DIR to a writable folder."
        )
    return CliProblem(f"database error ({str(exc).splitlines()[0]}): check DATABASE_URL.")


def _run_guarded(action: Callable[[], Any]) -> Any:
    from django.db import DatabaseError

    try:
        return action()
    except DatabaseError as exc:
        raise _database_problem(exc) from None


def _pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _call(command: str, *args: str, **options: Any) -> None:
    from django.core.management import call_command

    _run_guarded(lambda: call_command(command, *args, **options))


# --- commands ------------------------------------------------------------------------


def _listen(host: str, port: int, count: int = 1) -> list[socket.socket]:
    """``count`` listening sockets on one port, or one line saying why there can be none.

    With several processes each gets a socket of its own (``SO_REUSEPORT``), so that the
    kernel spreads new connections evenly across them from the first; one shared socket
    would let whichever process is ready first take every keep-alive connection.  A plain
    bind first makes sure nothing else holds the port.
    """
    try:
        first = socket.create_server((host, port), backlog=1024)
        if count == 1 or not hasattr(socket, "SO_REUSEPORT"):
            return [first] * count
        port = first.getsockname()[1]
        first.close()
        return [
            socket.create_server((host, port), backlog=1024, reuse_port=True) for _ in range(count)
        ]
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliProblem(
                f"port {port} on {host} is already in use: stop the program using it "
                f"or choose another port, e.g. PORT={port + 1} make demo."
            ) from None
        raise CliProblem(f"cannot listen on {host}:{port} ({exc.strerror}).") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve with waitress in ``--processes`` processes on one port.

    One Python process runs one request at a time however many threads it has (the GIL),
    so to use several cores the first process binds the sockets (see :func:`_listen`) and
    starts the others with ``--listen-fd``; the kernel hands each new connection to one.
    """
    if args.listen_fd is not None:
        return _serve_inherited(args)
    # Links in e-mails and .ics files follow the port served on (unless WHATWORKS_BASE_URL
    # says otherwise; production requires it); the web processes inherit this.
    os.environ["WHATWORKS_SERVE_PORT"] = str(args.port)
    _setup()
    _check_database()
    pending = _run_guarded(_pending_migrations)
    if pending:
        raise CliProblem(
            f"the database needs {len(pending)} migration(s) first: run `whatworks migrate` "
            "(or `make demo` for a demo)."
        )
    if args.processes < 1:
        raise CliProblem(f"--processes must be 1 or more, not {args.processes}.")
    _call("collectstatic", interactive=False, verbosity=0)
    from whatworks.core.tasks_support import process_started_send

    # Raw upload files that a killed web process or worker left behind go before the
    # first request (the embedded worker sweeps again when it starts).
    _run_guarded(lambda: process_started_send(role="web"))
    from waitress import create_server

    from whatworks.config.wsgi import application

    sockets = _listen(args.host, args.port, args.processes)
    server = create_server(application, sockets=[sockets[0]], threads=args.threads)
    children = [
        ChildSupervisor(
            f"web process {n}",
            ["serve", "--listen-fd", str(sock.fileno()), "--threads", str(args.threads)],
            pass_fds=(sock.fileno(),),
        )
        for n, sock in enumerate(sockets[1:], start=2)
    ]
    if not args.no_worker:
        children.append(ChildSupervisor("embedded worker", ["worker"]))
    # SIGTERM (from a service manager) stops the children too, through the finally below.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    for child in children:
        child.start()
    processes = "" if args.processes == 1 else f", {args.processes} web processes"
    print(
        f"whatworks is running on http://{args.host}:{args.port}/ "
        f"({'without' if args.no_worker else 'with'} an embedded worker{processes}). "
        "Press Ctrl+C to stop.",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        for child in children:
            child.stop()
    return 0


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _exit_with_parent() -> None:
    """Exit as soon as the process that started this one is gone (however it ended)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _serve_inherited(args: argparse.Namespace) -> int:
    """A further web process: serve on the socket the first process bound and passed."""
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()
    _setup()
    from waitress import create_server

    from whatworks.config.wsgi import application

    sock = socket.socket(fileno=args.listen_fd)
    server = create_server(application, sockets=[sock], threads=args.threads)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()  # until the first process stops it with SIGTERM
    return 0


class ChildSupervisor:
    """Runs a ``whatworks`` subcommand as a child process and restarts it if it dies."""

    def __init__(self, name: str, argv: list[str], pass_fds: Sequence[int] = ()) -> None:
        self.name = name
        self.argv = argv
        self.pass_fds = tuple(pass_fds)
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"{name} supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own subcommands, built above)
            [sys.executable, "-m", "whatworks.cli", *self.argv],
            env=os.environ.copy(),
            pass_fds=self.pass_fds,
        )

    def _watch(self) -> None:
        while not self._stopping.wait(2.0):
            if self.process is not None and self.process.poll() is not None:
                print(
                    f"whatworks: the {self.name} exited ({self.process.returncode}); "
                    "starting it again.",
                    file=sys.stderr,
                    flush=True,
                )
                self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    _check_database()
    options: dict[str, Any] = {"interval": args.interval, "batch": args.batch}
    if args.worker_id:
        options["worker_id"] = args.worker_id
    _call("worker", **options)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    _check_database()
    from django.core.management.base import CommandError

    try:
        _call("demo", **({} if args.only is None else {"only": args.only}))
    except CommandError as exc:
        raise CliProblem(str(exc)) from None
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _check_database()
    _call("migrate", interactive=False)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    _setup()
    _check_database()
    from django.core.management.base import CommandError

    try:
        _call("createadmin", email=args.email, name=args.name)
    except CommandError as exc:
        raise CliProblem(str(exc)) from None
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup(production=args.deploy)
    from django.core.management.base import SystemCheckError

    try:
        if args.deploy:
            _call("check", deploy=True, fail_level="WARNING")
        else:
            _call("check")
    except SystemCheckError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    _check_database()
    print("The database answers.")
    if args.audit:
        status = _run_guarded(_check_audit)
        if status:
            return int(status)
    if args.queue:
        return _check_queue(timeout=args.timeout)
    return 0


def _check_audit() -> int:
    """Verify the audit log's hash chain; name the first entry that does not add up."""
    from whatworks.core.selectors import audit_chain_verify

    report = audit_chain_verify()
    if report.intact:
        print(
            f"The audit log's {report.entries} entries chain up; head {report.head or '(empty)'} "
            "(keep this hash elsewhere to notice if newer entries are cut off)."
        )
        return 0
    print(
        f"whatworks: audit entry #{report.broken_id} breaks the chain ({report.reason}); "
        f"the {report.entries - 1} entries before it are intact. Restore the log from a "
        "backup and investigate who had write access to the database.",
        file=sys.stderr,
    )
    return 1


def _check_queue(*, timeout: float) -> int:
    """Enqueue a self-check task and wait for a worker to finish it."""
    from whatworks.core import jobs
    from whatworks.core.services.background import task_start
    from whatworks.core.tasks_support import task_state

    record = task_start(
        actor=None,
        kind="queue_selfcheck",
        label=gettext("Queue self-check"),
        job=jobs.QUEUE_SELFCHECK,
        args=[2, 0.05],
    )
    record.refresh_from_db()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = task_state(record).status
        if status == "SUCCESSFUL":
            print("A worker ran the self-check task.")
            return 0
        if status == "FAILED":
            print("whatworks: the self-check task failed; see the worker's log.", file=sys.stderr)
            return 1
        time.sleep(0.2)
    print(
        f"whatworks: no worker ran the self-check task within {timeout:g} s: start one with "
        "`whatworks worker` (or `whatworks serve`).",
        file=sys.stderr,
    )
    return 1


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["whatworks manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whatworks",
        description="Run the whatworks platform. Configuration comes from the environment; "
        "see .env.example.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", help="Serve the web app with an embedded task worker.")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "8")))
    serve.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("WEB_PROCESSES", "1")),
        help="Web processes sharing the port (one per core uses every core).",
    )
    serve.add_argument("--no-worker", action="store_true", help="Serve the web app only.")
    serve.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", help="Run a background task worker.")
    worker.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")
    worker.add_argument("--interval", type=float, default=1.0)
    worker.add_argument("--worker-id", default="")
    worker.set_defaults(handler=cmd_worker)

    demo = sub.add_parser("demo", help="Migrate and load demo content and accounts.")
    demo.add_argument(
        "--only",
        default=None,
        metavar="PARTS",
        help="Load only these parts' demo content (comma-separated, e.g. evidence,news; "
        "empty for the accounts alone).",
    )
    demo.set_defaults(handler=cmd_demo)

    migrate = sub.add_parser("migrate", help="Bring the database schema up to date.")
    migrate.set_defaults(handler=cmd_migrate)

    admin = sub.add_parser("createadmin", help="Create an administrator account.")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="")
    admin.set_defaults(handler=cmd_createadmin)

    check = sub.add_parser("check", help="Check the configuration and the database.")
    check.add_argument("--deploy", action="store_true", help="Use production settings.")
    check.add_argument("--queue", action="store_true", help="Also wait for a worker to run a task.")
    check.add_argument(
        "--audit", action="store_true", help="Also verify the audit log's hash chain."
    )
    check.add_argument("--timeout", type=float, default=30.0)
    check.set_defaults(handler=cmd_check)

    manage = sub.add_parser("manage", help="Run any Django management command.")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(UMASK)  # before anything is created; children inherit it
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CliProblem as exc:
        fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
