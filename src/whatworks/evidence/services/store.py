"""Writes of the Evidence Store.  Every change is audited; derived data follows.

After any change to an intervention, its ratings, studies or findings, the services
rebuild that intervention's pooled results (:func:`synthesis_refresh`) and its search
index rows (:func:`search_index_refresh`) in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from whatworks.core.audit_actions import AuditAction
from whatworks.core.errors import full_clean_or_raise
from whatworks.core.models import User
from whatworks.core.search import MAX_WORD, index_text, stem, words
from whatworks.core.services.audit import audit_record, diff_fields
from whatworks.evidence import analytics
from whatworks.evidence.errors import EvidenceError
from whatworks.evidence.models import (
    Effectiveness,
    EffectMeasure,
    Finding,
    Intervention,
    OutcomeDomain,
    OutcomeRating,
    RatingChange,
    SearchEntry,
    SearchWord,
    Strength,
    Study,
    Synthesis,
)
from whatworks.evidence.rules import RULES_VERSION, departure
from whatworks.evidence.search import index_cache, words_cache
from whatworks.evidence.selectors import outcome_rules

INTERVENTION_FIELDS = (
    "slug",
    "name",
    "summary",
    "age_groups",
    "need_levels",
    "settings",
    "setting",
    "delivery",
    "workforce",
    "training",
    "fidelity",
    "provider",
    "licensing",
    "website",
    "availability_england",
    "cost_band",
    "availability",
    "status",
    "last_reviewed",
    "is_demo",
)
STUDY_FIELDS = (
    "slug",
    "intervention",
    "citation",
    "year",
    "design",
    "country",
    "sample_size",
    "risk_of_bias",
    "registry_ref",
    "doi",
    "url",
    "is_demo",
)
FINDING_FIELDS = (
    "slug",
    "study",
    "domain",
    "outcome_measure",
    "time_point",
    "measure_type",
    "n_treatment",
    "n_control",
    "mean_treatment",
    "sd_treatment",
    "mean_control",
    "sd_control",
    "events_treatment",
    "events_control",
    "higher_is_better",
    "prespecified",
    "as_reported",
    "effect_size",
    "se",
)
RATING_FIELDS = (
    "effectiveness",
    "effectiveness_reason",
    "strength",
    "strength_reason",
    "departure_reason",
    "rules_effectiveness",
    "rules_strength",
)


def _assign(obj: models.Model, data: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    unknown = set(data) - set(fields)
    if unknown:
        raise EvidenceError(
            gettext("Unknown fields: %(join)s.") % {"join": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(obj, name, value)


def _actor_label(actor: User | None) -> str:
    if actor is None or not actor.pk:
        return "The Evidence Store team"
    return actor.get_full_name()


# --- interventions ------------------------------------------------------------------------


@transaction.atomic
def intervention_create(*, actor: User | None, data: Mapping[str, Any]) -> Intervention:
    intervention = Intervention()
    _assign(intervention, data, INTERVENTION_FIELDS)
    full_clean_or_raise(intervention, EvidenceError)
    intervention.save()
    audit_record(
        actor=actor,
        action=AuditAction.EVIDENCE_INTERVENTION_CREATED,
        target=intervention,
        changes=diff_fields(None, intervention, list(INTERVENTION_FIELDS)),
    )
    search_index_refresh(intervention=intervention)
    return intervention


@transaction.atomic
def intervention_update(
    *, actor: User | None, intervention: Intervention, data: Mapping[str, Any]
) -> Intervention:
    before = Intervention.objects.get(pk=intervention.pk)
    if "slug" in data and data["slug"] != before.slug and before.is_published:
        raise EvidenceError(gettext("A published intervention's stable id cannot change."))
    _assign(intervention, data, INTERVENTION_FIELDS)
    intervention.updated_at = timezone.now()
    full_clean_or_raise(intervention, EvidenceError)
    intervention.save()
    changes = diff_fields(before, intervention, list(INTERVENTION_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.EVIDENCE_INTERVENTION_CHANGED,
            target=intervention,
            changes=changes,
        )
    search_index_refresh(intervention=intervention)
    return intervention


# --- ratings ------------------------------------------------------------------------------


@transaction.atomic
def rating_set(
    *,
    actor: User | None,
    intervention: Intervention,
    domain: str,
    effectiveness: str,
    effectiveness_reason: str,
    strength: str,
    strength_reason: str,
    note: str = "",
    departure_reason: str = "",
) -> OutcomeRating:
    """Rate an intervention for one outcome domain, or change its rating.

    A change of either rating needs a ``note``, which goes into the public changelog with
    the ratings before and after; a first rating's note defaults to "First rating".  A rating
    that departs from what the rating rules give (:mod:`.rules`) needs a
    ``departure_reason``, shown beside the rating; what the rules gave is stored with it.
    """
    note = note.strip()
    departure_reason = departure_reason.strip()
    given = outcome_rules(intervention=intervention, domain=domain)
    away = departure(effectiveness=effectiveness, strength=strength, rules=given)
    if away and not departure_reason:
        raise EvidenceError(_departure_message(away, given))
    if not away:
        departure_reason = ""
    existing = OutcomeRating.objects.filter(intervention=intervention, domain=domain).first()
    rating = existing or OutcomeRating(intervention=intervention, domain=domain)
    before = (
        {name: getattr(existing, name) for name in (*RATING_FIELDS, "rules_version")}
        if existing
        else {}
    )
    rating_changed = existing is None or (
        existing.effectiveness != effectiveness or existing.strength != strength
    )
    if existing is not None and rating_changed and not note:
        raise EvidenceError(gettext("Say why the rating changed: a note is required."))
    rating.effectiveness = effectiveness
    rating.effectiveness_reason = effectiveness_reason.strip()
    rating.strength = strength
    rating.strength_reason = strength_reason.strip()
    rating.rules_version = RULES_VERSION
    rating.rules_effectiveness = given.effectiveness
    rating.rules_strength = given.strength
    rating.departure_reason = departure_reason
    rating.rated_by = actor if actor is not None and actor.pk else None
    rating.rated_by_label = _actor_label(actor)
    rating.rated_at = timezone.now()
    full_clean_or_raise(rating, EvidenceError)
    rating.save()
    if rating_changed or note:
        change = RatingChange(
            intervention=intervention,
            domain=domain,
            effectiveness_before=before.get("effectiveness", ""),
            effectiveness_after=effectiveness,
            strength_before=before.get("strength", ""),
            strength_after=strength,
            rules_version=RULES_VERSION,
            note=note or "First rating.",
            changed_by_label=rating.rated_by_label,
            changed_at=rating.rated_at,
        )
        full_clean_or_raise(change, EvidenceError)
        change.save()
    after = {name: getattr(rating, name) for name in (*RATING_FIELDS, "rules_version")}
    audit_record(
        actor=actor,
        action=AuditAction.EVIDENCE_RATING_SET,
        target=intervention,
        changes={
            "domain": domain,
            "note": note,
            **{
                name: {"before": before.get(name), "after": value}
                for name, value in after.items()
                if before.get(name) != value
            },
        },
    )
    search_index_refresh(intervention=intervention)
    return rating


def _departure_message(away: Any, given: Any) -> str:
    parts = []
    if away.effectiveness == "without":
        parts.append(f"the rules cannot judge how big the effect is ({given.effectiveness_why})")
    elif away.effectiveness:
        label = Effectiveness(given.effectiveness).label
        parts.append(f"how big is rated {away.effectiveness} what the rules give ({label})")
    if away.strength:
        label = Strength(given.strength).label
        parts.append(f"how sure is rated {away.strength} what the rules give ({label})")
    return (
        "This rating departs from the rating rules: "
        + "; ".join(parts)
        + ". Say why in the reason for departing from the rules, or choose what the rules give."
    )


# --- studies and findings -----------------------------------------------------------------


@transaction.atomic
def study_create(*, actor: User | None, data: Mapping[str, Any]) -> Study:
    study = Study()
    _assign(study, data, STUDY_FIELDS)
    full_clean_or_raise(study, EvidenceError)
    study.save()
    audit_record(
        actor=actor,
        action=AuditAction.EVIDENCE_STUDY_CREATED,
        target=study,
        changes=diff_fields(None, study, list(STUDY_FIELDS)),
    )
    _refresh(study.intervention)
    return study


@transaction.atomic
def study_update(*, actor: User | None, study: Study, data: Mapping[str, Any]) -> Study:
    before = Study.objects.get(pk=study.pk)
    _assign(study, data, STUDY_FIELDS)
    full_clean_or_raise(study, EvidenceError)
    study.save()
    changes = diff_fields(before, study, list(STUDY_FIELDS))
    if changes:
        audit_record(
            actor=actor, action=AuditAction.EVIDENCE_STUDY_CHANGED, target=study, changes=changes
        )
    _refresh(study.intervention)
    if before.intervention_id != study.intervention_id:
        _refresh(before.intervention)
    return study


def finding_compute(finding: Finding) -> None:
    """Fill in the finding's effect size, SE and interval from its raw statistics."""
    stats = raw_stats(finding)
    try:
        (effect,) = analytics.compute_effects([stats])
    except analytics.EffectInputError as error:
        raise EvidenceError(
            "; ".join(f"{p.field or 'statistics'}: {p.message}" for p in error.problems)
        ) from None
    finding.effect_size = effect.effect_size
    finding.se = effect.se
    finding.ci_low = effect.ci_low
    finding.ci_high = effect.ci_high


