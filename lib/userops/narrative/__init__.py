"""Sentences for reviewers, generated from the data: every number in the prose comes from here.

One module per step; notebooks use ``from userops import narrative as text`` and call the
functions re-exported below.
"""
from __future__ import annotations

from userops.narrative.tiering import run_parameters, data_quality, rfm_overview, fitted_curve, unavailable, lifecycle_prose, coverage_check, group_prose, concentration_prose, correlation_prose, stage_prose, cross_prose, sensitivity_prose, headlines, artifact_list, provenance
from userops.narrative.profiles import feature_tgi_prose, features_prose, cluster_prose, cluster_tier_prose, tgi_prose, lookalike_prose, profiles_headlines
from userops.narrative.migration import periods_unavailable, bands_prose, matrix_prose, movement_prose, decomposition_prose, exposure_prose, retention_prose, projection_prose, migration_headlines
from userops.narrative.coverage import preference_fit_prose, calendar_prose, coverage_prose, uncovered_prose, intensity_prose, overlap_prose, fit_prose, funnel_prose, coverage_headlines
from userops.narrative.effects import effects_prose, balance_prose, event_prose, heterogeneity_prose, drivers_prose, effects_headlines
from userops.narrative.review import kpi_prose, segment_conversion_not_drawn, seesaw_prose, allocation_prose, alerts_prose, library_prose, review_headlines
from userops.narrative.clv import clv_definitions, clv_holdout_prose, clv_fit_prose, stage_alive_prose, clv_headlines, bridge_prose, bridge_check_prose, persistence_prose, forward_roi_prose, audiences_prose, forward_label

__all__ = ["preference_fit_prose", "run_parameters", "data_quality", "rfm_overview", "fitted_curve", "unavailable", "lifecycle_prose", "coverage_check", "group_prose", "concentration_prose", "correlation_prose", "stage_prose", "cross_prose", "sensitivity_prose", "headlines", "artifact_list", "provenance", "feature_tgi_prose", "features_prose", "cluster_prose", "cluster_tier_prose", "tgi_prose", "lookalike_prose", "profiles_headlines", "periods_unavailable", "bands_prose", "matrix_prose", "movement_prose", "decomposition_prose", "exposure_prose", "retention_prose", "projection_prose", "migration_headlines", "calendar_prose", "coverage_prose", "uncovered_prose", "intensity_prose", "overlap_prose", "fit_prose", "funnel_prose", "coverage_headlines", "effects_prose", "balance_prose", "event_prose", "heterogeneity_prose", "drivers_prose", "effects_headlines", "kpi_prose", "segment_conversion_not_drawn", "seesaw_prose", "allocation_prose", "alerts_prose", "library_prose", "review_headlines", "clv_definitions", "clv_holdout_prose", "clv_fit_prose", "stage_alive_prose", "clv_headlines", "bridge_prose", "bridge_check_prose", "persistence_prose", "forward_roi_prose", "audiences_prose", "forward_label"]
