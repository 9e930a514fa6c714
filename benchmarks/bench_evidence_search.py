"""Benchmark the Evidence Store: search with two facets, and an intervention page.

Targets (server time, p95): with 10,000 interventions and 100,000 findings, a search with
words and two facets under 50 ms on SQLite and on PostgreSQL, with stemming, synonyms and
typo correction on; a misspelt query under 100 ms; an intervention page with 50 studies
under 100 ms.

    uv run --frozen python benchmarks/bench_evidence_search.py [--interventions N]
        [--searches S] [--postgres]

Builds a scratch database (a SQLite file in a temporary folder, or with ``--postgres`` a
database ``evidence_bench_<pid>`` created with ``createdb`` on POSTGRES_HOST, default
127.0.0.1, user postgres, and dropped afterwards), migrates it, and fills it in bulk: seeded
random interventions with one to three rated outcomes, one to three studies and ten
findings each, and the search index rows the services would write.  Then it times, through
Django's test client (middleware, view and template included):

* ``/evidence/?q=<word or prefix>&<facet>=<value>&<facet>=<value>`` -- S searches with one
  or two words (some partly typed) and two different facets;
* the search selector alone for the same queries;
* searches by synonyms, abbreviations and whole questions ("DV", "what helps families where
  there is domestic abuse") and misspelt searches ("domestc abuse", corrected through the
  typo vocabulary), with two facets and without (target for misspelt queries: p95 under
  100 ms);
* an intervention page with 50 studies, 100 findings and pooled results in two outcomes.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "family",
    "parenting",
    "therapy",
    "group",
    "conference",
    "domestic",
    "abuse",
    "school",
    "mentoring",
    "care",
    "leaving",
    "youth",
    "offending",
    "substance",
    "court",
    "nurse",
    "video",
    "restorative",
    "safety",
    "practice",
    "home",
    "visiting",
    "attachment",
    "trauma",
    "foster",
    "kinship",
    "adoption",
    "adolescent",
    "infant",
    "neglect",
    "wellbeing",
    "resilience",
    "community",
    "support",
    "early",
    "help",
    "reunification",
    "placement",
    "stability",
    "education",
    "behaviour",
    "conduct",
    "anxiety",
    "depression",
    "partnership",
    "network",
    "coaching",
    "supervision",
    "reflective",
    "relationship",
    "communication",
    "problem",
    "solving",
    "contingency",
    "motivational",
    "interviewing",
]
QUERIES = (
    "family",
    "famil",
    "parent",
    "domestic abuse",
    "therap",
    "school",
    "foster care",
    "youth offend",
    "reflect",
    "kinship",
    "attach",
    "court",
)
#: Misspelt queries (one or two typos in a word of the data) and synonyms or questions.
TYPO_QUERIES = (
    "famly",
    "domestc abuse",
    "therapi",
    "scool",
    "kinshp",
    "attachmnt",
    "cout",
    "parnting",
    "reflectve",
    "fostr care",
)
SYNONYM_QUERIES = (
    "DV",
    "FGC",
    "domestic violence",
    "care leavers",
    "looked after children",
    "what helps families where there is domestic abuse",
    "reduce care entry",
    "behavior program",
)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "whatworks.config.settings.test")
    os.environ.setdefault("WHATWORKS_SECRET_KEY", "benchmark-only-not-secret")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _vocabulary() -> tuple[list[str], list[float]]:
    """The domain words, then 5,000 made-up words, with Zipf-like weights (the first words
    are the most common, as in real text)."""
    rng = random.Random(1)
    letters = "abcdefghiklmnoprstuvwy"
    filler = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(5000)]
    words = [*WORDS, *filler]
    rng.shuffle(words)
    return words, [1.0 / (rank + 20) for rank in range(len(words))]


VOCABULARY, WEIGHTS = _vocabulary()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=n)).capitalize() + "."


def build(interventions: int, seed: int = 20261126) -> None:
    """Fill the database in bulk, as the services would (but without audit entries)."""
    from django.db import transaction

    from whatworks.core.search import index_text, stem, words
    from whatworks.evidence import analytics
    from whatworks.evidence.models import (
        AgeGroup,
        Availability,
        CostBand,
        Effectiveness,
        Finding,
        Intervention,
        NeedLevel,
        OutcomeDomain,
        OutcomeRating,
        RiskOfBias,
        SearchEntry,
        SearchWord,
        Setting,
        Strength,
        Study,
        StudyDesign,
    )

    rng = random.Random(seed)
    with transaction.atomic():
        people = [
            Intervention(
                slug=f"bench-{i}",
                name=f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} programme {i}",
                summary=sentence(rng, 30),
                age_groups=sorted(rng.sample(AgeGroup.values, rng.randint(1, 2))),
                need_levels=sorted(rng.sample(NeedLevel.values, rng.randint(1, 2))),
                settings=sorted(rng.sample(Setting.values, rng.randint(1, 3))),
                setting=sentence(rng, 4),
                delivery=sentence(rng, 10),
                workforce=sentence(rng, 10),
                cost_band=rng.choice(CostBand.values),
                availability=rng.choice(Availability.values),
                status="published",
            )
            for i in range(interventions)
        ]
        Intervention.objects.bulk_create(people, batch_size=2000)
        people = list(Intervention.objects.order_by("pk"))
        ratings, studies = [], []
        for person in people:
            for domain in rng.sample(OutcomeDomain.values, rng.randint(1, 3)):
                ratings.append(
                    OutcomeRating(
                        intervention=person,
                        domain=domain,
                        effectiveness=rng.choice(Effectiveness.values),
                        effectiveness_reason=sentence(rng, 8),
                        strength=rng.choice(Strength.values),
                        strength_reason=sentence(rng, 8),
                        rules_version="2026.1",
                        rated_by_label="Benchmark",
                    )
                )
            for j in range(rng.randint(1, 3)):
                studies.append(
                    Study(
                        intervention=person,
                        slug=f"{person.slug}-s{j}",
                        citation=sentence(rng, 8),
                        year=rng.randint(1995, 2025),
                        design=rng.choice(StudyDesign.values),
                        country="England",
                        sample_size=rng.randint(40, 4000),
                        risk_of_bias=rng.choice(RiskOfBias.values),
                    )
                )
        OutcomeRating.objects.bulk_create(ratings, batch_size=5000)
        Study.objects.bulk_create(studies, batch_size=5000)
        studies_by = {}
        for study in Study.objects.order_by("pk"):
            studies_by.setdefault(study.intervention_id, []).append(study)
        rated = {}
        for rating in ratings:
            rated.setdefault(rating.intervention_id, []).append(rating)

        stats, rows = [], []
        for person in people:
            for k in range(10):
                study = rng.choice(studies_by[person.pk])
                stats.append(
                    analytics.RawStats(
                        "SMD", 60, 60, rng.gauss(10.3, 1), 2.0, rng.gauss(10, 1), 2.0
                    )
                )
                rows.append((study, f"{person.slug}-f{k}", rng.choice(rated[person.pk]).domain))
        effects = analytics.compute_effects(stats)
        Finding.objects.bulk_create(
            [
                Finding(
                    study=study,
                    slug=slug,
                    domain=domain,
                    outcome_measure="Scale",
                    time_point="6 months",
                    measure_type="SMD",
                    n_treatment=s.n_treatment,
                    n_control=s.n_control,
                    mean_treatment=s.mean_treatment,
                    sd_treatment=s.sd_treatment,
                    mean_control=s.mean_control,
                    sd_control=s.sd_control,
                    effect_size=e.effect_size,
                    se=e.se,
                    ci_low=e.ci_low,
                    ci_high=e.ci_high,
                )
                for (study, slug, domain), s, e in zip(rows, stats, effects, strict=True)
            ],
            batch_size=5000,
        )
        entries = []
        vocabulary: set[str] = set()
        for person in people:
            outcome_text = " ".join(
                [
                    *(str(OutcomeDomain(r.domain).label) for r in rated[person.pk]),
                    "Scale" if studies_by[person.pk] else "",
                ]
            )
            body = " ".join(
                [
                    person.summary,
                    person.setting,
                    person.delivery,
                    person.workforce,
                    *person.age_group_labels(),
                    *person.need_level_labels(),
                    *person.setting_labels(),
                    *(f"{r.effectiveness_reason} {r.strength_reason}" for r in rated[person.pk]),
                    *(s.citation for s in studies_by[person.pk]),
                ]
            )
            vocabulary.update(words(f"{person.name} {outcome_text} {body}"))
            tokens = {
                *(f"age={code}" for code in person.age_groups),
                *(f"need={code}" for code in person.need_levels),
                *(f"setting={code}" for code in person.settings),
                f"cost={person.cost_band}",
                *(f"domain={r.domain}" for r in rated[person.pk]),
                *(f"effectiveness={r.effectiveness}" for r in rated[person.pk]),
                *(f"strength={r.strength}" for r in rated[person.pk]),
                *(f"outcome={r.domain}/{r.effectiveness}/{r.strength}" for r in rated[person.pk]),
                *(f"design={s.design}" for s in studies_by[person.pk]),
            }
            entries.append(
                SearchEntry(
                    intervention=person,
                    title=person.name,
                    body=f"{outcome_text} {body}",
                    title_terms=index_text(person.name),
                    outcome_terms=index_text(outcome_text),
                    body_terms=index_text(body),
                    published=True,
                    sort_name=person.name.lower(),
                    facets=" " + " ".join(sorted(tokens)) + " ",
                )
            )
        SearchWord.objects.bulk_create(
            [
                SearchWord(word=w, stem=stem(w), length=len(w))
                for w in sorted(vocabulary)
                if not w.isdigit() and len(w) <= 40
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        SearchEntry.objects.bulk_create(entries, batch_size=2000)


def big_intervention() -> str:
    """One intervention with 50 studies and 100 findings, made through the services."""
    import json

    from whatworks.evidence.services import store
    from whatworks.evidence.services.transfer import evidence_import

    rng = random.Random(7)
    person = store.intervention_create(
        actor=None,
        data={
            "slug": "fifty-studies",
            "name": "Fifty studies",
            "summary": "An intervention with fifty studies.",
            "age_groups": ["all"],
            "need_levels": ["child-in-need"],
            "settings": ["home"],
            "setting": "Home",
            "delivery": "Visits",
            "workforce": "Staff",
            "cost_band": "1-low",
            "availability": "wide",
            "status": "published",
        },
    )
    for domain in ("parenting", "entering-care"):
        store.rating_set(
            actor=None,
            intervention=person,
            domain=domain,
            effectiveness="small-benefit",
            effectiveness_reason="A small benefit.",
            strength="3-moderate",
            strength_reason="Many studies.",
            departure_reason="the studies are added after the rating in this benchmark.",
        )
    studies = [
        {
            "id": f"fifty-{i}",
            "intervention_id": person.slug,
            "citation": f"Author {i}. Study number {i}",
            "year": 1990 + i % 35,
            "design": "rct",
            "country": "England",
            "sample_size": 200,
            "risk_of_bias": "low",
        }
        for i in range(50)
    ]
    evidence_import(actor=None, kind="studies", fmt="json", data=json.dumps(studies).encode())
    findings = []
    for i in range(50):
        findings.append(
            {
                "id": f"fifty-{i}-a",
                "study_id": f"fifty-{i}",
                "domain": "parenting",
                "outcome_measure": "Scale",
                "time_point": "6 months",
                "measure_type": "SMD",
                "n_treatment": 100,
                "n_control": 100,
                "mean_treatment": rng.gauss(10.4, 0.3),
                "sd_treatment": 2,
                "mean_control": 10,
                "sd_control": 2,
            }
        )
        findings.append(
            {
                "id": f"fifty-{i}-b",
                "study_id": f"fifty-{i}",
                "domain": "entering-care",
                "outcome_measure": "Entered care",
                "time_point": "12 months",
                "measure_type": "RR",
                "n_treatment": 100,
                "n_control": 100,
                "events_treatment": rng.randint(10, 25),
                "events_control": rng.randint(15, 30),
                "higher_is_better": False,
            }
        )
    evidence_import(actor=None, kind="findings", fmt="json", data=json.dumps(findings).encode())
    return person.get_absolute_url()


def percentiles(times: list[tuple[float, float]]) -> str:
    """Wall-clock and CPU (this process) p50 / p95 in ms.  On a busy machine the CPU time is
    the better estimate of server time on SQLite (in-process); on PostgreSQL the database
    server's work is in another process, so only wall-clock time counts there."""

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000

    wall = [w for w, _c in times]
    cpu = [c for _w, c in times]
    return (
        f"wall p50 {p(wall, 0.5):6.1f} ms  p95 {p(wall, 0.95):6.1f} ms | "
        f"cpu p50 {p(cpu, 0.5):6.1f} ms  p95 {p(cpu, 0.95):6.1f} ms  (n={len(times)})"
    )


