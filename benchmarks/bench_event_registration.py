"""Benchmark: 500 concurrent registrations for 100 places.

Target (issue 9): exactly 100 confirmed and 400 on the waiting list, none lost.

    uv run --frozen python benchmarks/bench_event_registration.py [--people N] [--places P]
        [--threads T]

Sets up a fresh SQLite database (WAL, ``BEGIN IMMEDIATE``) in a temporary folder, creates
one event, then lets T threads (each with its own database connection, released together
by a barrier) register N different people with confirmed addresses through
``registration_create``, exactly as the
registration page does.  E-mails use Django's dummy backend.  Prints the counts, the time,
the throughput and the per-registration latency, and exits 1 if the target is missed.
With DATABASE_URL=postgres://... it runs against that server instead (not done by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _django import hammer, setup_django


def run(people: int, places: int, threads: int) -> int:
    from django.db import connections
    from django.utils import timezone

    from whatworks.events.models import Event, Registration
    from whatworks.events.services.registrations import event_create, registration_create

    now = timezone.now()
    event = event_create(
        actor=None,
        slug=f"bench-{int(time.time())}",
        title="Benchmark forum",
        summary="Benchmark",
        starts_at=now + timedelta(days=7),
        ends_at=now + timedelta(days=7, hours=6),
        mode=Event.Mode.ONLINE,
        capacity=places,
        registration_opens_at=now - timedelta(hours=1),
        registration_closes_at=now + timedelta(days=6),
    )
    run = hammer(
        list(range(people)),
        lambda n: registration_create(
            # addresses confirmed (as a signed-in person's own address is), so that places
            # are confirmed at once; unconfirmed ones hold places the same way (HELD)
            actor=None,
            event=event,
            name=f"Person {n}",
            email=f"p{n}@bench.test",
            address_confirmed=True,
        ),
        threads=threads,
    )
    elapsed, latencies, errors = run.elapsed, run.latencies, run.errors

    counts = {
        status: Registration.objects.filter(event=event, status=status).count()
        for status in Registration.Status
    }
    confirmed = counts[Registration.Status.CONFIRMED]
    waiting = counts[Registration.Status.WAITING]
    stored = sum(counts.values())
    order_ok = list(
        Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        .order_by("id")
        .values_list("id", flat=True)
    ) == list(
        Registration.objects.filter(event=event)
        .order_by("id")
        .values_list("id", flat=True)[:places]
    )
    cores = os.cpu_count()
    print(f"database: {connections['default'].vendor}; {cores} cores; {threads} threads")
    print(f"registrations: {people} for {places} places")
    print(f"confirmed {confirmed}, waiting {waiting}, stored {stored}, errors {len(errors)}")
    print(f"first {places} registrations by id are the confirmed ones: {order_ok}")
    print(f"wall time {elapsed:.2f} s; {people / elapsed:.0f} registrations/s")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(
            f"latency per registration: median {statistics.median(ordered) * 1000:.0f} ms, "
            f"95th percentile {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )
    for message in errors[:5]:
        print(f"  error: {message}")
    ok = (
        confirmed == min(places, people)
        and waiting == max(people - places, 0)
        and stored == people
        and not errors
        and order_ok
    )
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder))
        return run(args.people, args.places, args.threads)


if __name__ == "__main__":
    sys.exit(main())
