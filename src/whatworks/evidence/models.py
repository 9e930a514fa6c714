"""The Evidence Store: interventions, their per-outcome ratings, studies and findings.

"How big the effect is" (:class:`Effectiveness`) and "how sure we are"
(:class:`Strength`) are two separate fields on two separate published scales, everywhere.
Pooled results (:class:`Synthesis`) and the search index (:class:`SearchEntry`) are
derived data that the services keep up to date.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from whatworks.core.validators import (
    REGISTRY_REFERENCE_MESSAGE,
    REGISTRY_REFERENCE_PATTERN,
    registry_reference_validator,
)

#: Stable ids in imports, exports and URLs: lower-case letters, digits and hyphens.
STABLE_ID_HELP = _("Lower-case letters, digits and hyphens; never changes once published.")

#: A DOI as people write it without the resolver: "10." + registrant code + "/" + suffix.
DOI_PATTERN = r"^10\.\d{4,9}/\S+$"

#: A research project's identifier in our registry (see ``core.validators``).
REGISTRY_REF_PATTERN = REGISTRY_REFERENCE_PATTERN
REGISTRY_REF_MESSAGE = REGISTRY_REFERENCE_MESSAGE


class AgeGroup(models.TextChoices):
    EARLY_YEARS = "0-4", _("Early years (0 to 4)")
    PRIMARY = "5-11", _("Primary age (5 to 11)")
    ADOLESCENTS = "12-17", _("Adolescents (12 to 17)")
    YOUNG_ADULTS = "18-25", _("Young adults and care leavers (18 to 25)")
    ALL = "all", _("All ages, or not age-specific")


class NeedLevel(models.TextChoices):
    EARLY_HELP = "early-help", _("Early help")
    CHILD_IN_NEED = "child-in-need", _("Child in need")
    CHILD_PROTECTION = "child-protection", _("Child protection")
    EDGE_OF_CARE = "edge-of-care", _("Edge of care")
    IN_CARE = "in-care", _("Children in care")
    LEAVING_CARE = "leaving-care", _("Leaving care")
    WORKFORCE = "workforce", _("The workforce (not children directly)")


class Setting(models.TextChoices):
    """Where an intervention is delivered (several may apply)."""

    HOME = "home", _("The family home")
    SCHOOL = "school", _("Schools, nurseries and children's centres")
    COMMUNITY = "community", _("Community venues")
    CHILDRENS_SERVICES = "childrens-services", _("Local authority children's services")
    COURT = "court", _("Family court")
    HEALTH = "health", _("Health services and clinics")
    CARE_PLACEMENT = "care-placement", _("Foster, kinship or residential care")


class ChoiceListField(models.JSONField):
    """Several codes of one ``TextChoices`` (``choices_of``), stored as a JSON list in the
    choices' order without repeats; at least one unless ``blank``.  Forms show it as
    checkboxes."""

    def __init__(self, *args: Any, choices_of: type[models.TextChoices], **kwargs: Any) -> None:
        self.choices_of = choices_of
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["choices_of"] = self.choices_of
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            return value
        order = {code: n for n, code in enumerate(self.choices_of.values)}
        return sorted(set(map(str, value)), key=lambda code: order.get(code, len(order)))

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise ValidationError(_("Choose from the list."), code="invalid_choice")
        unknown = [code for code in value if code not in self.choices_of.values]
        if unknown:
            raise ValidationError(
                _("%(codes)s: not one of %(allowed)s.")
                % {"codes": ", ".join(unknown), "allowed": ", ".join(self.choices_of.values)},
                code="invalid_choice",
            )

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return forms.MultipleChoiceField(
            choices=self.choices_of.choices,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            widget=forms.CheckboxSelectMultiple,
        )


class CostBand(models.TextChoices):
    LOW = "1-low", _("Low")
    MEDIUM_LOW = "2-medium-low", _("Medium-low")
    MEDIUM = "3-medium", _("Medium")
    MEDIUM_HIGH = "4-medium-high", _("Medium-high")
    HIGH = "5-high", _("High")


class Availability(models.TextChoices):
    WIDE = "wide", _("Widely available in the UK")
    SOME = "some", _("Available in some areas of the UK")
    PILOT = "pilot", _("Being piloted in the UK")
    NONE = "none", _("Not currently available in the UK")


class OutcomeDomain(models.TextChoices):
    CHILD_SAFETY = "child-safety", _("Child safety and maltreatment")
    ENTERING_CARE = "entering-care", _("Children entering care")
    REUNIFICATION = "reunification", _("Children returning home from care")
    PLACEMENT_STABILITY = "placement-stability", _("Placement stability")
    FAMILY_FUNCTIONING = "family-functioning", _("Family functioning")
    PARENTING = "parenting", _("Parenting")
    CHILD_BEHAVIOUR = "child-behaviour", _("Children's behaviour and mental health")
    PARENTAL_SUBSTANCE_USE = "parental-substance-use", _("Parental substance use")
    OFFENDING = "offending", _("Offending by young people")
    EDUCATION = "education", _("Education")
    WORKFORCE_WELLBEING = "workforce-wellbeing", _("Practitioner wellbeing")


class Effectiveness(models.TextChoices):
    """How big the effect is, and in which direction (see scales.EFFECTIVENESS_SCALE)."""

    LARGE = "large-benefit", _("Large benefit")
    MODERATE = "moderate-benefit", _("Moderate benefit")
    SMALL = "small-benefit", _("Small benefit")
    NONE = "no-difference", _("No meaningful difference")
    HARM = "harm", _("Possible harm")


class Strength(models.TextChoices):
    """How sure we are (see scales.STRENGTH_SCALE)."""

    STRONG = "4-strong", _("Strong")
    MODERATE = "3-moderate", _("Moderate")
    LIMITED = "2-limited", _("Limited")
    VERY_LIMITED = "1-very-limited", _("Very limited")


class StudyDesign(models.TextChoices):
    RCT = "rct", _("Randomised controlled trial")
    CLUSTER_RCT = "cluster-rct", _("Cluster randomised trial")
    QUASI = "quasi-experimental", _("Quasi-experimental comparison")
    COHORT = "cohort", _("Cohort study")
    BEFORE_AFTER = "before-after", _("Before-and-after study")


class RiskOfBias(models.TextChoices):
    LOW = "low", _("Low")
    SOME = "some-concerns", _("Some concerns")
    HIGH = "high", _("High")


class EffectMeasure(models.TextChoices):
    """How a finding's effect size is computed (the analytics package's measures)."""

    SMD = "SMD", _("Standardised mean difference (Hedges' g), from means and SDs")
    RR = "RR", _("Risk ratio, from event counts")
    OR = "OR", _("Odds ratio, from event counts")
    GENERIC = "GENERIC", _("Effect size and standard error as reported")


class Intervention(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(_("stable id"), max_length=80, unique=True, help_text=STABLE_ID_HELP)
    name = models.CharField(_("name"), max_length=200)
    summary = models.TextField(_("plain-English summary"), max_length=2000)
    age_groups = ChoiceListField(
        _("age groups"), choices_of=AgeGroup, help_text=_("Choose every age group it is for.")
    )
    need_levels = ChoiceListField(
        _("levels of need"), choices_of=NeedLevel, help_text=_("Choose every level it works at.")
    )
    settings = ChoiceListField(
        _("settings"),
        choices_of=Setting,
        blank=True,
        help_text=_("Choose everywhere it is delivered."),
    )
    setting = models.CharField(
        _("setting, in words"),
        max_length=300,
        help_text=_("Where it is delivered, as a commissioner would say it."),
    )
    delivery = models.TextField(_("delivery model: how it is delivered"), max_length=1000)
    workforce = models.TextField(_("workforce needs"), max_length=1000)
    # Implementation: what a service needs to know before it commissions or runs it.
    training = models.TextField(_("training and qualifications"), max_length=1000, blank=True)
    fidelity = models.TextField(_("fidelity requirements"), max_length=1000, blank=True)
    provider = models.CharField(_("provider or developer"), max_length=300, blank=True)
    licensing = models.TextField(_("licensing and contact"), max_length=1000, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    availability_england = models.TextField(
        _("availability in England"),
        max_length=1000,
        blank=True,
        help_text=_("Where in England it is offered now, and how a local authority can get it."),
    )
    cost_band = models.CharField(_("cost band"), max_length=20, choices=CostBand.choices)
    availability = models.CharField(
        _("availability in the UK"), max_length=10, choices=Availability.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evidence:intervention", kwargs={"slug": self.slug})

    def age_group_labels(self) -> list[str]:
        return [str(AgeGroup(code).label) for code in self.age_groups]

    def need_level_labels(self) -> list[str]:
        return [str(NeedLevel(code).label) for code in self.need_levels]

    def setting_labels(self) -> list[str]:
        return [str(Setting(code).label) for code in self.settings]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class OutcomeRating(models.Model):
    """The current rating of one intervention for one outcome domain.

    Changes are recorded in :class:`RatingChange` with the editor's note.
    """

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="ratings")
    domain = models.CharField(_("outcome domain"), max_length=30, choices=OutcomeDomain.choices)
    effectiveness = models.CharField(
        _("effectiveness (how big)"), max_length=20, choices=Effectiveness.choices
    )
    effectiveness_reason = models.CharField(_("why this effectiveness rating"), max_length=300)
    strength = models.CharField(
        _("strength of evidence (how sure)"), max_length=20, choices=Strength.choices
    )
    strength_reason = models.CharField(_("why this strength-of-evidence rating"), max_length=300)
    rules_version = models.CharField(_("rating rules version"), max_length=20)
    #: What the rules gave when the rating was made ("" = the rules could not judge).
    rules_effectiveness = models.CharField(
        _("effectiveness the rules gave"), max_length=20, choices=Effectiveness.choices, blank=True
    )
    rules_strength = models.CharField(
        _("strength the rules gave"), max_length=20, choices=Strength.choices, blank=True
    )
    departure_reason = models.CharField(
        _("why the rating departs from the rules"), max_length=500, blank=True
    )
    rated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rated_by_label = models.CharField(_("rated by (as shown)"), max_length=200)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        ordering = ["intervention", "domain"]
        verbose_name = _("outcome rating")
        verbose_name_plural = _("outcome ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "domain"], name="evidence_rating_one_per_domain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.intervention}: {self.get_domain_display()}"


class RatingChange(models.Model):
    """One change of a rating, with the note that explains it (the public changelog)."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="rating_changes"
    )
    domain = models.CharField(_("outcome domain"), max_length=30, choices=OutcomeDomain.choices)
    effectiveness_before = models.CharField(
        max_length=20, choices=Effectiveness.choices, blank=True
    )
    effectiveness_after = models.CharField(max_length=20, choices=Effectiveness.choices)
    strength_before = models.CharField(max_length=20, choices=Strength.choices, blank=True)
    strength_after = models.CharField(max_length=20, choices=Strength.choices)
    rules_version = models.CharField(max_length=20)
    note = models.TextField(_("note"), max_length=1000)
    changed_by_label = models.CharField(max_length=200)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("rating change")
        verbose_name_plural = _("rating changes")

    def __str__(self) -> str:
        return f"{self.intervention} {self.domain} {self.changed_at:%Y-%m-%d}"


