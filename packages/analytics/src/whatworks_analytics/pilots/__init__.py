"""Predictive-analytics pilots: the pilot dataset contract, its validator and loader, and a
calibrated synthetic data generator.

Import from the submodules (this package imports nothing, so each stays light):

* :mod:`~whatworks_analytics.pilots.schema` -- the data contract :data:`CONTRACT` (tables,
  columns, codes, keys, references, date-order rules) and its Markdown rendering;
* :mod:`~whatworks_analytics.pilots.validate` -- ``validate_dataset``, ``load_dataset``,
  ``read_dataset``, ``PilotDataset``, ``ValidationReport`` and ``Problem``;
* :mod:`~whatworks_analytics.pilots.synth` -- ``SynthConfig``, ``generate``,
  ``write_synthetic`` and ``write_dataset``;
* :mod:`~whatworks_analytics.pilots.calibration` -- the national figures the generator uses;
* :mod:`~whatworks_analytics.pilots.cli` -- the ``validate`` and ``synth`` sub-commands.
"""
