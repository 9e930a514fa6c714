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
* :mod:`~whatworks_analytics.pilots.cli` -- the ``validate`` and ``synth`` sub-commands
  (and, via :mod:`~whatworks_analytics.pilots.cli_run`, ``run`` and ``report``).

The experiment: :mod:`.config` (versioned YAML config and its hash), :mod:`.labels`,
:mod:`.splits`, :mod:`.features`, :mod:`.models`, :mod:`.metrics`, :mod:`.circumstances`,
:mod:`.ethics`, :mod:`.verdict`, :mod:`.run` (``run(config, dataset, progress=...)``),
:mod:`.bundle` (the result bundle schema, ``ResultBundle``), :mod:`.report` and :mod:`.plots`.
"""
