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
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.db.models import Prefetch, TextChoices
from django.utils.translation import gettext_lazy as _

from whatworks.core.search import (
    Concept,
    ParsedQuery,
    StampedCache,
    parse_query,
    read_stamps,
    synonyms_cache,
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
    Setting,
    Strength,
    StudyDesign,
)
from whatworks.evidence.rules import EFFECTIVENESS_ORDER, STRENGTH_ORDER

#: Facet key in the URL and the index -> (label, the choices it takes).
FACETS: dict[str, tuple[Any, type[TextChoices]]] = {
    "domain": (_("Outcome"), OutcomeDomain),
    "age": (_("Age group"), AgeGroup),
    "need": (_("Level of need"), NeedLevel),
    "setting": (_("Setting"), Setting),
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


def _words_stamp() -> list[str]:
    # Words are only ever added (see SearchWord), so the count and the highest id change
    # with every addition.
    table = SearchWord._meta.db_table
    return [f"SELECT COUNT(*) FROM {table}", f"SELECT MAX(id) FROM {table}"]  # noqa: S608


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

    def __init__(self, words: _Words | None = None) -> None:
        self._words = words_cache.get() if words is None else words

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


def _tsquery(concept: Concept) -> str:
    parts = []
    for index, phrase in enumerate(concept.alternatives):
        marks = ":*" if index == 0 and concept.prefix else ""
        parts.append("(" + " <-> ".join(f"{s}{marks}" for s in phrase) + ")")
    return "(" + " | ".join(parts) + ")"


# --- the published entries' facets, in memory -------------------------------------------

#: The facets that describe the whole entry (the others describe one outcome).
ENTRY_FACETS = tuple(key for key in FACETS if key not in OUTCOME)
#: Codes of the outcome facets' values; -1 is a value no choice has ("-": not rated).
_OUTCOME_CODES = (
    {value: code for code, value in enumerate(OutcomeDomain.values)},
    {value: code for code, value in enumerate(EFFECTIVENESS_ORDER)},
    {value: code for code, value in enumerate(STRENGTH_ORDER)},
)
_OUTCOME_VALUES = (
    tuple(OutcomeDomain.values),
    EFFECTIVENESS_ORDER,
    STRENGTH_ORDER,
)
#: Column of each entry-facet value in :attr:`_Index.tokens`.
_COLUMNS = {
    key: {value: column for column, value in enumerate(FACETS[key][1].values)}
    for key in ENTRY_FACETS
}
_OFFSETS = dict(
    zip(ENTRY_FACETS, np.cumsum([0, *(len(_COLUMNS[k]) for k in ENTRY_FACETS)]), strict=False)
)
_WIDTH = sum(len(columns) for columns in _COLUMNS.values())
_COSTS = {value: code for code, value in enumerate(sorted(CostBand.values))}


@dataclass(frozen=True)
class _Index:
    """The published entries (rows in id order) and what search filters, counts and sorts by,
    as arrays: one row per entry, one record per outcome."""

    ids: npt.NDArray[np.int64]  # search entry ids, ascending (the FTS5 rowids)
    intervention_ids: npt.NDArray[np.int64]
    name_order: npt.NDArray[np.int64]  # position of the entry in name order
    cost: npt.NDArray[np.int64]  # cost band code; missing last
    reviewed: npt.NDArray[np.int64]  # -yyyymmdd, 0 when not reviewed
    tokens: npt.NDArray[np.bool_]  # rows x entry-facet values (see _OFFSETS)
    outcome_row: npt.NDArray[np.int64]  # the row of each outcome record
    outcome_values: npt.NDArray[np.int64]  # records x (domain, effectiveness, strength)

    def rows_of(
        self, entry_ids: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The rows of the entry ids that are in the index, and which ids those are (the
        others are drafts)."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.int64), np.zeros(len(entry_ids), dtype=bool)
        at = np.searchsorted(self.ids, entry_ids)
        at[at >= len(self.ids)] = 0
        keep = self.ids[at] == entry_ids
        return at[keep], keep


def _index_stamp() -> list[str]:
    table = SearchEntry._meta.db_table
    return [
        f"SELECT {aggregate} FROM {table}"  # noqa: S608 (constant names)
        for aggregate in ("COUNT(*)", "MAX(id)", "MAX(changed_at)")
    ]


def _index_build() -> _Index:
    rows = list(
        SearchEntry.objects.filter(published=True)
        .order_by("id")
        .values_list("id", "intervention_id", "sort_name", "facets")
    )
    n = len(rows)
    tokens = np.zeros((n, _WIDTH), dtype=bool)
    cost = np.full(n, len(_COSTS), dtype=np.int64)
    reviewed = np.zeros(n, dtype=np.int64)
    outcome_row: list[int] = []
    outcome_values: list[tuple[int, int, int]] = []
    for row, (_id, _intervention, _name, facet_text) in enumerate(rows):
        for token in facet_text.split():
            key, _eq, value = token.partition("=")
            if key == "outcome":
                parts = value.split("/")
                if len(parts) == 3:
                    domain, effectiveness, strength = parts
                    outcome_row.append(row)
                    outcome_values.append(
                        (
                            _OUTCOME_CODES[0].get(domain, -1),
                            _OUTCOME_CODES[1].get(effectiveness, -1),
                            _OUTCOME_CODES[2].get(strength, -1),
                        )
                    )
            elif key in _COLUMNS:
                column = _COLUMNS[key].get(value)
                if column is not None:
                    tokens[row, _OFFSETS[key] + column] = True
                if key == "cost" and value in _COSTS:
                    cost[row] = _COSTS[value]
            elif key == "reviewed" and len(value) == 10:
                reviewed[row] = -int(value.replace("-", ""))
    names = [name for _i, _p, name, _f in rows]
    name_order = np.empty(n, dtype=np.int64)
    name_order[sorted(range(n), key=names.__getitem__)] = np.arange(n)
    return _Index(
        ids=np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        intervention_ids=np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
        name_order=name_order,
        cost=cost,
        reviewed=reviewed,
        tokens=tokens,
        outcome_row=np.asarray(outcome_row, dtype=np.int64),
        outcome_values=np.asarray(outcome_values, dtype=np.int64).reshape(-1, 3),
    )


#: The published entries' facets, per process; the services clear it when they write an
#: entry, and other processes see the change by the stamp (count, highest id, latest change).
index_cache: StampedCache[_Index] = StampedCache(_index_stamp, _index_build)


# --- the full-text match ----------------------------------------------------------------


@dataclass(frozen=True)
class _Matches:
    """The entries that match any concept: their rows, how many concepts each matches, and
    how many in the name or outcomes; :meth:`rank` gives the text rank of some of them
    (lower is better), which only the relevance order of the page shown needs."""

    rows: npt.NDArray[np.int64]
    matched: npt.NDArray[np.int64]
    in_head: npt.NDArray[np.int64]
    rank_of: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float64]] = field(repr=False)

    def rank(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The rank of the matches at these positions."""
        return self.rank_of(positions) if len(positions) else np.zeros(0, dtype=np.float64)


def _rowids(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _match(index: _Index, concepts: Sequence[Concept]) -> _Matches:
    """The entries matching any concept, with how many concepts each matches and how many
    in the name or outcomes.

    SQLite: one id-only ``MATCH`` for all of them, then one per concept for the name and
    outcomes and, with several concepts, one for anywhere.  PostgreSQL: one query of ids,
    one part per concept against ``document`` and one against ``head`` (the name and
    outcomes, migration 0008), all answered by the GIN indexes without reading any row's
    ``tsvector``.  On both the text rank (``bm25``, ``ts_rank``) is computed later, only for
    the matches the page shown needs (:func:`_relevance`): it costs more than the match.
    """
    for concept in concepts:  # stems are letters and digits only: safe in both syntaxes
        assert all(_STEM.match(s) for phrase in concept.alternatives for s in phrase)
    if connection.vendor == "sqlite":
        return _match_sqlite(index, concepts)
    return _match_postgresql(index, concepts)


def _match_sqlite(index: _Index, concepts: Sequence[Concept]) -> _Matches:
    fts = "evidence_search_fts"
    only = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608 (constant names)
    expression = " OR ".join(_fts5(c) for c in concepts)
    ids = np.asarray(_rowids(only, [expression]), dtype=np.int64)

    def count(expressions: list[str]) -> npt.NDArray[np.int64]:
        total = np.zeros(len(ids), dtype=np.int64)
        for one in expressions:
            hit = np.asarray(_rowids(only, [one]), dtype=np.int64)
            total += np.isin(ids, hit, assume_unique=True)
        return total

    several = len(concepts) > 1
    matched = count([_fts5(c) for c in concepts]) if several else np.ones(len(ids), np.int64)
    in_head = count([_fts5(c, head=True) for c in concepts])
    rows, keep = index.rows_of(ids)  # drafts drop out here
    # bm25 costs three times the match itself, so only for the rows asked for; the "+"
    # keeps "rowid IN" out of FTS5, which would run the match once per id.
    rank_sql = (
        f"SELECT rowid, bm25({fts}, 10.0, 5.0, 1.0) FROM {fts} "  # noqa: S608 (constant names)
        f"WHERE {fts} MATCH %s AND +rowid IN (SELECT value FROM json_each(%s))"
    )
    rank_of = _ranker(ids[keep], rank_sql, expression, json.dumps)
    return _Matches(rows, matched[keep], in_head[keep], rank_of)


def _ranker(
    ids: npt.NDArray[np.int64], sql: str, query: str, pack: Callable[[list[int]], str | list[int]]
) -> Callable[[npt.NDArray[np.int64]], npt.NDArray[np.float64]]:
    """The text rank (lower is better) of the matches at some positions (their ``ids``): the
    rows of ``sql``, (id, rank), for the full-text query and the ids wanted (``pack``-ed)."""

    def rank_of(positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        wanted = [int(i) for i in ids[positions]]
        with connection.cursor() as cursor:
            cursor.execute(sql, [query, pack(wanted)])
            ranks = dict(cursor.fetchall())
        return np.fromiter((ranks[i] for i in wanted), dtype=np.float64, count=len(wanted))

    return rank_of


#: Planner settings for the PostgreSQL match.  The planner prices ``@@`` on a sequential
#: scan as if it were free, but it must decompress every row's tsvector (4x slower than the
#: GIN index at 10,000 rows): see docs/adr/0007-evidence-one-search-and-rating-rules.md.
#: Parallel workers cost more to start than the few milliseconds of bitmap scans they share.
_PLANNER = "SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0; "


def _planned_fetchall(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of a PostgreSQL query run with :data:`_PLANNER`'s settings.

    With psycopg's client-side binding (Django's default) the settings and the query go in
    one round trip: several statements in one message run as one implicit transaction,
    which ``SET LOCAL`` lasts for.  Otherwise in an explicit transaction (four round trips).
    Inside a transaction the settings last until it ends, as ``SET LOCAL`` always does.
    """
    if connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in _PLANNER.split(";")[:2]:
                cursor.execute(setting)
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    with connection.cursor() as cursor:
        cursor.execute(_PLANNER + sql, params)
        while cursor.description is None and cursor.nextset():
            pass  # past the settings' results to the query's
        return list(cursor.fetchall())


def _match_postgresql(index: _Index, concepts: Sequence[Concept]) -> _Matches:
    table = SearchEntry._meta.db_table
    parts, params = [], []
    for column, offset in (("document", 0), ("head", len(concepts))):
        for number, concept in enumerate(concepts):
            # One row per part, its ids as one text: a broad word ("care*") matches most
            # entries, and parsing thousands of rows cost more than the query.
            parts.append(
                f"SELECT {offset + number}, string_agg(id::text, ',') FROM {table} "  # noqa: S608 (constant names)
                f"WHERE {column} @@ to_tsquery('simple', %s) AND published"
            )
            params.append(_tsquery(concept))
    found = _planned_fetchall(" UNION ALL ".join(parts), params)
    numbers, chunks = [], []
    for number, text in found:
        hit = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)
        chunks.append(hit)
        numbers.append(np.full(len(hit), number, dtype=np.int64))
    every = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    part = np.concatenate(numbers) if numbers else np.zeros(0, np.int64)
    ids, at = np.unique(every, return_inverse=True)
    head = part >= len(concepts)
    matched = np.bincount(at[~head], minlength=len(ids)).astype(np.int64)
    in_head = np.bincount(at[head], minlength=len(ids)).astype(np.int64)
    rows, keep = index.rows_of(ids)  # drafts drop out here
    rank_sql = (
        f"SELECT id, -ts_rank(document, to_tsquery('simple', %s)) "  # noqa: S608 (constant names)
        f"FROM {table} WHERE id = ANY(%s)"
    )
    query = " | ".join(_tsquery(c) for c in concepts)
    rank_of = _ranker(ids[keep], rank_sql, query, lambda wanted: wanted)
    return _Matches(rows, matched[keep], in_head[keep], rank_of)


