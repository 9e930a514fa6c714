"""The demo protocols' content and result bundles, written for the registry's demo."""

from __future__ import annotations

from typing import Any


def _o(
    key: str, name: str, kind: str, measure: str, time_point: str, analysis: str
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "kind": kind,
        "measure": measure,
        "time_point": time_point,
        "analysis": analysis,
    }


def _c(outcome: str, statistic: str, comparison: str, threshold: float) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "statistic": statistic,
        "comparison": comparison,
        "threshold": threshold,
    }


ETHICS = (
    "Approved by the Centre's research ethics committee. Data are pseudonymised by the "
    "local authority before they leave it; the lawful basis is public task (UK GDPR "
    "6(1)(e)) with Article 9(2)(j) for special category data. A data protection impact "
    "assessment is published with this protocol."
)

#: The experiment config of the Northmoor and Southvale pilots, registered in their
#: protocols (the pilots' demo fixes it from there).
PILOT_CONFIG: dict[str, Any] = {
    "config_version": 1,
    "name": "escalation-within-a-year",
    "description": "Each referral is a decision point: could a model flagging the 10% a team "
    "can look at again pick out the children who go on to a plan or care?",
    "seed": 20240401,
    "outcome": {"events": ["cp_plan", "looked_after"], "window_days": 365},
    "models": [
        {"name": "baseline", "kind": "baseline"},
        {"name": "logistic", "kind": "logistic", "params": {"C": 1.0}},
    ],
    "splits": {"n_splits": 3, "test_days": 182, "kfold": 0},
    "operating_point": {"top_percent": 10},
    "success": {
        "model": "logistic",
        "combine": "all",
        "criteria": [
            {"metric": "precision", "op": ">=", "value": 0.65},
            {"metric": "recall", "op": ">=", "value": 0.5},
        ],
    },
    "fairness": {
        "attributes": ["ethnicity", "sex", "age_band", "disability"],
        "reference": {"ethnicity": "white"},
        "band": {"low": 0.8, "high": 1.25},
        "action": "assistive",
        "min_group_size": 50,
        "min_denominator": 20,
    },
    "ethics": {
        "purpose_proportionality": {"answer": "yes", "note": "Offer of early help only."},
        "data_quality": {"answer": "partly", "note": "Ethnicity not known for 6% of children."},
        "dpia": {"answer": "partly", "note": "Draft DPIA with the DPO."},
    },
    "bootstrap": {"replicates": 50},
}
PILOT_KEY = "escalation-within-a-year"

NORTHMOOR = {
    "title": "Predicting escalation in children's social care referrals: a Northmoor pilot",
    "background": (
        "Local authorities are being offered models that predict which referrals will "
        "escalate to a child protection plan. Published evidence on whether such models are "
        "accurate enough, and fair enough, to help practitioners is thin and mixed."
    ),
    "research_questions": [
        "How well does a model trained on Northmoor's historical case records predict "
        "escalation within 12 months of a referral?",
        "Is its accuracy similar across ethnic groups, disability and age bands?",
    ],
    "design": (
        "A retrospective pilot with a temporal split: the model is trained on referrals "
        "from 2019 to 2022 and tested, untouched, on referrals from 2023. No prediction is "
        "shown to any practitioner."
    ),
    "participants_and_sites": (
        "All referrals to Northmoor's front door between April 2019 and March 2024 "
        "(about 41,000), pseudonymised before analysis."
    ),
    "intervention": "A gradient-boosted model using case-history features available at referral.",
    "comparison": "The decisions practitioners actually made, and a simple rules baseline.",
    # The outcomes and success criteria are the pilot experiment's, added from
    # PILOT_CONFIG by the demo (``protocol_draft_add_pilot_experiment``): one set of criteria.
    "outcomes": [],
    "sample_size": "All eligible referrals; the 2023 test year holds about 8,000 referrals.",
    "analysis_plan": (
        "Metrics are computed once on the held-out test periods. No tuning after the test "
        "data are opened. Intervals by bootstrap resamples of referrals."
    ),
    "success_criteria": {"combine": "all", "criteria": []},
    "ethics_and_data_protection": ETHICS,
    "timeline": "Data extract in month 1; analysis months 2 to 4; report month 6.",
}

