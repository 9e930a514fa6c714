from __future__ import annotations

import io
from typing import Any

import pytest
from django.http import QueryDict

from whatworks.evidence.search import EvidenceVocabulary, SearchQuery, evidence_search
from whatworks.evidence.services import store

from .factories import intervention, rating, study

pytestmark = pytest.mark.django_db


def names(**kwargs: Any) -> list[str]:
    return [i.name for i in evidence_search(query=SearchQuery(**kwargs)).interventions]


@pytest.fixture
def catalogue() -> None:
    fgc = intervention(
        name="Family group conferences",
        summary="The wider family makes a plan.",
        age_groups=["all"],
        need_levels=["child-protection"],
    )
    rating(fgc, "entering-care", effectiveness="small-benefit", strength="2-limited")
    study(fgc, design="rct")
    iy = intervention(
        name="Incredible Years",
        summary="A parenting group for families.",
        age_groups=["0-4"],
        need_levels=["early-help"],
        cost_band="1-low",
    )
    rating(iy, "child-behaviour", effectiveness="moderate-benefit", strength="4-strong")
    study(iy, design="quasi-experimental")
    da = intervention(
        name="Safe and Together",
        summary="Domestic abuse practice model.",
        age_groups=["all"],
        need_levels=["child-protection"],
        cost_band="1-low",
    )
    rating(da, "child-safety", effectiveness="small-benefit", strength="1-very-limited")
    intervention(name="Family draft", summary="family", status="draft")


@pytest.mark.usefixtures("catalogue")
def test_without_words_everything_published_in_name_order() -> None:
    assert names() == ["Family group conferences", "Incredible Years", "Safe and Together"]


@pytest.mark.usefixtures("catalogue")
def test_title_matches_rank_before_body_matches() -> None:
    assert names(text="family") == ["Family group conferences", "Incredible Years"]


@pytest.mark.usefixtures("catalogue")
def test_partly_typed_words_match_by_prefix() -> None:
    assert names(text="famil") == ["Family group conferences", "Incredible Years"]
    assert names(text="domest ab") == ["Safe and Together"]
    assert names(text="confer") == ["Family group conferences"]


@pytest.mark.usefixtures("catalogue")
def test_some_words_matching_is_enough_and_more_matches_rank_first() -> None:
    assert names(text='family "plan" (wider) zebra*') == [
        "Family group conferences",
        "Incredible Years",
    ]
    assert names(text="parenting plan") == ["Family group conferences", "Incredible Years"]
    assert names(text="wider family plan")[0] == "Family group conferences"
    assert names(text="   ") == names()


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("text", ["'", "%", "'%'", "%%", "the of and"])
def test_text_without_a_word_to_search_for_finds_nothing_and_says_why(text: str) -> None:
    results = evidence_search(query=SearchQuery(text=text))
    assert results.total == 0 and results.interventions == []
    assert results.problem


@pytest.mark.usefixtures("catalogue")
def test_facets_filter_and_combine() -> None:
    assert names(filters={"age": ("0-4",)}) == ["Incredible Years"]
    assert names(filters={"cost": ("1-low",), "need": ("child-protection",)}) == [
        "Safe and Together"
    ]
    assert names(filters={"age": ("0-4", "all")}) == names()  # OR within a facet
    assert names(text="family", filters={"design": ("rct",)}) == ["Family group conferences"]
    assert names(filters={"strength": ("4-strong",), "domain": ("child-behaviour",)}) == [
        "Incredible Years"
    ]
    assert names(filters={"effectiveness": ("small-benefit",)}) == [
        "Family group conferences",
        "Safe and Together",
    ]


@pytest.mark.usefixtures("catalogue")
def test_facet_counts_apply_the_other_facets_only() -> None:
    results = evidence_search(query=SearchQuery(filters={"cost": ("1-low",)}))
    facets = {f.key: {v.value: (v.count, v.selected) for v in f.values} for f in results.facets}
    assert facets["cost"] == {"1-low": (2, True), "2-medium-low": (1, False)}
    assert facets["age"] == {"0-4": (1, False), "all": (1, False)}
    assert results.total == 2


@pytest.mark.usefixtures("catalogue")
def test_query_state_round_trips_through_the_url() -> None:
    params = QueryDict("q=famil&age=all&age=0-4&age=bogus&cost=1-low&page=x")
    query = SearchQuery.from_params(params)
    assert query.text == "famil" and query.page == 1
    assert query.filters == {"age": ("0-4", "all"), "cost": ("1-low",)}
    assert (
        SearchQuery.from_params(QueryDict("&".join(f"{k}={v}" for k, v in query.url_params())))
        == query
    )


def test_the_index_follows_changes_and_drafts_are_not_found() -> None:
    made = intervention(name="Mentoring", status="draft")
    assert names(text="mentor") == []
    store.intervention_update(actor=None, intervention=made, data={"status": "published"})
    assert names(text="mentor") == ["Mentoring"]
    store.intervention_update(actor=None, intervention=made, data={"name": "Befriending"})
    assert names(text="mentor") == [] and names(text="befriend") == ["Befriending"]


