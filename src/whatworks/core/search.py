"""What every part's text search shares: words, stems, spellings, synonyms, typos, questions.

A part indexes its text as *stems* (:func:`index_text`) and asks :func:`parse_query` what a
typed query means; the part's own selector then matches the :class:`Concept` s against its
index (SQLite FTS5, PostgreSQL full text, or in memory) and ranks by how many concepts
match.  The steps, on both sides:

1. **Words**: letters and digits, lower-cased, accents dropped (``[^\\W_]+``), so that
   ``'`` or ``%`` are no words at all.
2. **Spellings**: American spellings become British ones (``program`` -> ``programme``,
   ``behavior`` -> ``behaviour``, ``-ize`` -> ``-ise``), see :data:`SPELLINGS`.
3. **Stems**: the Snowball English stemmer (PyStemmer), plus one repair: a stem ending in
   "c" is stemmed again with an "e" (``conferencing`` -> ``conferenc`` -> ``confer``, as
   ``conference`` -> ``confer``).
4. **Questions**: stop words are dropped; after a question word ("what helps ...") so are
   the words that only make it a question (:data:`QUESTION_FILLERS`).
5. **Synonyms and abbreviations** of the field are data (:class:`~whatworks.core.models.
   SearchSynonym`, edited by editors): a word or phrase of a group matches any of the
   group's words or phrases ("DV" finds "domestic abuse").
6. **Typos**: a word the index does not know (nor, for the last word, any word starting with
   it) is replaced by the nearest known word within an edit distance of 1 (words of up to
   five letters) or 2 (longer), found with RapidFuzz; the part shows "did you mean ...?".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Generic, Protocol, TypeVar

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_CONCEPTS = 8
MAX_WORD = 40
MAX_PHRASE_WORDS = 4
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: American (or variant) spelling -> the British spelling the index uses.
SPELLINGS: dict[str, str] = {
    "program": "programme",
    "programs": "programmes",
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "behavioral": "behavioural",
    "center": "centre",
    "centers": "centres",
    "counseling": "counselling",
    "counselor": "counsellor",
    "counselors": "counsellors",
    "defense": "defence",
    "pediatric": "paediatric",
    "color": "colour",
    "favor": "favour",
    "neighbor": "neighbour",
    "neighborhood": "neighbourhood",
    "neighborhoods": "neighbourhoods",
    "labor": "labour",
    "modeling": "modelling",
    "traveling": "travelling",
    "fulfill": "fulfil",
    "enroll": "enrol",
    "enrollment": "enrolment",
    "mom": "mum",
    "moms": "mums",
}
#: Suffix rewrites applied when no whole-word spelling matches (``organization``).
_SUFFIXES = (
    ("ization", "isation"),
    ("izations", "isations"),
    ("izing", "ising"),
    ("ized", "ised"),
    ("izes", "ises"),
    ("yzing", "ysing"),
    ("yze", "yse"),
    ("yzed", "ysed"),
)
_IZE_KEEP = frozenset({"size", "prize", "seize", "capsize", "resize", "sized", "sizes"})

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "get",
        "gets",
        "got",
        "us",
        "let",
        "lets",
    ]
)
QUESTION_WORDS = frozenset({"what", "how", "which", "why", "when", "where", "who", "does", "do"})
#: Words that only make a query a question ("what works for ...", "how can we help ...").
QUESTION_FILLERS = frozenset(
    {"help", "helps", "helping", "work", "works", "best", "good", "effective", "evidence"}
)

_stemmer = Stemmer.Stemmer("english")


def normalise(word: str) -> str:
    """Lower case without accents, in British spelling."""
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(c for c in word if not unicodedata.combining(c))[:MAX_WORD]
    if word in SPELLINGS:
        return SPELLINGS[word]
    if word not in _IZE_KEEP:
        for american, british in _SUFFIXES:
            if word.endswith(american) and len(word) > len(american) + 2:
                return word[: -len(american)] + british
    return word


def words(text: str) -> list[str]:
    """The normalised words of a text, in order."""
    return [normalise(w) for w in _WORD.findall(text)]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a normalised word (see the module's step 3)."""
    stemmed: str = _stemmer.stemWord(word)
    if stemmed.endswith("c") and len(stemmed) > 3:
        stemmed = _stemmer.stemWord(stemmed + "e")
    return stemmed