def raw_stats(finding: Finding) -> analytics.RawStats:
    # A finding as a registered analysis reports it keeps its measure (so it pools with
    # the other studies' findings of that measure) but its effect size and SE as given.
    generic = finding.measure_type == EffectMeasure.GENERIC or finding.as_reported
    return analytics.RawStats(
        measure=EffectMeasure.GENERIC if generic else finding.measure_type,
        n_treatment=finding.n_treatment,
        n_control=finding.n_control,
        mean_treatment=finding.mean_treatment,
        sd_treatment=finding.sd_treatment,
        mean_control=finding.mean_control,
        sd_control=finding.sd_control,
        events_treatment=finding.events_treatment,
        events_control=finding.events_control,
        effect_size=finding.effect_size if generic else None,
        se=finding.se if generic else None,
    )


@transaction.atomic
def finding_create(*, actor: User | None, data: Mapping[str, Any]) -> Finding:
    finding = Finding()
    _assign(finding, data, FINDING_FIELDS)
    finding_compute(finding)
    full_clean_or_raise(finding, EvidenceError)
    finding.save()
    audit_record(
        actor=actor,
        action=AuditAction.EVIDENCE_FINDING_CREATED,
        target=finding,
        changes=diff_fields(None, finding, list(FINDING_FIELDS)),
    )
    _refresh(finding.study.intervention)
    return finding


