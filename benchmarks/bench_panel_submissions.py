"""Benchmark: 200 concurrent poll submissions, each sent twice (a double click).

Target (issue 7): 200 responses, none lost and none duplicated.

    uv run --frozen python benchmarks/bench_panel_submissions.py [--members N] [--threads T]

Sets up a fresh SQLite database (WAL, ``BEGIN IMMEDIATE``) in a temporary folder, invites
N members to one open poll, then lets T threads (each with its own connection, released
together by a barrier) submit every invitation twice through ``response_save``, as the
answer page does.  Exits 1 if any response is lost or duplicated or any call failed.
With DATABASE_URL=postgres://... it runs against that server instead (not done by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _django import hammer, setup_django


def run(members: int, threads: int) -> int:
    from django.db import connections

    from whatworks.panel.models import Answer, Invitation, PanelMember, Question, Response
    from whatworks.panel.services.answering import response_save
    from whatworks.panel.services.members import new_token
    from whatworks.panel.services.polls import poll_create, poll_open, question_add

    stamp = int(time.time())
    poll = poll_create(actor=None, title="Benchmark", slug=f"bench-{stamp}")
    question = question_add(
        actor=None, poll=poll, kind=Question.Kind.SINGLE, text="Manageable?", options=["Y", "N"]
    )
    poll_open(actor=None, poll=poll)
    people = PanelMember.objects.bulk_create(
        PanelMember(
            email=f"m{stamp}-{i}@bench.test", status="active", role="case-holder",
            region="london", employer_type="agency", age_band="30-39", sex="female",
            ethnicity="white", years="2-4",
        )
        for i in range(members)
    )  # fmt: skip
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, member=m, token_hash=new_token()[1], region=m.region, role=m.role)
        for m in people
    )
    # Each invitation submitted twice at once: the second must change nothing.
    run = hammer(
        [inv for inv in invitations for _ in range(2)],
        lambda invitation: response_save(
            actor=None, invitation=invitation, answers={question.pk: "Y"}, submit=True
        ),
        threads=threads,
    )
    elapsed, latencies, errors = run.elapsed, run.latencies, run.errors
    responses = Response.objects.filter(poll=poll, status="complete").count()
    answers = Answer.objects.filter(response__poll=poll).count()
    complete = Invitation.objects.filter(poll=poll, disposition="complete").count()
    print(f"database: {connections['default'].vendor}; {os.cpu_count()} cores; {threads} threads")
    print(f"submissions: {2 * members} ({members} invitations, each sent twice)")
    print(f"responses {responses}, answers {answers}, complete invitations {complete}, "
          f"errors {len(errors)}")  # fmt: skip
    print(f"wall time {elapsed:.2f} s; {2 * members / elapsed:.0f} submissions/s")
    if latencies:
        ordered = sorted(latencies)
        print(f"latency median {statistics.median(ordered) * 1000:.0f} ms, "
              f"95th {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms")  # fmt: skip
    for error in errors[:5]:
        print("  ", error)
    ok = responses == answers == complete == members and not errors
    print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder))
        return run(args.members, args.threads)


if __name__ == "__main__":
    sys.exit(main())