SOUTHVALE = {
    **NORTHMOOR,
    "title": "Predicting escalation in children's social care referrals: a Southvale pilot",
    "participants_and_sites": (
        "All referrals to Southvale's multi-agency safeguarding hub between 2020 and 2024, "
        "pseudonymised by Southvale before analysis."
    ),
    "timeline": "Data extract in month 2; analysis months 3 to 6; report month 9.",
}

SCHWARTZ = {
    "title": "Schwartz Rounds and social worker wellbeing",
    "background": (
        "Schwartz Rounds are monthly forums where staff talk about the emotional side of "
        "their work. They are spreading from hospitals into children's social care, with "
        "little evidence about their effect on social workers."
    ),
    "research_questions": [
        "Do social workers in teams offered Schwartz Rounds report better wellbeing after "
        "a year than similar teams not offered them?",
        "Do they report lower intention to leave?",
    ],
    "design": (
        "A matched comparison of teams: 24 teams starting Rounds matched on size, "
        "caseload and baseline wellbeing with 24 teams that are not."
    ),
    "participants_and_sites": "Social workers in 48 teams across four local authorities.",
    "intervention": "Monthly Schwartz Rounds for 12 months, facilitated by trained staff.",
    "comparison": "Usual supervision and support.",
    "outcomes": [
        _o(
            "wellbeing",
            "Wellbeing",
            "primary",
            "Warwick-Edinburgh Mental Wellbeing Scale (WEMWBS)",
            "12 months",
            "Multilevel model adjusting for baseline; Hedges' g with 95% CI",
        ),
        _o(
            "intention-to-leave",
            "Intention to leave",
            "secondary",
            "Three-item turnover intention scale",
            "12 months",
            "As for wellbeing",
        ),
    ],
    "sample_size": "About 600 social workers; minimum detectable effect g = 0.2 at 80% power.",
    "analysis_plan": "Intention to treat at team level; missing data by multiple imputation.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("wellbeing", "Hedges' g", ">=", 0.1)],
    },
    "ethics_and_data_protection": ETHICS,
    "timeline": "Baseline survey month 0; Rounds months 1 to 12; follow-up month 12.",
}

FGC_V1 = {
    "title": "Family group conferences at pre-proceedings: a randomised trial",
    "background": (
        "When a local authority considers care proceedings it first enters pre-proceedings. "
        "Offering the family a group conference at that point may help the wider family "
        "find a safe plan and keep children out of care."
    ),
    "research_questions": [
        "Does offering a family group conference at pre-proceedings reduce the proportion "
        "of children who enter care?",
    ],
    "design": "Individually randomised trial, 1:1, stratified by local authority.",
    "participants_and_sites": "Families entering pre-proceedings in five local authorities.",
    "intervention": "A family group conference offered within 10 working days.",
    "comparison": "Usual pre-proceedings practice.",
    "outcomes": [
        _o(
            "care-entry",
            "Entry to care",
            "primary",
            "Child became looked after",
            "12 months after randomisation",
            "Risk difference with 95% CI, logistic model",
        ),
        _o(
            "proceedings",
            "Care proceedings issued",
            "secondary",
            "Proceedings issued",
            "12 months",
            "As for the primary outcome",
        ),
    ],
    "sample_size": "620 children; minimum detectable risk difference of 8 percentage points.",
    "analysis_plan": "Intention to treat; adjusted for stratification variables.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("care-entry", "risk difference", "<=", 0.0)],
    },
    "ethics_and_data_protection": ETHICS,
    "timeline": "Recruitment 18 months; follow-up 12 months; report 6 months later.",
    "study_design": {
        "arms": [
            {
                "name": "Family group conference",
                "description": "A conference convened by an independent coordinator within 10 "
                "working days of the pre-proceedings meeting, then usual practice.",
                "planned_n": 310,
            },
            {
                "name": "Usual practice",
                "description": "The local authority's usual pre-proceedings process.",
                "planned_n": 310,
            },
        ],
        "randomisation_unit": "family",
        "randomisation_method": "Computer-generated sequence held by the trials unit, in "
        "permuted blocks of four and six, stratified by local authority; the social worker "
        "learns the allocation by telephone after the family is enrolled.",
        "allocation_ratio": "1:1",
        "planned_sample_size": 620,
        "blinded": ["outcome-assessors", "analysts"],
        "blinding_details": "Outcomes come from administrative records; the analysts see arms "
        "as A and B until the analysis is signed off.",
        "setting": "Pre-proceedings in local authority children's services.",
        "sites": ["Brackley", "Dunmere", "Eastwick"],
    },
}

