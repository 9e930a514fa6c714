"""The ``run`` and ``report`` sub-commands (registered by :mod:`.cli`).

``whatworks-analytics run CONFIG --data DIR --out DIR [--save-model MODEL_DIR] [--json]
[--quiet]`` validates the dataset, runs the experiment and writes ``bundle.json`` and
``report.html`` into ``--out`` (and, with ``--save-model``, freezes the primary model for
shadow mode: :mod:`.shadow`).
Both files are computed in full before either is written, each is written to a temporary
file beside its destination and renamed into place, so a failed run leaves nothing
half-written.  Exit codes: 0 written; 1 the config or the dataset is invalid (every problem
is printed); 2 wrong command line; 3 a file or folder cannot be read or written.

``whatworks-analytics report BUNDLE --out FILE.html`` re-renders the report from a bundle.
Exit codes: 0 written; 1 the bundle does not match the schema; 3 read or write failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, fail

BUNDLE_NAME = "bundle.json"
REPORT_NAME = "report.html"


def write_atomically(files: Mapping[Path, str]) -> None:
    """Write every ``path: text`` via a temporary file in the same folder and a rename."""
    temporaries: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            temporaries.append((temporary, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.chmod(temporary, 0o644)
        for temporary, path in temporaries:
            os.replace(temporary, path)
    finally:
        for temporary, _path in temporaries:
            if os.path.exists(temporary):
                os.unlink(temporary)


def _fail(args: argparse.Namespace, command: str, kind: str, lines: list[str], code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": kind, "problems": lines}, indent=2, ensure_ascii=False))
    return fail(command, "\n".join([kind, *(f"- {line}" for line in lines)]), code)


def run_run(args: argparse.Namespace) -> int:
    """Validate, run, and write the bundle and the report."""
    from whatworks_analytics.pilots.bundle import load_bundle
    from whatworks_analytics.pilots.config import ConfigError, load_config
    from whatworks_analytics.pilots.report import render_report
    from whatworks_analytics.pilots.run import run
    from whatworks_analytics.pilots.validate import (
        DatasetReadError,
        InvalidDatasetError,
        load_dataset,
    )

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _fail(
            args, "run", "invalid config", [str(p) for p in exc.problems], EXIT_INVALID_INPUT
        )
    except OSError as exc:
        return _fail(args, "run", "cannot read the config", [str(exc)], EXIT_IO)
    try:
        dataset = load_dataset(args.data)
    except InvalidDatasetError as exc:
        return _fail(
            args, "run", "invalid dataset", exc.report.render().splitlines(), EXIT_INVALID_INPUT
        )
    except DatasetReadError as exc:
        return _fail(args, "run", "cannot read the dataset", [str(exc)], EXIT_IO)

    bar: Any = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=1000, desc="pilot run", unit="‰", file=sys.stderr)

    def progress(step: str, fraction: float) -> None:
        if bar is not None:
            bar.set_postfix_str(step)
            bar.update(int(fraction * 1000) - bar.n)

    try:
        result = run(config, dataset, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    bundle_text = result.to_json()
    # Rendered from the bundle as written, so `report BUNDLE` reproduces it byte for byte.
    report_text = render_report(load_bundle(bundle_text))
    frozen = None
    if args.save_model is not None:
        from whatworks_analytics.pilots.shadow import freeze

        frozen = freeze(config, dataset, result.bundle, fingerprint=result.bundle.data.fingerprint)
    out = Path(args.out)
    try:
        write_atomically({out / BUNDLE_NAME: bundle_text, out / REPORT_NAME: report_text})
    except OSError as exc:
        return _fail(args, "run", f"cannot write {out}", [str(exc)], EXIT_IO)
    if frozen is not None:
        from whatworks_analytics.pilots.shadow import write_model

        try:
            write_model(Path(args.save_model), *frozen)
        except OSError as exc:
            return _fail(args, "run", f"cannot write {args.save_model}", [str(exc)], EXIT_IO)
    verdict = result.bundle.verdict
    if args.json:
        print(
            json.dumps(
                {
                    "bundle": str(out / BUNDLE_NAME),
                    "report": str(out / REPORT_NAME),
                    "config_hash": result.bundle.config_hash,
                    "data_fingerprint": result.bundle.data.fingerprint,
                    "verdict": {"status": verdict.status, "sentence": verdict.sentence},
                    "timings": {k: round(v, 3) for k, v in result.timings.items()},
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print(verdict.sentence)
        print(f"Wrote {out / BUNDLE_NAME} and {out / REPORT_NAME}.")
        if frozen is not None:
            print(f"Froze {frozen[1]['model']} into {args.save_model} for shadow scoring.")
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    """Re-render the HTML report of a bundle."""
    from pydantic import ValidationError

    from whatworks_analytics.pilots.bundle import load_bundle
    from whatworks_analytics.pilots.report import render_report

    try:
        text = Path(args.bundle).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(args, "report", "cannot read the bundle", [str(exc)], EXIT_IO)
    try:
        bundle = load_bundle(text)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(map(str, e['loc'])) or '(document)'}: {e['msg']}" for e in exc.errors()
        ]
        return _fail(args, "report", "invalid bundle", lines, EXIT_INVALID_INPUT)
    try:
        write_atomically({Path(args.out): render_report(bundle)})
    except OSError as exc:
        return _fail(args, "report", f"cannot write {args.out}", [str(exc)], EXIT_IO)
    if args.json:
        print(json.dumps({"report": str(args.out)}, indent=2))
    else:
        print(f"Wrote {args.out}.")
    return EXIT_OK


def register_run(subparsers: Any) -> None:
    """Add the ``run`` and ``report`` sub-commands."""
    run = subparsers.add_parser(
        "run",
        help="run a pilot experiment: temporal validation, fairness audit, verdict",
        description=(
            "Validate the dataset, run the experiment described by CONFIG (YAML) and write "
            "bundle.json and report.html into --out, atomically. Exit 0 when written, 1 when "
            "the config or dataset is invalid, 3 when a file cannot be read or written."
        ),
    )
    run.add_argument("config", type=Path, metavar="CONFIG", help="the experiment config (YAML)")
    run.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder")
    run.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    run.add_argument(
        "--save-model",
        type=Path,
        metavar="MODEL_DIR",
        help="also freeze the primary model (fitted on every referral with a known outcome) "
        "with its config hash and data fingerprint, for `score` and `evaluate`",
    )
    run.add_argument("--json", action="store_true", help="print a JSON summary")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=run_run)

    report = subparsers.add_parser(
        "report",
        help="render the HTML report of a result bundle",
        description="Render the self-contained HTML report of a bundle.json. Exit 0 when "
        "written, 1 when the bundle is invalid, 3 when a file cannot be read or written.",
    )
    report.add_argument("bundle", type=Path, metavar="BUNDLE", help="a bundle.json")
    report.add_argument("--out", type=Path, required=True, metavar="FILE", help="HTML file")
    report.add_argument("--json", action="store_true", help="print a JSON summary")
    report.set_defaults(handler=run_report)
