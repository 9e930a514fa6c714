"""Full-text search with facets: one selector over SQLite FTS5 and PostgreSQL full text.

The services keep :class:`~whatworks.evidence.models.SearchEntry` (one row per intervention:
the stems of its name, outcomes and other text, and its facet values as tokens) up to date;
migration 0005 indexes the stems per vendor.  :func:`evidence_search` asks
:func:`whatworks.core.search.parse_query` what was meant (stems, spellings, synonyms of the
field, typos, questions), then finds the entries that match **any** concept in one query,
which also says, per concept, whether it matched anywhere and whether it matched in the name
or the outcomes.  Results rank by how many concepts match, then how many match in the name
or outcomes, then FTS5's ``bm25`` or PostgreSQL's ``ts_rank``.  Facets filter (values of one
facet OR-ed, different facets AND-ed; outcome facets within one outcome) and are counted in
one pass over the matches' facet tokens.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Prefetch, TextChoices
from django.utils.translation import gettext_lazy as _

from whatworks.core.search import (
    Concept,
    ParsedQuery,
    StampedCache,
    load_synonyms,
    parse_query,
)
from whatworks.evidence.models import (
    AgeGroup,
    CostBand,
    Effectiveness,
    Intervention,
    NeedLevel,
    OutcomeDomain,
    OutcomeRating,
    SearchEntry,
    SearchWord,
    Strength,
    StudyDesign,
)
from whatworks.evidence.rules import EFFECTIVENESS_ORDER, STRENGTH_ORDER

#: Facet key in the URL and the index -> (label, the choices it takes).
FACETS: dict[str, tuple[Any, type[TextChoices]]] = {
    "domain": (_("Outcome"), OutcomeDomain),
    "age": (_("Age group"), AgeGroup),
    "need": (_("Level of need"), NeedLevel),
    "effectiveness": (_("Effectiveness (how big)"), Effectiveness),
    "strength": (_("Strength of evidence (how sure)"), Strength),
    "cost": (_("Cost band"), CostBand),
    "design": (_("Study design"), StudyDesign),
}
#: The facets that describe one outcome, in the order of the ``outcome=`` index tokens.
OUTCOME = ("domain", "effectiveness", "strength")
OUTCOME_TOKENS = frozenset({*OUTCOME, "outcome"})
#: Sort orders: URL value -> label.  "relevance" needs words; without them "name" is used.
SORTS: dict[str, Any] = {
    "relevance": _("Best match"),
    "effect": _("Effect: biggest first"),
    "strength": _("Strength of evidence: strongest first"),
    "cost": _("Cost: lowest first"),
    "reviewed": _("Last reviewed: most recent first"),
    "name": _("Name (A to Z)"),
}
PAGE_SIZE = 20
_STEM = re.compile(r"^[^\W_]+$")


@dataclass(frozen=True)
class SearchQuery:
    """What was asked: the words, the chosen facet values, the order and the page (from the
    URL).  ``spell=False`` searches for exactly what was typed, without correcting typos."""

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    page: int = 1
    sort: str = ""
    spell: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchQuery:
        """Parse request.GET: ``q``, one list per facet key, ``sort``, ``spell``, ``page``;
        unknown values drop."""
        getlist = getattr(params, "getlist", None)
        filters = {}
        for key, (_label, choices) in FACETS.items():
            raw = getlist(key) if getlist else ([params[key]] if key in params else [])
            values = tuple(sorted({v for v in raw if v in choices.values}))
            if values:
                filters[key] = values
        try:
            page = max(1, int(params.get("page") or 1))
        except (TypeError, ValueError):
            page = 1
        sort = str(params.get("sort") or "")
        return cls(
            text=str(params.get("q") or "").strip()[:200],
            filters=filters,
            page=page,
            sort=sort if sort in SORTS else "",
            spell=params.get("spell") != "off",
        )

    @property
    def effective_sort(self) -> str:
        if self.sort and (self.sort != "relevance" or self.text):
            return self.sort
        return "relevance" if self.text else "name"

    def url_params(
        self, *, page: int | None = None, text: str | None = None, spell: bool | None = None
    ) -> list[tuple[str, str]]:
        shown = self.text if text is None else text
        params = [("q", shown)] if shown else []
        params += [(key, value) for key, values in self.filters.items() for value in values]
        if self.sort:
            params.append(("sort", self.sort))
        if not (self.spell if spell is None else spell):
            params.append(("spell", "off"))
        if page and page > 1:
            params.append(("page", str(page)))
        return params


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    total: int
    page: int
    page_count: int
    interventions: list[Intervention]
    facets: tuple[Facet, ...]
    parsed: ParsedQuery = field(default_factory=lambda: ParsedQuery(typed=""))
    #: The corrected query the results are for ("did you mean ...?"), or "".
    corrected: str = ""

    @property
    def problem(self) -> str:
        return self.parsed.problem


# --- the vocabulary typos are corrected against --------------------------------------------


@dataclass(frozen=True)
class _Words:
    """The typo vocabulary in memory: its stems (also sorted, for prefixes) and its words by
    length."""

    stems: frozenset[str]
    sorted_stems: tuple[str, ...]
    by_length: dict[int, tuple[str, ...]]


def _words_stamp() -> object:
    # Words are only ever added (see SearchWord), so the count and the highest id change
    # with every addition.
    return tuple(SearchWord.objects.aggregate(n=Count("id"), top=Max("id")).values())


def _words_build() -> _Words:
    by_length: dict[int, list[str]] = {}
    stems = set()
    for word, word_stem, length in SearchWord.objects.values_list("word", "stem", "length"):
        by_length.setdefault(length, []).append(word)
        stems.add(word_stem)
    return _Words(
        frozenset(stems),
        tuple(sorted(stems)),
        {length: tuple(found) for length, found in by_length.items()},
    )


#: The typo vocabulary, per process; :func:`~whatworks.evidence.services.search_words_add`
#: clears it, and other processes see the new words by the stamp.
words_cache: StampedCache[_Words] = StampedCache(_words_stamp, _words_build)


class EvidenceVocabulary:
    """The words of published entries (:class:`SearchWord`), held per process by
    :data:`words_cache` and read again when words are added."""

    def __init__(self) -> None:
        self._words = words_cache.get()

    def known(self, stems: set[str]) -> set[str]:
        return stems & self._words.stems

    def has_prefix(self, stem_prefix: str) -> bool:
        stems = self._words.sorted_stems
        at = bisect.bisect_left(stems, stem_prefix)
        return at < len(stems) and stems[at].startswith(stem_prefix)

    def words_near(self, length: int, spread: int) -> Sequence[str]:
        by_length = self._words.by_length
        sizes = range(length - spread, length + spread + 1)
        return [w for size in sizes for w in by_length.get(size, ())]


# --- the full-text query, per vendor --------------------------------------------------------


def _fts5(concept: Concept, *, head: bool = False) -> str:
    parts = []
    for index, phrase in enumerate(concept.alternatives):
        quoted = '"' + " ".join(phrase) + '"'
        parts.append(quoted + ("*" if index == 0 and concept.prefix else ""))
    expression = "(" + " OR ".join(parts) + ")"
    return "{title_terms outcome_terms} : " + expression if head else expression


def _tsquery(concept: Concept, *, head: bool = False) -> str:
    weight = "AB" if head else ""
    parts = []
    for index, phrase in enumerate(concept.alternatives):
        star = "*" if index == 0 and concept.prefix else ""
        marks = f":{star}{weight}" if star or weight else ""
        parts.append("(" + " <-> ".join(f"{s}{marks}" for s in phrase) + ")")
    return "(" + " | ".join(parts) + ")"


def _facet_prefilter(filters: Mapping[str, tuple[str, ...]], params: list[Any]) -> str:
    """SQL that keeps entries failing at most one facet (the rest are needed for no count)."""
    if len(filters) <= 1:
        return ""
    passes = []
    for key, values in sorted(filters.items()):
        alternatives = " OR ".join(["e.facets LIKE %s"] * len(values))
        passes.append(f"(CASE WHEN {alternatives} THEN 1 ELSE 0 END)")
        params += [f"% {key}={value} %" for value in values]
    params.append(len(filters) - 1)
    return f" AND {' + '.join(passes)} >= %s"


Candidate = tuple[int, str, str, float, int, int]


def _candidates(
    concepts: Sequence[Concept], filters: Mapping[str, tuple[str, ...]]
) -> list[Candidate]:
    """(intervention id, sort name, facet tokens, rank, concepts matched, concepts matched in
    the name or outcomes) of the published entries that match any concept; lower rank is
    better.  One query, on either vendor."""
    for concept in concepts:  # stems are letters and digits only: safe in both syntaxes
        assert all(_STEM.match(s) for phrase in concept.alternatives for s in phrase)
    table = SearchEntry._meta.db_table
    params: list[Any] = []
    if not concepts:
        sql = f"SELECT e.intervention_id, e.sort_name, e.facets, 0, 0, 0 FROM {table} e "  # noqa: S608
        sql += "WHERE e.published" + _facet_prefilter(filters, params)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    several = len(concepts) > 1
    if connection.vendor == "sqlite":
        fts = "evidence_search_fts"
        member = f"(e.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s))"  # noqa: S608 (constant names)
        matched = [member for _ in concepts] if several else ["1"]
        in_head = [member for _ in concepts]
        params += [_fts5(c) for c in concepts] if several else []
        params += [_fts5(c, head=True) for c in concepts]
        sql = (
            f"SELECT e.intervention_id, e.sort_name, e.facets, bm25({fts}, 10.0, 5.0, 1.0), "  # noqa: S608
            f"{' + '.join(matched)}, {' + '.join(in_head)} "
            f"FROM {fts} JOIN {table} e ON e.id = {fts}.rowid "
            f"WHERE {fts} MATCH %s AND e.published"
        )
        params.append(" OR ".join(_fts5(c) for c in concepts))
    else:
        member = "(e.document @@ to_tsquery('simple', %s))::int"
        matched = [member for _ in concepts] if several else ["1"]
        in_head = [member for _ in concepts]
        params += [_tsquery(c) for c in concepts] if several else []
        params += [_tsquery(c, head=True) for c in concepts]
        sql = (
            "SELECT e.intervention_id, e.sort_name, e.facets, -ts_rank(e.document, q.query), "  # noqa: S608
            f"{' + '.join(matched)}, {' + '.join(in_head)} "
            f"FROM {table} e, to_tsquery('simple', %s) AS q(query) "
            "WHERE e.document @@ q.query AND e.published"
        )
        params.append(" | ".join(_tsquery(c) for c in concepts))
    sql += _facet_prefilter(filters, params)
    if connection.vendor == "postgresql":
        # The planner prices ``@@`` on a sequential scan as if it were free, but it must
        # decompress every row's tsvector (4x slower than the GIN index at 10,000 rows):
        # see docs/adr/0007-evidence-one-search-and-rating-rules.md.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(sql, params)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- facets ---------------------------------------------------------------------------------


class FacetMatcher:
    """Decides whether an entry passes the chosen facets, and counts its facet values.

    Values of one facet are OR-ed, different facets AND-ed.  The outcome facets (outcome,
    effectiveness, strength) match within one outcome: "entering care" with "small benefit"
    needs one outcome that is both, not a small benefit for some other outcome.  A facet's
    counts apply every other facet's filters but not its own.
    """

    def __init__(self, filters: Mapping[str, tuple[str, ...]]) -> None:
        self.entry = {k: {f"{k}={v}" for v in vs} for k, vs in filters.items() if k not in OUTCOME}
        self.outcome = {OUTCOME.index(k): set(vs) for k, vs in filters.items() if k in OUTCOME}

    def _misses(self, outcomes: list[list[str]]) -> list[tuple[int, ...]]:
        """For each outcome, the positions of the outcome filters it fails."""
        chosen = self.outcome.items()
        return [tuple(i for i, wanted in chosen if o[i] not in wanted) for o in outcomes]

    def count(self, facet_text: str, counts: Counter[str]) -> list[list[str]] | None:
        """Add the entry's facet values to ``counts``.  If it passes every filter, return
        its outcomes that pass the outcome filters (domain, effectiveness, strength)."""
        tokens, outcomes, others = _facet_tokens(facet_text)
        failed = [k for k, wanted in self.entry.items() if wanted.isdisjoint(tokens)]
        if len(failed) > 1:
            return None
        misses = self._misses(outcomes) if self.outcome else [()] * len(outcomes)
        passing = [o for o, missed in zip(outcomes, misses, strict=True) if not missed]
        outcome_ok = not self.outcome or bool(passing)
        if failed:
            if outcome_ok:
                prefix = failed[0] + "="
                counts.update(t for t in others if t.startswith(prefix))
            return None
        for index, key in enumerate(OUTCOME):
            # An outcome counts for a facet when it passes the other outcome filters.
            values = {
                o[index]
                for o, missed in zip(outcomes, misses, strict=True)
                if not missed or missed == (index,)
            }
            counts.update(f"{key}={value}" for value in values)
        if not outcome_ok:
            return None
        counts.update(others)
        return passing


@lru_cache(maxsize=50_000)
def _facet_tokens(facet_text: str) -> tuple[frozenset[str], list[list[str]], tuple[str, ...]]:
    """An entry's facet tokens, its outcomes (domain, effectiveness, strength) and the tokens
    of the facets that describe the whole entry; kept per process, as entries rarely change
    and each search reads thousands."""
    tokens = facet_text.split()
    outcomes = [t[8:].split("/") for t in tokens if t.startswith("outcome=")]
    others = tuple(t for t in tokens if t.partition("=")[0] not in OUTCOME_TOKENS)
    return frozenset(tokens), outcomes, others


def _level(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else -1


def _sort_key(sort: str, hit: tuple[Any, ...]) -> tuple[Any, ...]:
    rank, matched, in_head, sort_name, facet_text, outcomes = hit
    if sort == "relevance":
        return (-matched, -in_head, rank, sort_name)
    if sort in ("effect", "strength"):
        pairs = [
            (_level(EFFECTIVENESS_ORDER, o[1]), _level(STRENGTH_ORDER, o[2])) for o in outcomes
        ]
        best = max(pairs if sort == "effect" else [(b, a) for a, b in pairs], default=(-1, -1))
        return (-best[0], -best[1], sort_name)
    if sort == "cost":
        found = re.search(r" cost=(\S+) ", facet_text)
        return (found.group(1) if found else "9", sort_name)
    if sort == "reviewed":
        found = re.search(r" reviewed=(\d{4})-(\d{2})-(\d{2}) ", facet_text)
        day = -int("".join(found.groups())) if found else 0
        return (day, sort_name)
    return (sort_name,)


# --- the selector ---------------------------------------------------------------------------


def _search(query: SearchQuery, parsed: ParsedQuery, page_size: int) -> SearchResults:
    counts: Counter[str] = Counter()
    hits: list[tuple[Any, ...]] = []
    matcher = FacetMatcher(query.filters)
    for entry_id, sort_name, facet_text, rank, matched, in_head in _candidates(
        parsed.concepts, query.filters
    ):
        outcomes = matcher.count(facet_text, counts)
        if outcomes is not None:
            hits.append((rank, matched, in_head, sort_name, facet_text, outcomes, entry_id))
    sort = query.effective_sort
    hits.sort(key=lambda hit: _sort_key(sort, hit[:6]))
    total = len(hits)
    page_count = max(1, math.ceil(total / page_size))
    page = min(query.page, page_count)
    ids = [hit[6] for hit in hits[(page - 1) * page_size : page * page_size]]

    facets = []
    for key, (label, choices) in FACETS.items():
        chosen = query.filters.get(key, ())
        values = tuple(
            FacetValue(value, str(text), counts[f"{key}={value}"], value in chosen)
            for value, text in choices.choices
            if counts[f"{key}={value}"] or value in chosen
        )
        facets.append(Facet(key, str(label), values))

    by_id = {
        i.pk: i
        for i in Intervention.objects.filter(pk__in=ids).prefetch_related(
            Prefetch("ratings", queryset=OutcomeRating.objects.order_by("domain"))
        )
    }
    return SearchResults(
        query=query,
        total=total,
        page=page,
        page_count=page_count,
        interventions=[by_id[i] for i in ids if i in by_id],
        facets=tuple(facets),
        parsed=parsed,
    )


def evidence_search(*, query: SearchQuery, page_size: int = PAGE_SIZE) -> SearchResults:
    """Published interventions matching the query, best first, with facet counts.

    Without words, everything published is listed (alphabetically unless another order is
    chosen); text without a word to search for (``'``, ``%``, only stop words) finds nothing
    and says why.  A query with typos searches for the correction ("did you mean ...?"),
    unless the correction finds nothing.
    """
    synonyms = load_synonyms()
    if query.text and not query.spell:
        return _search(query, parse_query(query.text, synonyms=synonyms), page_size)
    parsed = parse_query(query.text, synonyms=synonyms, vocabulary=EvidenceVocabulary())
    if parsed.problem:
        return SearchResults(query, 0, 1, 1, [], _no_facets(query), parsed=parsed)
    results = _search(query, parsed, page_size)
    if parsed.corrected and not results.total:
        exact = parse_query(query.text, synonyms=synonyms)
        return _search(query, exact, page_size)
    if parsed.corrected:
        return SearchResults(**{**results.__dict__, "corrected": parsed.corrected})
    return results


def _no_facets(query: SearchQuery) -> tuple[Facet, ...]:
    return tuple(
        Facet(
            key,
            str(label),
            tuple(
                FacetValue(v, str(t), 0, True)
                for v, t in choices.choices
                if v in query.filters.get(key, ())
            ),
        )
        for key, (label, choices) in FACETS.items()
    )