def index_text(text: str) -> str:
    """The text as the index stores it: its stems, separated by spaces."""
    return " ".join(stem(w) for w in words(text))


# --- synonyms -----------------------------------------------------------------------------


def parse_synonym_terms(text: str) -> list[str]:
    """The words or phrases of a synonym group, typed one per line or separated by commas."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,\n;]", text):
        phrase = " ".join(part.split())
        key = index_text(phrase)
        if key and key not in seen:
            seen[key] = phrase
    return list(seen.values())


@dataclass(frozen=True)
class Synonyms:
    """Groups of words and phrases that mean the same, as stem tuples."""

    groups: tuple[tuple[tuple[str, ...], ...], ...] = ()
    #: phrase (stems) -> the indexes of the groups it belongs to
    by_phrase: dict[tuple[str, ...], tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_terms(cls, groups: Iterable[Iterable[str]]) -> Synonyms:
        stemmed: list[tuple[tuple[str, ...], ...]] = []
        by_phrase: dict[tuple[str, ...], list[int]] = {}
        for terms in groups:
            phrases = tuple(
                dict.fromkeys(
                    p
                    for p in (tuple(stem(w) for w in words(t))[:MAX_PHRASE_WORDS] for t in terms)
                    if p
                )
            )
            if len(phrases) < 2:
                continue
            for phrase in phrases:
                by_phrase.setdefault(phrase, []).append(len(stemmed))
            stemmed.append(phrases)
        return cls(tuple(stemmed), {k: tuple(v) for k, v in by_phrase.items()})

    @cached_property
    def words(self) -> set[str]:
        """Every stem that appears in a synonym phrase."""
        return {s for group in self.groups for phrase in group for s in phrase}

    def alternatives(self, phrase: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        found: dict[tuple[str, ...], None] = {phrase: None}
        for index in self.by_phrase.get(phrase, ()):
            found.update(dict.fromkeys(self.groups[index]))
        return tuple(found)


T = TypeVar("T")


class StampedCache(Generic[T]):
    """A value built from database rows, kept per process while a cheap *stamp* of those rows
    stays the same.

    The stamp is one or more scalar ``SELECT`` statements (one row and one column each, such
    as a count and a highest id), so that the stamps of several caches are read in one
    query (:func:`read_stamps`).  Every web process checks the stamp on each use, so a change
    committed by any process is seen by all at their next request.  The process that writes
    also calls :meth:`clear` (ids and counts of rows inserted in a transaction that was
    rolled back may be reused).
    """

    def __init__(self, stamp_sql: Callable[[], Sequence[str]], build: Callable[[], T]) -> None:
        self.stamp_sql = stamp_sql
        self._build = build
        self._kept: tuple[object, T] | None = None

    def get(self) -> T:
        return self.get_stamped(read_stamps(self)[0])

    def get_stamped(self, stamp: tuple[object, ...]) -> T:
        """The value for a stamp :func:`read_stamps` read (now, in this request)."""
        from django.db import connection

        key = (connection.vendor, connection.settings_dict["NAME"], stamp)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        value = self._build()
        self._kept = (key, value)
        return value

    def clear(self) -> None:
        self._kept = None


def read_stamps(*caches: StampedCache[Any]) -> list[tuple[object, ...]]:
    """The current stamps of these caches, in one query (one round trip to the database)."""
    from django.db import connection

    queries = [list(cache.stamp_sql()) for cache in caches]
    sql = "SELECT " + ", ".join(f"({query})" for found in queries for query in found)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    stamps, at = [], 0
    for found in queries:
        stamps.append(tuple(row[at : at + len(found)]))
        at += len(found)
    return stamps


def _synonyms_stamp() -> list[str]:
    from whatworks.core.models import SearchSynonym

    table = SearchSynonym._meta.db_table
    return [
        f"SELECT {aggregate} FROM {table}"  # noqa: S608 (constant names)
        for aggregate in ("COUNT(*)", "MAX(id)", "MAX(updated_at)")
    ]


def _synonyms_build() -> Synonyms:
    from whatworks.core.models import SearchSynonym

    return Synonyms.from_terms(
        parse_synonym_terms(t) for t in SearchSynonym.objects.values_list("terms", flat=True)
    )


#: The synonym groups, per process; the services clear it when they change a group.
synonyms_cache: StampedCache[Synonyms] = StampedCache(_synonyms_stamp, _synonyms_build)


def load_synonyms() -> Synonyms:
    """The synonym groups editors keep: built once per process, re-read when a group is
    added, changed or removed (checked with one aggregate query)."""
    return synonyms_cache.get()


# --- vocabulary and typo correction -------------------------------------------------------


class Vocabulary(Protocol):
    """The words an index holds, for telling typos from words it knows."""

    def known(self, stems: set[str]) -> set[str]:
        """Which of the stems occur in the index."""

    def has_prefix(self, stem_prefix: str) -> bool:
        """Whether some stem in the index starts with this."""

    def words_near(self, length: int, spread: int) -> Sequence[str]:
        """The index's (normalised, unstemmed) words within ``spread`` of ``length``."""


