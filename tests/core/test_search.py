"""The shared search machinery: words, spellings, stems, synonyms, typos, questions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.fixturetypes import ClientFor
from whatworks.core.errors import WhatworksError
from whatworks.core.models import AuditEntry, SearchSynonym
from whatworks.core.search import (
    Document,
    MemoryVocabulary,
    Synonyms,
    closest_word,
    index_text,
    parse_query,
    parse_synonym_terms,
    rank_documents,
    stem,
)
from whatworks.core.services.search import search_synonym_save

SYNONYMS = Synonyms.from_terms(
    parse_synonym_terms(t)
    for t in (
        "DV, domestic violence, domestic abuse",
        "care entry, entering care, entry into care",
        "LAC, looked after, children in care",
    )
)


@pytest.mark.parametrize(
    "forms",
    [
        ("conferencing", "conferences", "conference"),
        ("programme", "program", "programmes"),
        ("behaviour", "behavior"),
        ("organisation", "organization"),
        ("family", "families"),
    ],
)
def test_word_forms_and_spellings_share_a_stem(forms: tuple[str, ...]) -> None:
    assert len({index_text(f) for f in forms}) == 1


def test_punctuation_is_no_word() -> None:
    for text in ("'", "%", "'%'", "--"):
        parsed = parse_query(text, synonyms=SYNONYMS)
        assert parsed.is_empty and parsed.problem == "Type a word to search for."
    assert parse_query("", synonyms=SYNONYMS).problem == ""


def test_questions_lose_their_stop_words_and_phrases_keep_theirs() -> None:
    parsed = parse_query("what helps families where there is domestic abuse", synonyms=SYNONYMS)
    assert [c.text for c in parsed.concepts] == ["families", "domestic abuse"]
    assert ("dv",) in parsed.concepts[1].alternatives
    parsed = parse_query("reduce entry into care", synonyms=SYNONYMS)
    assert [c.text for c in parsed.concepts] == ["reduce", "entry into care"]
    assert ("enter", "care") in parsed.concepts[1].alternatives
    assert parse_query("what works", synonyms=SYNONYMS).problem


def test_typos_are_corrected_against_the_vocabulary() -> None:
    vocabulary = MemoryVocabulary.from_texts(["Signs of Safety", "Schwartz Rounds", "domestic"])
    parsed = parse_query("sign of safty", synonyms=SYNONYMS, vocabulary=vocabulary)
    assert parsed.corrected == "sign of safety"
    assert parse_query("schwarz", synonyms=SYNONYMS, vocabulary=vocabulary).corrected == (
        "schwartz"
    )
    # A known word, the start of a known word (being typed) and short words stay.
    assert parse_query("rounds", synonyms=SYNONYMS, vocabulary=vocabulary).corrected == ""
    assert parse_query("schw", synonyms=SYNONYMS, vocabulary=vocabulary).corrected == ""
    assert parse_query("dv", synonyms=SYNONYMS, vocabulary=vocabulary).corrected == ""


def test_closest_word_limits_the_edit_distance() -> None:
    assert closest_word("safty", ["safety", "salty"]) == "safety"  # same first letter, a-z
    assert closest_word("sfty", ["safety"]) is None  # 2 edits for a 4-letter word
    assert closest_word("domestc", ["domestic"]) == "domestic"
    assert closest_word("abc", ["abd"]) is None  # too short to correct


def test_rank_documents_by_concepts_then_head() -> None:
    docs = [
        Document(1, "Parenting support", "for families"),
        Document(2, "Domestic abuse services", "for families"),
        Document(3, "Something else", "mentions domestic violence"),
    ]
    parsed = parse_query("families DV", synonyms=SYNONYMS)
    assert rank_documents(docs, parsed) == [2, 1, 3]  # ties keep the order given
    assert stem("families") == "famili"


@pytest.mark.django_db
def test_the_seeded_synonyms_and_the_staff_page(client_for: ClientFor) -> None:
    assert SearchSynonym.objects.filter(terms__startswith="DV,").exists()
    client = client_for("editor")
    response = client.post(reverse("core:synonym_list"), {"terms": "SGO", "note": ""})
    assert "Give two or more different words" in response.content.decode()
    response = client.post(
        reverse("core:synonym_list"), {"terms": "SGO,special guardianship , SGOs", "note": "x"}
    )
    assert response.status_code == 302
    made = SearchSynonym.objects.get(terms="SGO, special guardianship, SGOs")
    assert AuditEntry.objects.filter(action="core.search_synonym_created").exists()
    url = reverse("core:synonym_edit", kwargs={"pk": made.pk})
    assert client.post(url, {"action": "delete"}).status_code == 302
    assert not SearchSynonym.objects.filter(pk=made.pk).exists()
    with pytest.raises(WhatworksError):
        search_synonym_save(actor=None, terms="one")
