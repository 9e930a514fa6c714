"""Reads of the Evidence Store, with their access checks.  Views fetch only through these.

Published interventions (and their studies) are public; drafts exist only for people who
may edit evidence, and everyone else gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from whatworks.core.models import User
from whatworks.evidence.analytics import METHODS, PI_MIN_STUDIES, PI_TOO_FEW, display_value
from whatworks.evidence.headline import Headline, headline
from whatworks.evidence.models import (
    EffectMeasure,
    Finding,
    Intervention,
    OutcomeDomain,
    OutcomeRating,
    RatingChange,
    Study,
    Synthesis,
)
from whatworks.evidence.rules import (
    Departure,
    PooledEstimate,
    RulesRating,
    StudyFacts,
    departure,
    rules_rating,
)

EDIT_PERMISSION = "evidence.change_intervention"
AnyUser = User | AnonymousUser


def can_edit_evidence(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm(EDIT_PERMISSION))


def interventions_visible_to(user: AnyUser) -> QuerySet[Intervention]:
    queryset = Intervention.objects.all()
    if not can_edit_evidence(user):
        queryset = queryset.filter(status=Intervention.Status.PUBLISHED)
    return queryset


def intervention_get_for_user(*, user: AnyUser, slug: str) -> Intervention:
    """The intervention, if published or the user may edit evidence; otherwise 404."""
    intervention = interventions_visible_to(user).filter(slug=slug).first()
    if intervention is None:
        raise Http404("No such intervention.")
    return intervention


def study_get_for_user(*, user: AnyUser, slug: str) -> Study:
    """The study, if its intervention is visible to the user; otherwise 404."""
    study = (
        Study.objects.select_related("intervention")
        .filter(slug=slug, intervention__in=interventions_visible_to(user))
        .first()
    )
    if study is None:
        raise Http404("No such study.")
    return study


def finding_get_for_user(*, user: AnyUser, slug: str) -> Finding:
    """The finding, if its study's intervention is visible to the user; otherwise 404."""
    finding = (
        Finding.objects.select_related("study__intervention")
        .filter(slug=slug, study__intervention__in=interventions_visible_to(user))
        .first()
    )
    if finding is None:
        raise Http404("No such finding.")
    return finding


def studies_for_registry_project(*, user: AnyUser, reference: str) -> QuerySet[Study]:
    """The studies registered in our registry as ``reference``, with their interventions,
    if the user may see the intervention (published, or the user may edit evidence)."""
    if not reference:
        return Study.objects.none()
    return (
        Study.objects.select_related("intervention")
        .filter(registry_ref=reference, intervention__in=interventions_visible_to(user))
        .order_by("intervention__name", "-year", "citation")
    )


# --- the intervention page ----------------------------------------------------------------


@dataclass(frozen=True)
class MethodRow:
    method: str
    label: str
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    #: How the prediction interval was computed, or why there is none.
    pi_method: str | None
    pi_note: str | None
    #: "knha" when the Knapp-Hartung adjustment was used, else "z".
    test: str
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p: float


@dataclass(frozen=True)
class SynthesisView:
    synthesis: Synthesis
    measure_label: str
    scale_label: str
    is_ratio: bool
    higher_is_better: bool
    headline: MethodRow
    methods: tuple[MethodRow, ...]
    table_header: list[str]
    table_rows: list[list[str]]
    #: The funnel plot (from ten studies up) and its tests, or None.
    funnel: dict[str, Any] | None
    #: Leave-one-out results when one study dominates the pool, or None.
    leave_one_out: dict[str, Any] | None
    #: The plain headline ("about 22 in 100 ..."), when the pooled findings were at hand.
    plain: Headline | None = None
    #: The forest plot drawn for a phone ("" for a synthesis computed before there was one).
    forest_narrow_svg: str = ""


@dataclass(frozen=True)
class OutcomeView:
    domain: str
    label: str
    rating: OutcomeRating | None
    syntheses: tuple[SynthesisView, ...]
    rules: RulesRating
    departure: Departure | None

    @property
    def rules_changed(self) -> bool:
        """The rating departs from the rules, which now give something other than what the
        rater saw (the evidence changed since): the reason, if any, may no longer hold."""
        rating = self.rating
        return bool(
            rating is not None
            and self.departure
            and (
                rating.rules_effectiveness != self.rules.effectiveness
                or rating.rules_strength != self.rules.strength
            )
        )