@dataclass(frozen=True)
class MemoryVocabulary:
    """A vocabulary built from texts in memory (for small collections such as the register)."""

    surface: frozenset[str]
    stems: frozenset[str]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> MemoryVocabulary:
        surface = {w for text in texts for w in words(text) if not w.isdigit()}
        return cls(frozenset(surface), frozenset(stem(w) for w in surface))

    def known(self, stems: set[str]) -> set[str]:
        return stems & self.stems

    def has_prefix(self, stem_prefix: str) -> bool:
        return any(s.startswith(stem_prefix) for s in self.stems)

    def words_near(self, length: int, spread: int) -> Sequence[str]:
        return sorted(w for w in self.surface if abs(len(w) - length) <= spread)


def max_edits(word: str) -> int:
    """How many edits a typo of this word may be: none under 4 letters, 1 up to 5, else 2."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) <= 5 else 2


def closest_word(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate nearest to ``word`` by Levenshtein distance within :func:`max_edits`;
    ties go to a candidate with the same first letter, then alphabetical order."""
    limit = max_edits(word)
    if not limit or not candidates:
        return None
    found = process.extract(
        word, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
    )
    if not found:
        return None
    best = min(found, key=lambda m: (m[1], m[0][0] != word[0], m[0]))
    return str(best[0])