def timed(action: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    out = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        out.append((time.perf_counter() - wall, time.process_time() - cpu))
    return out


def searches(
    count: int, seed: int = 3, queries: tuple[str, ...] = QUERIES
) -> list[tuple[str, dict[str, tuple[str, ...]]]]:
    from whatworks.evidence.search import FACETS

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        first, second = rng.sample(list(FACETS), 2)
        filters = {
            first: (rng.choice(FACETS[first][1].values),),
            second: (rng.choice(FACETS[second][1].values),),
        }
        out.append((rng.choice(queries), filters))
    return out


def server_times(cases: list[tuple[str, dict[str, tuple[str, ...]]]]) -> str:
    """p50 / p95 of the "Execution Time" PostgreSQL reports (EXPLAIN ANALYZE) for the
    full-text queries of one search (the match, and the text rank of the page's matches),
    summed per search: the database server's own time, whatever the load on the client."""
    import json

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from whatworks.evidence.search import _PLANNER, SearchQuery, evidence_search

    times = []
    for q, filters in cases:
        with CaptureQueriesContext(connection) as done:
            evidence_search(query=SearchQuery(text=q, filters=filters))
        total = 0.0
        for query in done.captured_queries:
            sql = query["sql"]
            if "@@" not in sql and "ts_rank" not in sql:
                continue
            sql = sql.removeprefix(_PLANNER)
            with transaction.atomic(), connection.cursor() as cursor:
                for setting in _PLANNER.split(";")[:2]:  # as the selector does
                    cursor.execute(setting)
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql.replace("%", "%%"))
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                total += float(plan[0]["Execution Time"])
        times.append(total)
    ordered = sorted(times)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  (n={len(ordered)})"