class Study(models.Model):
    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="studies")
    slug = models.SlugField(_("stable id"), max_length=80, unique=True, help_text=STABLE_ID_HELP)
    citation = models.CharField(_("citation"), max_length=500)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    design = models.CharField(_("design"), max_length=20, choices=StudyDesign.choices)
    country = models.CharField(_("country"), max_length=80)
    sample_size = models.PositiveIntegerField(_("sample size"))
    risk_of_bias = models.CharField(_("risk of bias"), max_length=20, choices=RiskOfBias.choices)
    registry_ref = models.CharField(
        _("registered as"),
        max_length=20,
        blank=True,
        validators=[registry_reference_validator("registry_ref")],
        help_text=_(
            "If the study was registered in our research registry: its identifier, "
            "e.g. WWC-2019-0007. Leave empty if not."
        ),
    )
    doi = models.CharField(
        _("DOI"),
        max_length=200,
        blank=True,
        validators=[
            RegexValidator(
                DOI_PATTERN,
                _("Enter a DOI as 10.<digits>/<suffix>, e.g. 10.1186/1471-2288-14-25."),
            )
        ],
        help_text=_("The study's Digital Object Identifier, e.g. 10.1186/1471-2288-14-25."),
    )
    url = models.URLField(
        _("web address"),
        max_length=500,
        blank=True,
        help_text=_("Where to read the study, if it has no DOI (or another copy)."),
    )
    is_demo = models.BooleanField(_("demonstration data"), default=False)

    class Meta:
        ordering = ["-year", "citation"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.citation[:120]

    def get_absolute_url(self) -> str:
        return reverse("evidence:study", kwargs={"slug": self.slug})

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Finding(models.Model):
    """One result of a study: raw statistics and the effect size computed from them.

    ``effect_size``, ``se``, ``ci_low`` and ``ci_high`` are on the pooling scale (log scale
    for risk and odds ratios) and are computed by the services through the adapter.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="findings")
    slug = models.SlugField(_("stable id"), max_length=80, unique=True, help_text=STABLE_ID_HELP)
    domain = models.CharField(_("outcome domain"), max_length=30, choices=OutcomeDomain.choices)
    outcome_measure = models.CharField(_("measure"), max_length=200)
    time_point = models.CharField(_("time point"), max_length=80)
    measure_type = models.CharField(
        _("effect size type"), max_length=10, choices=EffectMeasure.choices
    )
    n_treatment = models.PositiveIntegerField(_("treatment group size"))
    n_control = models.PositiveIntegerField(_("comparison group size"))
    mean_treatment = models.FloatField(_("treatment mean"), null=True, blank=True)
    sd_treatment = models.FloatField(_("treatment SD"), null=True, blank=True)
    mean_control = models.FloatField(_("comparison mean"), null=True, blank=True)
    sd_control = models.FloatField(_("comparison SD"), null=True, blank=True)
    events_treatment = models.PositiveIntegerField(_("treatment events"), null=True, blank=True)
    events_control = models.PositiveIntegerField(_("comparison events"), null=True, blank=True)
    higher_is_better = models.BooleanField(_("a higher value is better"), default=True)
    prespecified = models.BooleanField(_("pre-specified (not exploratory)"), default=True)
    #: The effect size and standard error are those of the study's own registered analysis
    #: (adjusted for covariates, with cluster-robust errors where it was clustered), not
    #: computed here from the raw statistics, which are shown beside them.  Set for the
    #: findings the research registry's trial analyses send (``services/registry_findings.py``).
    as_reported = models.BooleanField(
        _("effect size as the registered analysis reports it"), default=False
    )
    effect_size = models.FloatField(_("effect size"))
    se = models.FloatField(_("standard error"))
    ci_low = models.FloatField(_("95% CI low"))
    ci_high = models.FloatField(_("95% CI high"))

    class Meta:
        ordering = ["study", "domain", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [models.Index(fields=["domain", "measure_type"])]

    def __str__(self) -> str:
        return f"{self.study}: {self.outcome_measure} at {self.time_point}"


class Synthesis(models.Model):
    """The pooled result for one intervention, outcome domain and effect measure.

    ``results`` holds FE, DL and REML results as dicts; ``forest_svg`` and ``forest_rows``
    the forest plot and its table alternative.  Rebuilt by ``synthesis_refresh``.
    """

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="syntheses"
    )
    domain = models.CharField(max_length=30, choices=OutcomeDomain.choices)
    measure_type = models.CharField(max_length=10, choices=EffectMeasure.choices)
    higher_is_better = models.BooleanField(default=True)
    k = models.PositiveIntegerField()
    results = models.JSONField(default=dict)
    forest_svg = models.TextField(blank=True)
    forest_rows = models.JSONField(default=list)
    forest_caption = models.CharField(max_length=300, blank=True)
    studies = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["intervention", "domain", "measure_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "domain", "measure_type", "higher_is_better"],
                name="evidence_synthesis_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.intervention} {self.domain} {self.measure_type}"


class SearchEntry(models.Model):
    """The search index row of one intervention, written only by the services.

    On SQLite an FTS5 table mirrors its ``*_terms`` through triggers; on PostgreSQL a
    generated ``tsvector`` column with a GIN index does (both made by migration 0005).  ``facets``
    holds the values the search page filters and counts by.
    """

    intervention = models.OneToOneField(
        Intervention, on_delete=models.CASCADE, related_name="search_entry"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()
    #: The stems (``core.search.index_text``) of the title, of the outcomes (names of the
    #: outcome domains and measures) and of the rest, which the full-text index holds.
    title_terms = models.TextField(blank=True)
    outcome_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    sort_name = models.CharField(max_length=200, db_index=True)
    #: Facet values as ``key=value`` tokens with a space before and after each, e.g.
    #: `` age=0-4 domain=parenting ``, so that ``LIKE '% age=0-4 %'`` matches one token.
    facets = models.TextField(blank=True)
    #: When the services last wrote the entry: with the count and the highest id, the stamp
    #: that tells each process its in-memory facet index is out of date.
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["sort_name"]

    def __str__(self) -> str:
        return self.title


class SearchWord(models.Model):
    """A word of published search entries, for correcting typos ("did you mean ...?").

    Written by the services as entries are indexed; never removed (a word no longer in any
    entry only offers a correction that finds nothing, which search then does not show).
    """

    word = models.CharField(max_length=40, unique=True)
    stem = models.CharField(max_length=40, db_index=True)
    length = models.PositiveSmallIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.word