# --- parsing a query ----------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    """One thing the query asks for: a word, or a phrase of the synonym list, and what matches
    it.  ``alternatives`` are stem tuples (one stem, or a phrase); with ``prefix`` the first
    alternative (the typed word) also matches stems that start with it."""

    text: str
    alternatives: tuple[tuple[str, ...], ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    typed: str
    concepts: tuple[Concept, ...] = ()
    #: The query with its typos corrected, when there were any ("did you mean ...?").
    corrected: str = ""
    #: Why there is nothing to search for, when the text was not empty.
    problem: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.concepts


def _droppable(typed: list[str]) -> list[bool]:
    """For each word, whether it is a stop word (or, in a question, a question filler)."""
    question = bool(typed) and typed[0] in QUESTION_WORDS
    return [w in STOP_WORDS or (question and w in QUESTION_FILLERS) for w in typed]


def _correct(
    typed: list[str], drop: list[bool], vocabulary: Vocabulary | None, synonym_stems: set[str]
) -> tuple[list[str], bool]:
    if vocabulary is None:
        return typed, False
    stems = {stem(w) for w, dropped in zip(typed, drop, strict=True) if not dropped}
    known = vocabulary.known(stems - synonym_stems) | (stems & synonym_stems)
    last = max((i for i, dropped in enumerate(drop) if not dropped), default=-1)
    corrected, changed = [], False
    for position, word in enumerate(typed):
        s = stem(word)
        if (
            drop[position]
            or s in known
            or not max_edits(word)
            or (position == last and vocabulary.has_prefix(s))
        ):
            corrected.append(word)
        else:
            better = closest_word(word, vocabulary.words_near(len(word), max_edits(word)))
            corrected.append(better or word)
            changed = changed or bool(better and better != word)
    return corrected, changed


def _concepts(
    typed: list[str], drop: list[bool], synonyms: Synonyms, *, prefix_last: bool
) -> tuple[Concept, ...]:
    """Synonym phrases first (they may hold stop words: "entry into care"), longest first;
    then each remaining word that is not a stop word."""
    stems = [stem(w) for w in typed]
    last = max((i for i, dropped in enumerate(drop) if not dropped), default=-1)
    concepts: list[Concept] = []
    position = 0
    while position < len(stems) and len(concepts) < MAX_CONCEPTS:
        for size in range(min(MAX_PHRASE_WORDS, len(stems) - position), 1, -1):
            phrase = tuple(stems[position : position + size])
            if phrase in synonyms.by_phrase:
                text = " ".join(typed[position : position + size])
                concepts.append(Concept(text, synonyms.alternatives(phrase)))
                position += size
                break
        else:
            if not drop[position]:
                phrase = (stems[position],)
                concepts.append(
                    Concept(
                        typed[position],
                        synonyms.alternatives(phrase),
                        prefix=prefix_last and position == last and len(phrase[0]) >= 2,
                    )
                )
            position += 1
    return tuple(concepts)


def parse_query(
    text: str,
    *,
    synonyms: Synonyms,
    vocabulary: Vocabulary | None = None,
    correct: bool = True,
    prefix_last: bool = True,
) -> ParsedQuery:
    """What a typed query asks for (see the module's steps)."""
    typed = words(text)[: MAX_CONCEPTS * 3]
    if not typed:
        problem = "Type a word to search for." if text.strip() else ""
        return ParsedQuery(typed=text, problem=problem)
    drop = _droppable(typed)
    corrected, changed = (
        _correct(typed, drop, vocabulary, synonyms.words) if correct else (typed, False)
    )
    concepts = _concepts(corrected, drop, synonyms, prefix_last=prefix_last)
    if not concepts:
        return ParsedQuery(
            typed=text,
            problem="Those words are too common to search for: add a more specific one.",
        )
    return ParsedQuery(
        typed=text, concepts=concepts, corrected=" ".join(corrected) if changed else ""
    )


# --- ranking in memory (for parts without a full-text index) ------------------------------


@dataclass(frozen=True)
class Document:
    """A searchable text held in memory: ``head`` (title and the like) ranks before ``body``."""

    key: object
    head: str
    body: str


@dataclass(frozen=True)
class _Indexed:
    key: object
    head: tuple[str, ...]
    body: tuple[str, ...]


def _contains(stems: tuple[str, ...], concept: Concept) -> bool:
    for index, phrase in enumerate(concept.alternatives):
        if index == 0 and concept.prefix and len(phrase) == 1:
            if any(s.startswith(phrase[0]) for s in stems):
                return True
            continue
        n = len(phrase)
        if any(stems[i : i + n] == phrase for i in range(len(stems) - n + 1)):
            return True
    return False


def rank_documents(documents: Iterable[Document], query: ParsedQuery) -> list[object]:
    """The keys of documents matching at least one concept, best first: most concepts
    matched, then most matched in the head, then the order given."""
    scored = []
    for order, doc in enumerate(documents):
        indexed = _Indexed(
            doc.key, tuple(index_text(doc.head).split()), tuple(index_text(doc.body).split())
        )
        head = sum(1 for c in query.concepts if _contains(indexed.head, c))
        anywhere = sum(
            1 for c in query.concepts if _contains(indexed.head, c) or _contains(indexed.body, c)
        )
        if anywhere:
            scored.append((-anywhere, -head, order, doc.key))
    scored.sort(key=lambda row: row[:3])
    return [row[3] for row in scored]
