import logging
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from whatworks.core.tasks_support import make_worker


class Command(BaseCommand):
    help = (
        "Run a background task worker with a heartbeat; tasks of workers that died are "
        "marked failed. Run as many as you need, on any machine that reaches the database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--worker-id", default="", help="Unique id (default: random).")

    def handle(
        self, *args: Any, batch: bool, interval: float, worker_id: str, **options: Any
    ) -> None:
        level = logging.WARNING if options["verbosity"] == 0 else logging.INFO
        for name in ("django_tasks", "django.tasks", "django_tasks_db", "whatworks"):
            logging.getLogger(name).setLevel(level)
        worker = make_worker(
            worker_id=worker_id or get_random_string(32), batch=batch, interval=interval
        )
        worker.configure_signals()
        worker.run()
