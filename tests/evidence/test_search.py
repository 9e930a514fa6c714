from __future__ import annotations

import pytest
from django.http import QueryDict

from whatworks.evidence import services
from whatworks.evidence.search import SearchQuery, evidence_search

from .factories import intervention, rating, study

pytestmark = pytest.mark.django_db


def names(**kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.name for i in evidence_search(query=SearchQuery(**kwargs)).interventions]


@pytest.fixture
def catalogue() -> None:
    fgc = intervention(
        name="Family group conferences",
        summary="The wider family makes a plan.",
        age_group="all",
        need_level="child-protection",
    )
    rating(fgc, "entering-care", effectiveness="small-benefit", strength="2-limited")
    study(fgc, design="rct")
    iy = intervention(
        name="Incredible Years",
        summary="A parenting group for families.",
        age_group="0-4",
        need_level="early-help",
        cost_band="1-low",
    )
    rating(iy, "child-behaviour", effectiveness="moderate-benefit", strength="4-strong")
    study(iy, design="quasi-experimental")
    da = intervention(
        name="Safe and Together",
        summary="Domestic abuse practice model.",
        age_group="all",
        need_level="child-protection",
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
def test_every_word_must_match_and_punctuation_is_harmless() -> None:
    assert names(text='family "plan" (wider) zebra*') == []
    assert names(text="family plan") == ["Family group conferences"]
    assert names(text="   ") == names()


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
    services.intervention_update(actor=None, intervention=made, data={"status": "published"})
    assert names(text="mentor") == ["Mentoring"]
    services.intervention_update(actor=None, intervention=made, data={"name": "Befriending"})
    assert names(text="mentor") == [] and names(text="befriend") == ["Befriending"]


def test_pages_of_results() -> None:
    for n in range(25):
        intervention(name=f"Programme {n:02d}")
    first = evidence_search(query=SearchQuery(text="programme"))
    last = evidence_search(query=SearchQuery(text="programme", page=9))
    assert first.total == 25 and first.page_count == 2 and len(first.interventions) == 20
    assert last.page == 2 and len(last.interventions) == 5