FGC_V2 = {
    **FGC_V1,
    "outcomes": [
        _o(
            "care-entry",
            "Entry to care",
            "primary",
            "Child became looked after",
            "18 months after randomisation",
            "Risk difference with 95% CI, logistic model",
        ),
        _o(
            "proceedings",
            "Care proceedings issued",
            "secondary",
            "Proceedings issued",
            "18 months",
            "As for the primary outcome",
        ),
        _o(
            "kinship",
            "Living with kin",
            "secondary",
            "Child living with a relative or friend under any order",
            "18 months",
            "Risk difference with 95% CI",
        ),
    ],
    "sample_size": "540 children; minimum detectable risk difference of 10 percentage points.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("care-entry", "risk difference", "<=", -0.05)],
    },
    "timeline": "Recruitment 24 months; follow-up 18 months; report 6 months later.",
    "study_design": {
        **FGC_V1["study_design"],  # type: ignore[dict-item]
        "arms": [
            {**arm, "planned_n": 270}
            for arm in FGC_V1["study_design"]["arms"]  # type: ignore[index]
        ],
        "planned_sample_size": 540,
    },
}

FGC_JUSTIFICATION = (
    "Recruitment has been slower than planned and care proceedings now take longer to "
    "conclude, so 12 months is too soon to see where children live. We extend follow-up to "
    "18 months, add kinship care as a secondary outcome at the request of the family "
    "advisory group, and revise the sample size. We also tighten the success criterion: an "
    "effect of zero or less is not a useful reduction, so success now needs at least 5 "
    "points. No outcome data had been seen when this amendment was made."
)

CHANGE = {
    "title": "Change projects in six local authorities: strengths-based practice at scale",
    "background": (
        "Six local authorities are introducing a strengths-based practice model with "
        "multi-disciplinary teams. Each has a different starting point; together they "
        "allow a comparison with similar authorities that are not changing."
    ),
    "research_questions": [
        "Do the six authorities see fewer children on child protection plans per 10,000 "
        "than comparison authorities after two years?",
        "How was the model implemented, and what got in the way?",
    ],
    "design": "Difference-in-differences with synthetic-control comparison authorities.",
    "participants_and_sites": (
        "The six authorities, with comparison authorities from DfE statistics."
    ),
    "intervention": (
        "Strengths-based practice model with adult mental health and domestic abuse "
        "workers in teams."
    ),
    "comparison": "Statistically similar authorities not introducing the model.",
    "outcomes": [
        _o(
            "cp-rate",
            "Child protection plans",
            "primary",
            "Rate per 10,000 children",
            "31 March, two years after launch",
            "Difference-in-differences, 95% CI",
        ),
        _o(
            "cla-rate",
            "Children looked after",
            "secondary",
            "Rate per 10,000 children",
            "Two years",
            "As above",
        ),
    ],
    "sample_size": "Six intervention and up to 30 comparison authorities.",
    "analysis_plan": "Pre-trends checked over five years; placebo tests on earlier years.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("cp-rate", "difference per 10,000", "<=", 0.0)],
    },
    "ethics_and_data_protection": "Published aggregate statistics only; interviews under consent.",
    "timeline": "Two years from launch; implementation study in year one.",
}

SURVEY = {
    "title": "What social workers think of risk-prediction tools: a national survey",
    "background": "Little is known about whether practitioners would trust or use a model's score.",
    "research_questions": [
        "What share of social workers would use a risk score in their decisions?"
    ],
    "design": (
        "A cross-sectional survey of the Centre's practitioner panel, weighted to the workforce."
    ),
    "participants_and_sites": "Panel members in England; target 1,500 responses.",
    "intervention": "Not applicable: a survey.",
    "comparison": "Not applicable.",
    "outcomes": [
        _o(
            "would-use",
            "Would use a score",
            "primary",
            "Share answering 'likely' or 'very likely'",
            "At survey",
            "Weighted proportion with 95% CI",
        ),
    ],
    "sample_size": "1,500 responses give a margin of error of about ±3 points.",
    "analysis_plan": "Raking weights to the DfE workforce census by role, region and experience.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("would-use", "proportion", "two-sided", 0.5)],
    },
    "ethics_and_data_protection": "Panel consent; responses stored without names.",
    "timeline": "Fieldwork four weeks; report two months later.",
}