# --- facets and order -------------------------------------------------------------------


@dataclass(frozen=True)
class _Filtered:
    """The matches that pass every facet, as positions into the matches, with the facet
    counts and the outcomes that pass the outcome facets (their match, and their domain,
    effectiveness and strength codes)."""

    hits: npt.NDArray[np.int64]
    counts: dict[str, dict[str, int]]
    passing_owner: npt.NDArray[np.int64]
    passing_values: npt.NDArray[np.int64]

    def best(self, n: int, first: int, second: int) -> npt.NDArray[np.int64]:
        """Per match, the best passing outcome by one of its codes, then another, as
        ``(first + 1) * 8 + second + 1`` (0 when it has none)."""
        values = self.passing_values
        key = (values[:, first] + 1) * 8 + values[:, second] + 1
        best = np.zeros(n, dtype=np.int64)
        order = np.lexsort((key, self.passing_owner))  # by match, then key
        owner, key = self.passing_owner[order], key[order]
        last = np.flatnonzero(np.append(owner[1:] != owner[:-1], True)) if len(owner) else owner
        best[owner[last]] = key[last]  # the largest key of each match
        return best


def _filter(
    index: _Index, rows: npt.NDArray[np.int64], filters: Mapping[str, tuple[str, ...]]
) -> _Filtered:
    """Apply the facets and count them, for every match at once.

    Values of one facet are OR-ed, different facets AND-ed.  The outcome facets (outcome,
    effectiveness, strength) match within one outcome: "entering care" with "small benefit"
    needs one outcome that is both, not a small benefit for some other outcome.  A facet's
    counts apply every other facet's filters but not its own.
    """
    n = len(rows)
    sub = index.tokens[rows]
    fails = np.zeros(n, dtype=np.int64)
    passes: dict[str, npt.NDArray[np.bool_]] = {}
    for key in ENTRY_FACETS:
        if key in filters:
            columns = [_OFFSETS[key] + _COLUMNS[key][v] for v in filters[key]]
            passes[key] = np.asarray(sub[:, columns].any(axis=1), dtype=bool)
            fails += ~passes[key]
    # The outcome records of the matches, as positions into the matches.
    position = np.full(len(index.ids), -1, dtype=np.int64)
    position[rows] = np.arange(n)
    record_at = position[index.outcome_row]
    chosen = record_at >= 0
    owner = record_at[chosen]
    values = index.outcome_values[chosen]
    miss = np.zeros(values.shape, dtype=bool)
    for j, key in enumerate(OUTCOME):
        if key in filters:
            wanted = [_OUTCOME_CODES[j][v] for v in filters[key]]
            miss[:, j] = ~np.isin(values[:, j], wanted)
    misses = miss.sum(axis=1)
    passing = misses == 0
    if any(key in filters for key in OUTCOME):
        outcome_ok = np.zeros(n, dtype=bool)
        outcome_ok[owner[passing]] = True
    else:
        outcome_ok = np.ones(n, dtype=bool)

    counts: dict[str, dict[str, int]] = {}
    for key in ENTRY_FACETS:
        others_fail = fails - (~passes[key] if key in passes else 0)
        keep = outcome_ok & (others_fail == 0)
        start = _OFFSETS[key]
        totals = sub[keep][:, start : start + len(_COLUMNS[key])].sum(axis=0)
        counts[key] = {v: int(totals[c]) for v, c in _COLUMNS[key].items()}
    entry_ok = fails[owner] == 0
    for j, key in enumerate(OUTCOME):
        keep = entry_ok & (passing | ((misses == 1) & miss[:, j])) & (values[:, j] >= 0)
        size = len(_OUTCOME_VALUES[j])
        seen = np.zeros((n, size), dtype=bool)  # an entry counts once per value
        seen[owner[keep], values[keep, j]] = True
        totals = seen.sum(axis=0)
        counts[key] = {v: int(totals[c]) for c, v in enumerate(_OUTCOME_VALUES[j])}

    hits = np.flatnonzero((fails == 0) & outcome_ok)
    return _Filtered(hits, counts, owner[passing], values[passing])


