"""Import of reference-manager exports (RIS) for studies: matched by DOI, then by title.

A RIS record has what a reference manager knows: authors, title, year, journal, DOI, web
address.  It has nothing of what the Evidence Store appraises (design, sample, risk of
bias), so the import does two things: a record that matches a study we hold (same DOI, or
the same title, compared without case, accents and punctuation, inside the study's
citation) fills in that study's missing DOI and web address; a record that matches none is
listed with a link to the study form, prefilled from the record.  Nothing is written until
the editor has seen the preview and confirmed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import rispy
from django.utils.translation import gettext as _

from whatworks.core.search import words
from whatworks.evidence.models import DOI_PATTERN, Study

MAX_RECORDS = 5_000
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass(frozen=True)
class RisRecord:
    number: int  # 1-based, in the file's order
    title: str
    authors: tuple[str, ...]
    year: int | None
    journal: str
    doi: str
    url: str
    problems: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        """A citation in the store's style: authors. Title. Journal."""
        people = ", ".join(self.authors[:6]) + (" et al." if len(self.authors) > 6 else "")
        parts = [p for p in (people, self.title, self.journal) if p]
        return ". ".join(p.rstrip(".") for p in parts)[:500]


@dataclass(frozen=True)
class RisMatch:
    record: RisRecord
    study: Study | None
    #: "doi" or "title" when matched.
    matched_by: str = ""
    #: What the import would set on the matched study: field -> new value.
    changes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RisPreview:
    matches: tuple[RisMatch, ...]
    #: Problems with the file as a whole (it could not be read at all).
    problems: tuple[str, ...] = ()

    @property
    def updates(self) -> list[RisMatch]:
        return [m for m in self.matches if m.study is not None and m.changes]

    @property
    def unchanged(self) -> list[RisMatch]:
        return [m for m in self.matches if m.study is not None and not m.changes]

    @property
    def new(self) -> list[RisMatch]:
        return [m for m in self.matches if m.study is None and not m.record.problems]

    @property
    def with_problems(self) -> list[RisMatch]:
        return [m for m in self.matches if m.record.problems]


def normalise_doi(raw: str) -> str:
    return _DOI_PREFIX.sub("", raw.strip()).strip().lower()


def normalise_title(text: str) -> str:
    return " ".join(words(text))


def _first(entry: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value:
            return " ".join(str(value).split())
    return ""


def parse_ris(text: str) -> tuple[list[RisRecord], list[str]]:
    """The file's records, each with its own problems, and problems of the whole file."""
    if not text.strip():
        return [], ["The file is empty."]
    if "TY  -" not in text:
        return [], [
            "This is not a RIS file: RIS records start with a line like “TY  - JOUR”. "
            "Export the references from your reference manager as RIS (.ris)."
        ]
    try:
        entries = rispy.loads(text)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return [], [f"The RIS file could not be read: {error}. Export it again as RIS."]
    if len(entries) > MAX_RECORDS:
        return [], [f"At most {MAX_RECORDS:,} records per file (this has {len(entries):,})."]
    records = []
    for number, entry in enumerate(entries, start=1):
        problems = []
        title = _first(entry, "title", "primary_title", "translated_title")
        if not title:
            problems.append(_("It has no title (TI or T1)."))
        year_text = _first(entry, "year", "publication_year", "date")
        found = re.search(r"\b(19|20)\d\d\b", year_text)
        year = int(found.group(0)) if found else None
        if year_text and year is None:
            problems.append(
                _("Its year %(year_text)s is not a year between 1900 and 2099 (PY).")
                % {"year_text": repr(year_text)}
            )
        doi = normalise_doi(_first(entry, "doi"))
        if doi and not re.match(DOI_PATTERN, doi):
            problems.append(
                _("Its DOI %(doi)s is not of the form 10.<digits>/<suffix> (DO).")
                % {"doi": repr(doi)}
            )
        url = _first(entry, "urls", "url", "link_to_pdf")
        if url and not re.match(r"^https?://\S+$", url):
            problems.append(
                _("Its web address %(url)s does not start with http:// or https://.")
                % {"url": repr(url)}
            )
        authors = tuple(entry.get("authors") or entry.get("first_authors") or ())
        records.append(
            RisRecord(
                number=number,
                title=title,
                authors=tuple(" ".join(str(a).split()) for a in authors),
                year=year,
                journal=_first(entry, "journal_name", "secondary_title", "alternate_title1"),
                doi=doi,
                url=url[:500],
                problems=tuple(problems),
            )
        )
    return records, []


def _changes(study: Study, record: RisRecord) -> dict[str, str]:
    """The record's DOI and web address where the study has none (never overwritten)."""
    changes = {}
    if record.doi and not study.doi:
        changes["doi"] = record.doi
    if record.url and not study.url:
        changes["url"] = record.url
    return changes


def ris_preview(text: str) -> RisPreview:
    """What importing this RIS text would do (nothing is written)."""
    records, problems = parse_ris(text)
    if problems:
        return RisPreview((), tuple(problems))
    studies = list(Study.objects.select_related("intervention").order_by("pk"))
    by_doi = {normalise_doi(s.doi): s for s in studies if s.doi}
    citations = [(f" {normalise_title(s.citation)} ", s) for s in studies]
    matches = []
    for record in records:
        if record.problems:
            matches.append(RisMatch(record, None))
            continue
        study, how = by_doi.get(record.doi) if record.doi else None, "doi"
        if study is None:
            title = f" {normalise_title(record.title)} "
            hits = [s for text_, s in citations if title.strip() and title in text_]
            study, how = (hits[0], "title") if len(hits) == 1 else (None, "")
        if study is None:
            matches.append(RisMatch(record, None))
        else:
            matches.append(RisMatch(record, study, how, _changes(study, record)))
    return RisPreview(tuple(matches))
