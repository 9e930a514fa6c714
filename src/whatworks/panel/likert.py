"""Ready-made Likert options: the usual five-point response scales, lowest score first.

A Likert question may use one of these instead of typing its options; the options are
copied into the question, so changing a preset later never changes a poll already made.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class LikertPreset:
    key: str
    label: str | Promise
    options: tuple[str, ...]


PRESETS: tuple[LikertPreset, ...] = (
    LikertPreset(
        "agreement",
        _("Agreement (strongly disagree to strongly agree)"),
        ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
    ),
    LikertPreset(
        "frequency",
        _("Frequency (never to always)"),
        ("Never", "Rarely", "Sometimes", "Often", "Always"),
    ),
    LikertPreset(
        "satisfaction",
        _("Satisfaction (very dissatisfied to very satisfied)"),
        (
            "Very dissatisfied",
            "Dissatisfied",
            "Neither satisfied nor dissatisfied",
            "Satisfied",
            "Very satisfied",
        ),
    ),
    LikertPreset(
        "likelihood",
        _("Likelihood (very unlikely to very likely)"),
        ("Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely"),
    ),
    LikertPreset(
        "importance",
        _("Importance (not at all to extremely important)"),
        (
            "Not at all important",
            "Slightly important",
            "Moderately important",
            "Very important",
            "Extremely important",
        ),
    ),
    LikertPreset(
        "confidence",
        _("Confidence (not at all to completely confident)"),
        (
            "Not at all confident",
            "Slightly confident",
            "Moderately confident",
            "Very confident",
            "Completely confident",
        ),
    ),
)

BY_KEY = {preset.key: preset for preset in PRESETS}


def choices() -> list[tuple[str, str | Promise]]:
    return [("", _("None: I type the options")), *((p.key, p.label) for p in PRESETS)]