def _order(
    sort: str,
    index: _Index,
    matches: _Matches,
    found: _Filtered,
    window: tuple[int, int],
) -> npt.NDArray[Any]:
    """The hits (positions into the matches), best first.  By relevance, only the positions
    in ``window`` (the page shown) are certain to be in their final order."""
    hits = found.hits
    rows = matches.rows[hits]
    name = index.name_order[rows]
    keys: tuple[npt.NDArray[Any], ...]
    if sort == "relevance":
        return _relevance(hits, name, matches, window)
    if sort == "effect":
        keys = (name, -found.best(len(matches.rows), 1, 2)[hits])
    elif sort == "strength":
        keys = (name, -found.best(len(matches.rows), 2, 1)[hits])
    elif sort == "cost":
        keys = (name, index.cost[rows])
    elif sort == "reviewed":
        keys = (name, index.reviewed[rows])
    else:
        keys = (name,)
    return hits[np.lexsort(keys)]


def _relevance(
    hits: npt.NDArray[np.int64],
    name: npt.NDArray[np.int64],
    matches: _Matches,
    window: tuple[int, int],
) -> npt.NDArray[np.int64]:
    """Most concepts matched first, then most matched in the name or outcomes, then the
    text rank, then the name.  The text rank is asked for only within the groups of equal
    (matched, in the name or outcomes) that overlap ``window``: elsewhere the groups are in
    name order, which the page shown does not see."""
    matched, in_head = matches.matched[hits], matches.in_head[hits]
    order = np.lexsort((name, -in_head, -matched))
    hits, name, matched, in_head = hits[order], name[order], matched[order], in_head[order]
    start, stop = window[0], min(window[1], len(hits))
    if start >= stop:
        return hits
    change = np.flatnonzero((matched[1:] != matched[:-1]) | (in_head[1:] != in_head[:-1]))
    bounds = np.concatenate(([0], change + 1, [len(hits)]))
    low = int(bounds[np.searchsorted(bounds, start, side="right") - 1])
    high = int(bounds[np.searchsorted(bounds, stop - 1, side="right")])
    ranked = matches.rank(hits[low:high])
    within = np.lexsort((name[low:high], ranked, -in_head[low:high], -matched[low:high]))
    hits[low:high] = hits[low:high][within]
    return hits