@dataclass(frozen=True)
class InterventionDetail:
    intervention: Intervention
    outcomes: tuple[OutcomeView, ...]
    studies: list[Study]
    changes: list[RatingChange]


_METHOD_LABELS = {
    "FE": "Fixed effect",
    "DL": "Random effects (DerSimonian-Laird)",
    "REML": "Random effects (REML)",
}


def _method_row(measure: str, method: str, data: dict[str, Any], k: int) -> MethodRow:
    def shown(value: float | None) -> float | None:
        return None if value is None else display_value(measure, value)

    # Results stored before prediction intervals needed three studies may still carry one.
    few = k < PI_MIN_STUDIES
    return MethodRow(
        method=method,
        label=_METHOD_LABELS[method],
        estimate=display_value(measure, data["estimate"]),
        ci_low=display_value(measure, data["ci_low"]),
        ci_high=display_value(measure, data["ci_high"]),
        pi_low=None if few else shown(data.get("pi_low")),
        pi_high=None if few else shown(data.get("pi_high")),
        pi_method=None if few else data.get("pi_method"),
        pi_note=PI_TOO_FEW if few and method != "FE" else data.get("pi_note"),
        test=data.get("test", "z"),
        tau2=data["tau2"],
        i2=data["i2"],
        q=data["q"],
        q_df=data["q_df"],
        q_p=data["q_p"],
    )


def synthesis_view(synthesis: Synthesis) -> SynthesisView:
    measure = synthesis.measure_type
    methods = tuple(
        _method_row(measure, m, synthesis.results[m], synthesis.k)
        for m in METHODS
        if m in synthesis.results
    )
    is_ratio = measure in (EffectMeasure.RR, EffectMeasure.OR)
    scale = {"SMD": "Hedges' g", "RR": "risk ratio", "OR": "odds ratio"}.get(measure, "effect size")
    return SynthesisView(
        synthesis=synthesis,
        measure_label=str(EffectMeasure(measure).label),
        scale_label=scale,
        is_ratio=is_ratio,
        higher_is_better=synthesis.higher_is_better,
        headline=methods[-1],
        methods=methods,
        table_header=synthesis.forest_rows[0] if synthesis.forest_rows else [],
        table_rows=synthesis.forest_rows[1:],
        funnel=synthesis.results.get("funnel"),
        leave_one_out=_leave_one_out(measure, synthesis.results.get("leave_one_out")),
        forest_narrow_svg=str(synthesis.results.get("forest_narrow_svg", "")),
    )