@transaction.atomic
def finding_update(*, actor: User | None, finding: Finding, data: Mapping[str, Any]) -> Finding:
    before = Finding.objects.get(pk=finding.pk)
    _assign(finding, data, FINDING_FIELDS)
    finding_compute(finding)
    full_clean_or_raise(finding, EvidenceError)
    finding.save()
    changes = diff_fields(before, finding, list(FINDING_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.EVIDENCE_FINDING_CHANGED,
            target=finding,
            changes=changes,
        )
    _refresh(finding.study.intervention)
    return finding


def _refresh(intervention: Intervention) -> None:
    synthesis_refresh(intervention=intervention)
    search_index_refresh(intervention=intervention)


# --- derived data: pooled results and the search index ------------------------------------


def synthesis_refresh(*, intervention: Intervention) -> list[Synthesis]:
    """Rebuild the pooled results of one intervention (derived data: not audited).

    Pre-specified findings are pooled per outcome domain, effect measure and direction;
    a study with several such findings contributes the first one only.
    """
    groups: dict[tuple[str, str, bool], list[Finding]] = defaultdict(list)
    seen: set[tuple[str, str, bool, int]] = set()
    findings = (
        Finding.objects.filter(study__intervention=intervention, prespecified=True)
        .select_related("study")
        .order_by("study__year", "study__citation", "id")
    )
    for finding in findings:
        key = (finding.domain, finding.measure_type, finding.higher_is_better)
        if (*key, finding.study_id) in seen:
            continue
        seen.add((*key, finding.study_id))
        groups[key].append(finding)
    Synthesis.objects.filter(intervention=intervention).delete()
    made = []
    for (domain, measure, higher_is_better), rows in sorted(groups.items()):
        pool_rows = [analytics.PoolRow(_study_label(f.study), f.effect_size, f.se) for f in rows]
        results = analytics.pool_all(measure, pool_rows)
        headline = results["REML"]
        domain_label = str(OutcomeDomain(domain).label)
        svg, table = analytics.forest(
            measure,
            pool_rows,
            headline,
            title=f"Forest plot: {intervention.name}, {domain_label}",
            id_prefix=f"forest-{domain}-{measure.lower()}-{int(higher_is_better)}",
            higher_is_better=higher_is_better,
        )
        # The phone drawing rides in ``results`` (no column of its own), shown below 48 rem.
        extra: dict[str, object] = {
            "forest_narrow_svg": analytics.forest_narrow(
                measure,
                pool_rows,
                headline,
                title=f"Forest plot: {intervention.name}, {domain_label}",
                id_prefix=f"forest-{domain}-{measure.lower()}-{int(higher_is_better)}",
                higher_is_better=higher_is_better,
            )
        }
        extra |= analytics.sensitivity(
            measure,
            pool_rows,
            headline,
            title=f"Funnel plot: {intervention.name}, {domain_label}",
            id_prefix=f"funnel-{domain}-{measure.lower()}-{int(higher_is_better)}",
        )
        synthesis = Synthesis(
            intervention=intervention,
            domain=domain,
            measure_type=measure,
            higher_is_better=higher_is_better,
            k=len(rows),
            # The methods' results, "forest_narrow_svg", and "funnel" and "leave_one_out"
            # when they apply.
            results={m: r.to_dict(include_weights=True) for m, r in results.items()} | extra,
            forest_svg=svg,
            forest_rows=[
                list(table.header),
                *[list(r) for r in table.to_rows(include_header=False)],
            ],
            forest_caption=table.caption,
            studies=[{"slug": f.study.slug, "label": _study_label(f.study)} for f in rows],
        )
        synthesis.save()
        made.append(synthesis)
    return made


def _study_label(study: Study) -> str:
    return study.citation.split(".")[0][:60] + f" ({study.year})"


def search_index_refresh(*, intervention: Intervention) -> SearchEntry:
    """Rewrite one intervention's search entry (derived data: not audited).

    The index holds the stems of three texts, which rank in this order: the name; the
    outcomes (domain names and the studies' outcome measures); everything else.  The words
    of a published entry join the vocabulary that typos are corrected against.
    """
    ratings = list(intervention.ratings.all())
    studies = list(intervention.studies.all())
    findings = list(
        Finding.objects.filter(study__intervention=intervention).values_list(
            "domain", "outcome_measure"
        )
    )
    domains = {r.domain for r in ratings} | {d for d, _ in findings}
    outcome_text = " ".join(
        [
            *(str(OutcomeDomain(d).label) for d in sorted(domains)),
            *sorted({measure for _, measure in findings}),
        ]
    )
    body = " ".join(
        [
            intervention.summary,
            intervention.setting,
            intervention.delivery,
            intervention.workforce,
            intervention.training,
            intervention.fidelity,
            intervention.provider,
            intervention.availability_england,
            *intervention.age_group_labels(),
            *intervention.need_level_labels(),
            *intervention.setting_labels(),
            *(f"{r.effectiveness_reason} {r.strength_reason}" for r in ratings),
            *(s.citation for s in studies),
        ]
    )
    facets = {
        *(("age", code) for code in intervention.age_groups),
        *(("need", code) for code in intervention.need_levels),
        *(("setting", code) for code in intervention.settings),
        ("cost", intervention.cost_band),
        *(("domain", d) for d in domains),
        *(("effectiveness", r.effectiveness) for r in ratings),
        *(("strength", r.strength) for r in ratings),
        *(("design", s.design) for s in studies),
    }
    if intervention.last_reviewed:
        facets.add(("reviewed", intervention.last_reviewed.isoformat()))
    # One token per outcome, so that outcome facets match within one outcome: the domain,
    # then its effectiveness and strength ("-" when the outcome has findings but no rating).
    rated = {r.domain: r for r in ratings}
    facets |= {
        (
            "outcome",
            "/".join(
                (d, rated[d].effectiveness, rated[d].strength) if d in rated else (d, "-", "-")
            ),
        )
        for d in domains
    }
    entry, _ = SearchEntry.objects.update_or_create(
        intervention=intervention,
        defaults={
            "title": intervention.name,
            "body": f"{outcome_text} {body}",
            "title_terms": index_text(intervention.name),
            "outcome_terms": index_text(outcome_text),
            "body_terms": index_text(body),
            "published": intervention.is_published,
            "sort_name": intervention.name.lower(),
            "facets": " " + " ".join(f"{k}={v}" for k, v in sorted(facets)) + " ",
            "changed_at": timezone.now(),
        },
    )
    index_cache.clear()
    if entry.published:
        search_words_add(f"{intervention.name} {outcome_text} {body}")
    return entry


def search_words_add(text: str) -> None:
    """Add the text's words to the vocabulary of typo correction (derived data)."""
    new = {w for w in words(text) if not w.isdigit() and len(w) <= MAX_WORD}
    if new:
        SearchWord.objects.bulk_create(
            [SearchWord(word=w, stem=stem(w), length=len(w)) for w in sorted(new)],
            ignore_conflicts=True,
        )
        words_cache.clear()
