"""Tests of the fairness audit (whatworks_analytics.fairness)."""
