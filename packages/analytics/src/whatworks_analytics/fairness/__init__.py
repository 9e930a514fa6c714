"""Fairness audits of risk tools used in children's social care.

A council's risk tool scores cases and flags some of them; the Centre audits whether its errors
fall evenly across groups (ethnicity, sex, disability, area, ...), in the spirit of the
published audits of the Allegheny Family Screening Tool.  The layers, each usable alone:

* :mod:`.metrics` -- confusion matrices and rates per group (one vectorised polars pass);
* :mod:`.disparities` -- ratios to a reference group, the tolerance band, the too-small rule;
* :mod:`.bootstrap` -- seeded, vectorised bootstrap intervals for rates and ratios;
* :mod:`.audit` -- the orchestration (:func:`audit_csv`, :func:`audit_frame`) and the JSON and
  HTML reports;
* :mod:`.cli` -- the ``whatworks-analytics audit`` command.

Example::

    from whatworks_analytics.fairness import AuditConfig, FlagRule, audit_frame

    config = AuditConfig(score="score", label="outcome", groups=("ethnicity", "sex"),
                         flag_rule=FlagRule(top_percent=10), action="punitive")
    report = audit_frame(frame, config)
    report.to_json(); report.to_html()
"""

from whatworks_analytics.fairness.audit import (
    ACTIONS,
    KEY_METRICS,
    Action,
    AuditConfig,
    AuditInputError,
    AuditReport,
    FlagRule,
    Flags,
    IntersectionSummary,
    audit_csv,
    audit_frame,
    flag_scores,
    key_metrics_for,
    read_scores_csv,
)
from whatworks_analytics.fairness.bootstrap import (
    BootstrapSettings,
    GroupIntervals,
    Interval,
    bootstrap_intervals,
    percentile_interval,
    resample_counts,
)
from whatworks_analytics.fairness.disparities import (
    DISPARITY_METRICS,
    AttributeDisparities,
    Band,
    GroupDisparities,
    MetricDisparity,
    ReferenceRule,
    SizeRule,
    compare_groups,
    disparity_ratio,
    parse_reference_option,
    select_reference,
)
from whatworks_analytics.fairness.metrics import (
    DENOMINATORS,
    METRIC_DEFINITIONS,
    METRIC_LABELS,
    MISSING_GROUP,
    RATE_METRICS,
    GroupCounts,
    confusion_cells,
    group_counts,
    intersection_name,
    rates_from_counts,
)

__all__ = [
    "ACTIONS",
    "DENOMINATORS",
    "DISPARITY_METRICS",
    "KEY_METRICS",
    "METRIC_DEFINITIONS",
    "METRIC_LABELS",
    "MISSING_GROUP",
    "RATE_METRICS",
    "Action",
    "AttributeDisparities",
    "AuditConfig",
    "AuditInputError",
    "AuditReport",
    "Band",
    "BootstrapSettings",
    "FlagRule",
    "Flags",
    "GroupCounts",
    "GroupDisparities",
    "GroupIntervals",
    "IntersectionSummary",
    "Interval",
    "MetricDisparity",
    "ReferenceRule",
    "SizeRule",
    "audit_csv",
    "audit_frame",
    "bootstrap_intervals",
    "compare_groups",
    "confusion_cells",
    "disparity_ratio",
    "flag_scores",
    "group_counts",
    "intersection_name",
    "key_metrics_for",
    "parse_reference_option",
    "percentile_interval",
    "rates_from_counts",
    "read_scores_csv",
    "resample_counts",
    "select_reference",
]