def run(args: argparse.Namespace, database_url: str, label: str) -> None:
    setup_django(database_url)
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client

    from whatworks.evidence.models import Finding, Intervention
    from whatworks.evidence.search import SearchQuery, evidence_search

    start = time.perf_counter()
    if Intervention.objects.exists():  # --sqlite-path to a database built before
        page_url = Intervention.objects.get(slug="fifty-studies").get_absolute_url()
    else:
        build(args.interventions)
        page_url = big_intervention()
    print(
        f"{label}: {Intervention.objects.count():,} interventions and "
        f"{Finding.objects.count():,} findings in {time.perf_counter() - start:.1f} s "
        f"on {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    cases = searches(args.searches)
    urls = [
        "/evidence/?" + urlencode([("q", q), *[(k, v) for k, vs in f.items() for v in vs]])
        for q, f in cases
    ]
    for url in urls[:10]:  # warm up caches and templates
        client.get(url)
    matches = [evidence_search(query=SearchQuery(text=q, filters=f)).total for q, f in cases]
    print(f"  results per search: median {statistics.median(matches):.0f}, max {max(matches)}")
    selector = []
    for q, f in cases:
        selector += timed(lambda q=q, f=f: evidence_search(query=SearchQuery(text=q, filters=f)), 1)
    print(f"  search selector, words + two facets: {percentiles(selector)}")
    if connection.vendor == "postgresql":
        print(f"  PostgreSQL execution time of the search query: {server_times(cases)}")
    pages = []
    for url in urls:
        pages += timed(lambda url=url: client.get(url), 1)
    print(f"  search page,     words + two facets: {percentiles(pages)}")
    for name, queries in (("synonyms and questions", SYNONYM_QUERIES), ("misspelt", TYPO_QUERIES)):
        extra = searches(args.searches // 2, seed=5, queries=queries)
        extra_urls = [
            "/evidence/?" + urlencode([("q", q), *[(k, v) for k, vs in f.items() for v in vs]])
            for q, f in extra
        ]
        timings = []
        for url in extra_urls:
            timings += timed(lambda url=url: client.get(url), 1)
        print(f"  search page, {name} + two facets: {percentiles(timings)}")
        plain = []
        for q in queries * 3:
            plain += timed(lambda q=q: client.get("/evidence/?" + urlencode([("q", q)])), 1)
        print(f"  search page, {name}, no facets: {percentiles(plain)}")
        if connection.vendor == "postgresql":
            print(f"  PostgreSQL execution time, {name}: {server_times(extra)}")
    corrected = evidence_search(query=SearchQuery(text="domestc abuse")).corrected
    print(f"  'domestc abuse' is corrected to {corrected!r}")
    broad = timed(lambda: client.get("/evidence/?q=famil"), 20)
    print(f"  search page, one partly typed word (no facets): {percentiles(broad)}")
    client.get(page_url)
    detail = timed(lambda: client.get(page_url), args.page_repeat)
    print(f"  intervention page with 50 studies: {percentiles(detail)}")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interventions", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--page-repeat", type=int, default=50)
    parser.add_argument("--postgres", action="store_true", help="use a scratch PostgreSQL db")
    parser.add_argument("--sqlite-path", help="keep (or reuse) the SQLite database here")
    parser.add_argument("--database-url", help="use (and fill, if empty) this database")
    args = parser.parse_args()
    if args.database_url:
        run(args, args.database_url, args.database_url.split(":", 1)[0])
        return 0
    if args.sqlite_path:
        run(args, f"sqlite:///{Path(args.sqlite_path).resolve()}", "SQLite")
        return 0
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            run(args, f"sqlite:///{folder}/bench.sqlite3", "SQLite")
        return 0
    host = os.environ.get("POSTGRES_HOST", "127.0.0.1")
    name = f"evidence_bench_{os.getpid()}"
    subprocess.run(["createdb", "-h", host, "-U", "postgres", name], check=True)
    try:
        run(args, f"postgres://postgres@{host}:5432/{name}", "PostgreSQL")
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", "-h", host, "-U", "postgres", name], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