CARE_LEAVERS = {
    "title": "Staying close: care leavers' experience of moving on from children's homes",
    "background": (
        "Staying Close offers young people leaving residential care "
        "a home nearby and a link to staff."
    ),
    "research_questions": ["How do young people experience the move, and what helps?"],
    "design": "Qualitative interviews, twice, six months apart.",
    "participants_and_sites": "About 30 young people with one provider in the North East.",
    "intervention": "Staying Close support.",
    "comparison": "None: a qualitative study.",
    "outcomes": [
        _o(
            "themes",
            "Experience of moving on",
            "primary",
            "Thematic analysis of interviews",
            "Six and twelve months after leaving",
            "Reflexive thematic analysis",
        ),
    ],
    "sample_size": "About 30 young people, to saturation.",
    "analysis_plan": "Two coders; themes checked with a young people's advisory group.",
    "success_criteria": {
        "combine": "all",
        "criteria": [_c("themes", "young people interviewed twice", ">=", 20)],
    },
    "ethics_and_data_protection": "Informed consent; participants choose how they are described.",
    "timeline": "Fieldwork over 12 months.",
}

WORKLOAD = {
    "title": "A workload-weighting tool for allocating cases: a pilot",
    "background": (
        "Team managers allocate cases by count; a weighting tool may share work more fairly."
    ),
    "research_questions": ["Does the tool reduce the spread of weighted caseloads within teams?"],
    "design": "Stepped introduction across eight teams in one authority.",
    "participants_and_sites": "Eight teams in Northmoor.",
    "intervention": "Allocation using the weighting tool.",
    "comparison": "Allocation by count, before each team's step.",
    "outcomes": [
        _o(
            "spread",
            "Spread of weighted caseloads",
            "primary",
            "Coefficient of variation within team",
            "Monthly over six months",
            "Mixed model with step indicator",
        ),
    ],
    "sample_size": "Eight teams, about 90 social workers.",
    "analysis_plan": "As registered; no interim looks.",
    "success_criteria": {"combine": "all", "criteria": [_c("spread", "change in CV", "<=", -0.1)]},
    "ethics_and_data_protection": ETHICS,
    "timeline": "Six months of data collection, then analysis.",
}


def _bundle(version: int, summary: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "whatworks.results/1",
        "protocol_version": version,
        "summary": summary,
        "results": results,
    }


NORTHMOOR_RESULTS = _bundle(
    1,
    "The model flagged the right children less often than the bar set in advance, and "
    "missed escalations more often for some groups. Northmoor will not use it.",
    [
        {
            "outcome": f"{PILOT_KEY}-precision",
            "statistic": "precision",
            "estimate": 0.41,
            "lower": 0.37,
            "upper": 0.45,
            "interval": "95% percentile bootstrap interval",
        },
        {
            "outcome": f"{PILOT_KEY}-recall",
            "statistic": "recall",
            "estimate": 0.28,
            "lower": 0.25,
            "upper": 0.31,
            "interval": "95% percentile bootstrap interval",
        },
        {
            "outcome": f"{PILOT_KEY}-fairness",
            "metrics": {"groups outside the fairness band": 2, "groups judged": 11},
            "note": "Children in the black and mixed groups who escalate are missed more often "
            "than in the white group.",
        },
        {
            "outcome": f"{PILOT_KEY}-ethics",
            "metrics": {"ethics questions not answered yes": 6},
        },
    ],
)

#: The published Schwartz Rounds results had one team's intention-to-leave answers scored
#: the wrong way round; the correction, the rescored data analysed again, supersedes them.
SCHWARTZ_CORRECTION_JUSTIFICATION = (
    "One team's intention-to-leave questionnaire used the reversed form of the scale and was "
    "scored as if it had not. Rescored, the effect on intention to leave is a little larger "
    "and its interval no longer includes zero. Wellbeing, and so the verdict, is unchanged."
)