def _leave_one_out(measure: str, data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The leave-one-out rows on the display scale (ratios for RR and OR)."""
    if not data:
        return None
    rows = [
        {
            "study": row["study"],
            "estimate": display_value(measure, row["estimate"]),
            "ci_low": display_value(measure, row["ci_low"]),
            "ci_high": display_value(measure, row["ci_high"]),
            "i2": row["i2"],
        }
        for row in data["rows"]
    ]
    return {"dominant_study": data["dominant_study"], "rows": rows}


# --- the rating rules, applied ------------------------------------------------------------


def pooled_estimates(syntheses: list[Synthesis]) -> list[PooledEstimate]:
    return [
        PooledEstimate(
            measure=s.measure_type,
            estimate=s.results["REML"]["estimate"],
            higher_is_better=s.higher_is_better,
            k=s.k,
            i2=s.results["REML"]["i2"],
        )
        for s in syntheses
        if "REML" in s.results
    ]


def study_facts(studies: list[Study], domain: str) -> list[StudyFacts]:
    """The studies with a pre-specified finding for ``domain`` (findings prefetched)."""
    return [
        StudyFacts(s.design, s.risk_of_bias, s.country, s.sample_size)
        for s in studies
        if any(f.domain == domain and f.prespecified for f in s.findings.all())
    ]


def _with_findings(intervention: Intervention) -> list[Study]:
    return list(
        intervention.studies.prefetch_related(
            Prefetch("findings", queryset=Finding.objects.order_by("domain", "id"))
        )
    )


def outcome_rules(*, intervention: Intervention, domain: str) -> RulesRating:
    """What the rating rules give for one outcome of the intervention, from its data now."""
    syntheses = list(intervention.syntheses.filter(domain=domain))
    return rules_rating(
        pooled=pooled_estimates(syntheses),
        studies=study_facts(_with_findings(intervention), domain),
    )


def pooled_findings(synthesis: Synthesis, studies: list[Study]) -> list[Finding]:
    """The findings a pooled result was made from, one per study, as ``synthesis_refresh``
    chose them (studies with their findings prefetched in id order)."""
    by_slug = {s.slug: s for s in studies}
    found = []
    for item in synthesis.studies:
        study = by_slug.get(item["slug"])
        first = next(
            (
                f
                for f in (study.findings.all() if study else ())
                if f.prespecified
                and f.domain == synthesis.domain
                and f.measure_type == synthesis.measure_type
                and f.higher_is_better == synthesis.higher_is_better
            ),
            None,
        )
        if first is not None:
            found.append(first)
    return found


def with_headline(view: SynthesisView, studies: list[Study]) -> SynthesisView:
    """The view with its plain headline (see :mod:`.headline`)."""
    synthesis = view.synthesis
    plain = headline(
        measure=synthesis.measure_type,
        domain=synthesis.domain,
        higher_is_better=synthesis.higher_is_better,
        estimate=view.headline.estimate,
        ci_low=view.headline.ci_low,
        ci_high=view.headline.ci_high,
        findings=pooled_findings(synthesis, studies),
    )
    return replace(view, plain=plain)


def outcome_pooled_views(*, intervention: Intervention, domain: str) -> list[SynthesisView]:
    studies = _with_findings(intervention)
    return [
        with_headline(synthesis_view(s), studies)
        for s in intervention.syntheses.filter(domain=domain)
    ]


def _departure(rating: OutcomeRating | None, given: RulesRating) -> Departure | None:
    if rating is None:
        return None
    return departure(effectiveness=rating.effectiveness, strength=rating.strength, rules=given)


def intervention_detail(*, intervention: Intervention) -> InterventionDetail:
    """Everything the intervention page shows, in four queries plus the studies'."""
    ratings = {r.domain: r for r in intervention.ratings.all()}
    synthesis_rows = list(intervention.syntheses.all())
    studies = _with_findings(intervention)
    syntheses: dict[str, list[SynthesisView]] = {}
    for synthesis in synthesis_rows:
        view = with_headline(synthesis_view(synthesis), studies)
        syntheses.setdefault(synthesis.domain, []).append(view)
    domains = [d for d in OutcomeDomain.values if d in ratings or d in syntheses]
    outcomes = []
    for d in domains:
        given = rules_rating(
            pooled=pooled_estimates([s for s in synthesis_rows if s.domain == d]),
            studies=study_facts(studies, d),
        )
        outcomes.append(
            OutcomeView(
                domain=d,
                label=str(OutcomeDomain(d).label),
                rating=ratings.get(d),
                syntheses=tuple(syntheses.get(d, [])),
                rules=given,
                departure=_departure(ratings.get(d), given),
            )
        )
    changes = list(intervention.rating_changes.all()[:50])
    return InterventionDetail(intervention, tuple(outcomes), studies, changes)


@dataclass(frozen=True)
class RatingDeparture:
    """A current rating that departs from what the rules give now."""

    rating: OutcomeRating
    rules: RulesRating
    departure: Departure
    #: The rules gave something else when the reason was written (or there is no reason).
    needs_review: bool


def rating_departures() -> list[RatingDeparture]:
    """Every current rating, published or draft, that departs from the rules, by
    intervention and outcome."""
    found = []
    interventions = Intervention.objects.prefetch_related(
        "ratings",
        "syntheses",
        Prefetch("studies", queryset=Study.objects.prefetch_related("findings")),
    ).order_by("slug")
    for intervention in interventions:
        studies = list(intervention.studies.all())
        synthesis_rows = list(intervention.syntheses.all())
        for rating in sorted(intervention.ratings.all(), key=lambda r: r.domain):
            given = rules_rating(
                pooled=pooled_estimates([s for s in synthesis_rows if s.domain == rating.domain]),
                studies=study_facts(studies, rating.domain),
            )
            away = _departure(rating, given)
            if away:
                stale = (
                    rating.rules_effectiveness != given.effectiveness
                    or rating.rules_strength != given.strength
                )
                found.append(
                    RatingDeparture(rating, given, away, stale or not rating.departure_reason)
                )
    return found


def interventions_for_staff(*, user: AnyUser) -> QuerySet[Intervention]:
    return interventions_visible_to(user).order_by("name")
