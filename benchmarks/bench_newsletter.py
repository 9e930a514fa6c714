"""Benchmark sending a newsletter issue to 50,000 subscribers through the task queue.

Target (issue 9): sent without loading all subscribers into memory; per-recipient status.

    uv run --frozen python benchmarks/bench_newsletter.py [--subscribers N] [--batch B]

Sets up a fresh SQLite database (WAL) in a temporary folder, adds N confirmed subscribers
(bulk inserts, not timed), drafts an issue and sends it with ``issue_send``; a
django-tasks worker then runs every batch task in this process, exactly as
``whatworks worker`` would, with Django's dummy e-mail backend (messages are built with
their per-subscriber unsubscribe headers, then dropped, so nothing is kept in memory).

It sends twice: once timed, once under ``tracemalloc`` for the peak of Python memory
allocated while sending (time under tracemalloc is not reported: tracing slows it down).
Peak memory that stays the same for 5,000 and 50,000 subscribers shows that it is bounded
by the batch size, not the list size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _django import setup_django


def add_subscribers(count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from whatworks.news.models import Subscriber

    now = timezone.now()
    for start in range(0, count, 5000):
        with transaction.atomic():
            Subscriber.objects.bulk_create(
                Subscriber(
                    email=f"reader{n}@example.test",
                    status=Subscriber.Status.CONFIRMED,
                    confirmed_at=now,
                )
                for n in range(start, min(start + 5000, count))
            )


def send_one_issue(batch: int) -> tuple[float, int]:
    from whatworks.core.tasks_support import make_worker
    from whatworks.news.models import Delivery
    from whatworks.news.services import issues, sending

    sending.BATCH_SIZE = batch
    issue = issues.issue_draft(actor=None)
    started = time.perf_counter()
    issues.issue_send(actor=None, issue=issue)
    make_worker(worker_id="bench", batch=True, interval=0).run()
    elapsed = time.perf_counter() - started
    issue.refresh_from_db()
    sent = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count()
    assert issue.status == "sent", issue.status
    return elapsed, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder), allow_database_url=False)
        import logging

        logging.disable(logging.WARNING)
        add_subscribers(args.subscribers)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        elapsed, sent = send_one_issue(args.batch)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"{args.subscribers:,} subscribers, batches of {args.batch}: sent {sent:,} in "
            f"{elapsed:.1f} s ({sent / elapsed:,.0f} messages/s)"
        )
        print(
            f"peak RSS of the process: {rss_after / 1024:.0f} MB "
            f"(+{(rss_after - rss_before) / 1024:.0f} MB during the send)"
        )

        tracemalloc.start()
        _, sent_again = send_one_issue(args.batch)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak Python allocations while sending (tracemalloc): {peak / 1024**2:.1f} MB")
        assert sent == sent_again == args.subscribers
    return 0


if __name__ == "__main__":
    sys.exit(main())