def test_pages_of_results() -> None:
    for n in range(25):
        intervention(name=f"Programme {n:02d}")
    first = evidence_search(query=SearchQuery(text="programme"))
    last = evidence_search(query=SearchQuery(text="programme", page=9))
    assert first.total == 25 and first.page_count == 2 and len(first.interventions) == 20
    assert last.page == 2 and len(last.interventions) == 5


#: Practitioner phrasings from issue 16 (word forms, typos, synonyms, questions) and the
#: demo intervention that must come first; the correction shown, if any.
PHRASINGS = [
    ("family group conferencing", "Family group conferences", ""),
    ("conferencing", "Family group conferences", ""),
    ("conferences", "Family group conferences", ""),
    ("domestic violence", "Safe and Together model for domestic abuse", ""),
    ("DV", "Safe and Together model for domestic abuse", ""),
    ("FGC", "Family group conferences", ""),
    ("domestc abuse", "Safe and Together model for domestic abuse", "domestic abuse"),
    ("sign of safty", "Signs of Safety", "sign of safety"),
    ("reduce care entry", "Family group conferences", ""),
    (
        "what helps families where there is domestic abuse",
        "Safe and Together model for domestic abuse",
        "",
    ),
    ("MST", "Multisystemic therapy", ""),
    ("parenting program", "Incredible Years parenting programme", ""),
    ("behavior", "Incredible Years parenting programme", ""),
    ("looked after children", "Volunteer mentoring for children in care", ""),
    ("LAC", "Volunteer mentoring for children in care", ""),
    ("care leavers", "Staying Put", ""),
    ("schwarz", "Schwartz Rounds", "schwartz"),
    ("mum", "Family drug and alcohol courts", ""),
    ("FDAC", "Family drug and alcohol courts", ""),
]


def test_practitioner_phrasings_find_the_expected_first_result() -> None:
    from whatworks.evidence import demo

    demo.load(stdout=io.StringIO())
    wrong = []
    for text, first, corrected in PHRASINGS:
        results = evidence_search(query=SearchQuery(text=text))
        got = results.interventions[0].name if results.interventions else None
        if (got, results.corrected) != (first, corrected):
            wrong.append((text, got, results.corrected))
    assert wrong == []


def test_an_editor_added_synonym_works_at_once() -> None:
    from whatworks.core.models import SearchSynonym

    intervention(name="Kinship care support", summary="Help for family and friends carers.")
    assert names(text="SGO") == []
    SearchSynonym.objects.create(terms="SGO, special guardianship, kinship care")
    assert names(text="SGO") == ["Kinship care support"]


def test_a_correction_that_finds_nothing_is_not_offered() -> None:
    intervention(name="Mentoring", status="draft")
    results = evidence_search(query=SearchQuery(text="mentorng"))
    assert results.corrected == "" and results.total == 0


def test_spell_off_searches_for_what_was_typed() -> None:
    intervention(name="Schwartz Rounds")
    assert names(text="schwarz") == ["Schwartz Rounds"]
    assert names(text="schwarz", spell=False) == []


@pytest.mark.usefixtures("catalogue")
def test_sort_orders() -> None:
    assert names(sort="cost")[:2] == ["Incredible Years", "Safe and Together"]
    assert names(sort="effect")[0] == "Incredible Years"  # moderate before small
    assert names(sort="strength")[0] == "Incredible Years"  # strong first
    assert names(text="family", sort="name") == ["Family group conferences", "Incredible Years"]


def test_synonyms_and_words_are_read_once_per_process_until_they_change() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from whatworks.core.models import SearchSynonym
    from whatworks.evidence.models import SearchWord

    intervention(name="Kinship care support", summary="Help for family and friends carers.")
    assert names(text="kinshp") == ["Kinship care support"]  # fills both caches
    # Now only the stamps read the synonyms and the words: one query of aggregates, which
    # also holds the search index's stamp.
    with CaptureQueriesContext(connection) as done:
        assert names(text="kinshp") == ["Kinship care support"]
    reads = [
        q["sql"]
        for q in done.captured_queries
        if "core_searchsynonym" in q["sql"] or "evidence_searchword" in q["sql"]
    ]
    assert len(reads) == 1 and "COUNT(" in reads[0] and "evidence_searchentry" in reads[0]
    assert "terms" not in reads[0] and "word" not in reads[0].replace("searchword", "")
    # Another process changes a synonym group or adds words (no cache of ours is cleared):
    # the stamps show it at the next search.
    group = SearchSynonym.objects.get(terms__startswith="DV,")
    SearchSynonym.objects.filter(pk=group.pk).update(
        terms="DV, domestic violence, domestic abuse, kinship", updated_at=timezone.now()
    )
    assert names(text="DV") == ["Kinship care support"]
    SearchWord.objects.create(word="guardianship", stem="guardianship", length=12)
    assert EvidenceVocabulary().known({"guardianship"}) == {"guardianship"}
    assert "guardianship" in EvidenceVocabulary().words_near(11, 1)
    SearchSynonym.objects.filter(pk=group.pk).delete()
    assert names(text="DV") == []