# --- the selector ---------------------------------------------------------------------------


def _search(
    query: SearchQuery, parsed: ParsedQuery, page_size: int, index: _Index
) -> SearchResults:
    if parsed.concepts:
        matches = _match(index, parsed.concepts)
    else:
        everything = np.arange(len(index.ids), dtype=np.int64)
        zeros = np.zeros(len(everything), dtype=np.int64)
        matches = _Matches(everything, zeros, zeros, lambda p: np.zeros(len(p), np.float64))
    found = _filter(index, matches.rows, query.filters)
    total = len(found.hits)
    page_count = max(1, math.ceil(total / page_size))
    page = min(query.page, page_count)
    window = ((page - 1) * page_size, page * page_size)
    ordered = _order(query.effective_sort, index, matches, found, window)
    shown = ordered[window[0] : window[1]]
    ids = [int(i) for i in index.intervention_ids[matches.rows[shown]]]

    facets = []
    for key, (label, choices) in FACETS.items():
        chosen = query.filters.get(key, ())
        counts = found.counts[key]
        values = tuple(
            FacetValue(value, str(text), counts.get(value, 0), value in chosen)
            for value, text in choices.choices
            if counts.get(value, 0) or value in chosen
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
    # The synonyms', the vocabulary's and the index's stamps in one query.
    stamps = read_stamps(synonyms_cache, words_cache, index_cache)
    synonyms = synonyms_cache.get_stamped(stamps[0])
    index = index_cache.get_stamped(stamps[2])
    if query.text and not query.spell:
        return _search(query, parse_query(query.text, synonyms=synonyms), page_size, index)
    vocabulary = EvidenceVocabulary(words_cache.get_stamped(stamps[1]))
    parsed = parse_query(query.text, synonyms=synonyms, vocabulary=vocabulary)
    if parsed.problem:
        return SearchResults(query, 0, 1, 1, [], _no_facets(query), parsed=parsed)
    results = _search(query, parsed, page_size, index)
    if parsed.corrected and not results.total:
        exact = parse_query(query.text, synonyms=synonyms)
        return _search(query, exact, page_size, index)
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