def test_outcome_facets_match_within_one_outcome_and_count_so() -> None:
    both = intervention(name="Both outcomes", cost_band="1-low")
    rating(both, "entering-care", effectiveness="small-benefit", strength="2-limited")
    rating(both, "parenting", effectiveness="moderate-benefit", strength="4-strong")
    one = intervention(name="Entering care only", cost_band="3-medium")
    rating(one, "entering-care", effectiveness="moderate-benefit", strength="4-strong")
    # "Entering care" rated strong: only the second has one outcome that is both.
    query = SearchQuery(filters={"domain": ("entering-care",), "strength": ("4-strong",)})
    results = evidence_search(query=query)
    assert [i.name for i in results.interventions] == ["Entering care only"]
    facets = {f.key: {v.value: v.count for v in f.values} for f in results.facets}
    # Strength counts apply the outcome filter only: both have an entering-care outcome,
    # rated limited in one and strong in the other.
    assert facets["strength"] == {"4-strong": 1, "2-limited": 1}
    # Outcome counts apply the strength filter: entering care (strong) in one, parenting
    # (strong) in the other.
    assert facets["domain"] == {"entering-care": 1, "parenting": 1}
    assert facets["cost"] == {"3-medium": 1}
    # A facet of the entry's own (cost) with an outcome filter that no outcome passes.
    query = SearchQuery(filters={"cost": ("1-low",), "effectiveness": ("harm",)})
    results = evidence_search(query=query)
    facets = {f.key: {v.value: v.count for v in f.values} for f in results.facets}
    assert results.total == 0
    assert facets["cost"] == {"1-low": 0} and facets["effectiveness"] == {
        "harm": 0,
        "small-benefit": 1,
        "moderate-benefit": 1,
    }
    assert facets["strength"] == {}


def test_the_facet_index_is_kept_per_process_until_an_entry_changes() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from whatworks.evidence.models import SearchEntry

    made = intervention(name="Mentoring", cost_band="1-low")
    assert names(filters={"cost": ("1-low",)}) == ["Mentoring"]  # builds the index
    with CaptureQueriesContext(connection) as done:
        assert names(filters={"cost": ("1-low",)}) == ["Mentoring"]
    reads = [q["sql"] for q in done.captured_queries if "evidence_searchentry" in q["sql"]]
    assert len(reads) == 1 and "COUNT(" in reads[0]  # only the stamp
    # Another process rewrites the entry (no cache of ours is cleared): the stamp shows it.
    SearchEntry.objects.filter(intervention=made).update(
        facets=" cost=5-high ", changed_at=timezone.now()
    )
    assert names(filters={"cost": ("1-low",)}) == []
    assert names(filters={"cost": ("5-high",)}) == ["Mentoring"]


def test_every_page_of_a_relevance_order_is_the_full_order_cut_into_pages() -> None:
    # Ties in (words matched, in the name or outcomes) broken by the text rank, which the
    # selector asks for only within the groups the page shown overlaps.
    for n in range(23):
        words = "kinship " * (1 + n % 4) + ("foster " if n % 3 == 0 else "")
        name = f"Kinship programme {n:02d}" if n % 5 == 0 else f"Programme {n:02d}"
        intervention(name=name, summary=f"Support {words}for carers.")
    for text in ("kinship", "kinship foster", "foster kinship carers"):
        whole = [
            i.pk for i in evidence_search(query=SearchQuery(text=text), page_size=100).interventions
        ]
        pages = []
        for page in range(1, 6):
            results = evidence_search(query=SearchQuery(text=text, page=page), page_size=5)
            pages += [i.pk for i in results.interventions]
        assert len(whole) == 23 and pages == whole, text


def test_several_age_groups_needs_and_settings_each_filter_and_count() -> None:
    intervention(name="Both ages", age_groups=["0-4", "5-11"], settings=["home", "school"])
    intervention(name="Young only", age_groups=["0-4"], need_levels=["early-help"])
    intervention(name="Older", age_groups=["12-17"], settings=["court"])
    assert names(filters={"age": ("5-11",)}) == ["Both ages"]
    assert names(filters={"age": ("0-4",)}) == ["Both ages", "Young only"]
    assert names(filters={"setting": ("school", "court")}) == ["Both ages", "Older"]
    assert names(filters={"age": ("0-4",), "setting": ("home",)}) == ["Both ages"]
    results = evidence_search(query=SearchQuery(filters={"age": ("0-4",)}))
    facets = {f.key: {v.value: v.count for v in f.values} for f in results.facets}
    assert facets["age"] == {"0-4": 2, "5-11": 1, "12-17": 1}  # under each of its values
    assert facets["setting"] == {"home": 1, "school": 1}
    assert facets["need"] == {"early-help": 1, "child-in-need": 1}
    assert names(text="primary age") == ["Both ages"]  # the labels are searched too
