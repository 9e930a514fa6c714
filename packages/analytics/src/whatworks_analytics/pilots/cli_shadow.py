"""The ``score`` and ``evaluate`` sub-commands: shadow mode (:mod:`.shadow`).

``whatworks-analytics run CONFIG --data DIR --out DIR --save-model MODEL_DIR`` also freezes
the config's primary model into ``MODEL_DIR`` (see :mod:`.cli_run`).

``whatworks-analytics score MODEL_DIR --data NEW_DIR --out scores.csv [--since DATE]``
scores the referrals of a later extract made on or after the model's label end (or
``--since``), from facts dated before each referral, and writes ``referral_id,
decision_date, score, flag, model`` (child-level data: the file is written 0600).

``whatworks-analytics evaluate MODEL_DIR --scores scores.csv --data LATER_DIR --out DIR
[--label-end DATE] [--json]`` labels the scored referrals from a later extract, keeps
those whose outcome window has closed, and writes ``forward.json``: the metrics and the
fairness audit of the recorded scores beside what the temporal validation predicted.

Exit codes: 0 written; 1 the model folder, the scores or the dataset are invalid (every
problem is printed); 2 wrong command line; 3 a file or folder cannot be read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whatworks_analytics.cli import EXIT_INVALID_INPUT, EXIT_IO, EXIT_OK, fail
from whatworks_analytics.pilots.cli import _iso_date

FORWARD_NAME = "forward.json"


def _fail(command: str, kind: str, lines: Sequence[str], code: int) -> int:
    """Each problem on its own line in the package's one form, after what went wrong."""
    return fail(command, "\n".join(f"{kind}: {line}" for line in lines or [""]), code)


def _load(command: str, args: argparse.Namespace) -> Any:
    from whatworks_analytics.pilots.shadow import ShadowError, load_model
    from whatworks_analytics.pilots.validate import (
        DatasetReadError,
        InvalidDatasetError,
        load_dataset,
    )

    try:
        frozen = load_model(args.model)
    except ShadowError as exc:
        return _fail(command, "invalid model folder", exc.problems, EXIT_INVALID_INPUT)
    except OSError as exc:
        return _fail(command, "cannot read the model folder", [str(exc)], EXIT_IO)
    try:
        dataset = load_dataset(args.data)
    except InvalidDatasetError as exc:
        lines = exc.report.render().splitlines()
        return _fail(command, "invalid dataset", lines, EXIT_INVALID_INPUT)
    except DatasetReadError as exc:
        return _fail(command, "cannot read the dataset", [str(exc)], EXIT_IO)
    return frozen, dataset


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def run_score(args: argparse.Namespace) -> int:
    from whatworks_analytics.pilots.shadow import ShadowError, score_referrals

    loaded = _load("score", args)
    if isinstance(loaded, int):
        return loaded
    frozen, dataset = loaded
    try:
        scores = score_referrals(frozen, dataset, since=args.since)
    except ShadowError as exc:
        return _fail("score", "cannot score these data", exc.problems, EXIT_INVALID_INPUT)
    try:
        _write_private(Path(args.out), scores.write_csv(float_precision=17))
    except OSError as exc:
        return _fail("score", f"cannot write {args.out}", [str(exc)], EXIT_IO)
    flagged = int(scores["flag"].sum()) if scores.height else 0
    since = str(args.since or frozen.meta["label_end"])
    if args.json:
        summary = {
            "scored": scores.height,
            "flagged": flagged,
            "since": since,
            "model": frozen.meta["model"],
            "model_id": frozen.short_id,
            "out": str(args.out),
        }
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    print(
        f"Scored {scores.height:,} referrals made from {since} "
        f"with {frozen.meta['model']} ({frozen.short_id}); {flagged:,} flagged. "
        f"Wrote {args.out}."
    )
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    from whatworks_analytics.pilots.shadow import ShadowError, evaluate_forward, read_scores

    loaded = _load("evaluate", args)
    if isinstance(loaded, int):
        return loaded
    frozen, dataset = loaded
    try:
        scores = read_scores(args.scores, frozen)
        result = evaluate_forward(frozen, scores, dataset, label_end=args.label_end)
    except ShadowError as exc:
        return _fail("evaluate", "cannot evaluate", exc.problems, EXIT_INVALID_INPUT)
    except OSError as exc:
        return _fail("evaluate", "cannot read the scores", [str(exc)], EXIT_IO)
    out = Path(args.out) / FORWARD_NAME
    text = json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        _write_private(out, text)
    except OSError as exc:
        return _fail("evaluate", f"cannot write {out}", [str(exc)], EXIT_IO)
    if args.json:
        print(text, end="")
    else:
        print(
            f"{result['matured']:,} of {result['scored']:,} scored referrals have a known "
            f"outcome ({result['pending']:,} still within their window)."
        )
        for row in result["comparison"]:
            print(row["sentence"] + ".")
        for warning in result["warnings"]:
            print(f"Warning: {warning}")
        print(f"Wrote {out}.")
    return EXIT_OK


def register_shadow(subparsers: Any) -> None:
    """Add the ``score`` and ``evaluate`` sub-commands."""
    score = subparsers.add_parser(
        "score",
        help="score later referrals with a frozen model (shadow mode)",
        description=(
            "Score the referrals of a later extract, made on or after the frozen model's "
            "label end, from facts dated before each referral. Writes a CSV (0600): "
            "referral_id, decision_date, score, flag, model. Exit 0 when written, 1 when "
            "the model folder or dataset is invalid, 3 when a file cannot be read or written."
        ),
    )
    score.add_argument("model", type=Path, metavar="MODEL_DIR", help="a frozen model folder")
    score.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder")
    score.add_argument("--out", type=Path, required=True, metavar="FILE", help="scores CSV")
    score.add_argument(
        "--since", type=_iso_date, metavar="DATE", help="first referral date (YYYY-MM-DD)"
    )
    score.add_argument("--json", action="store_true", help="print a JSON summary")
    score.set_defaults(handler=run_score)

    evaluate = subparsers.add_parser(
        "evaluate",
        help="evaluate recorded scores once their outcomes are known (shadow mode)",
        description=(
            "Label scored referrals from a later extract, keep those whose outcome window "
            "has closed, and write forward.json: metrics and fairness of the recorded "
            "scores beside what the temporal validation predicted. Exit 0 when written, 1 "
            "when an input is invalid, 3 when a file cannot be read or written."
        ),
    )
    evaluate.add_argument("model", type=Path, metavar="MODEL_DIR", help="a frozen model folder")
    evaluate.add_argument("--scores", type=Path, required=True, metavar="FILE")
    evaluate.add_argument("--data", type=Path, required=True, metavar="DIR")
    evaluate.add_argument("--out", type=Path, required=True, metavar="DIR")
    evaluate.add_argument(
        "--label-end",
        type=_iso_date,
        metavar="DATE",
        help="first day not in the extract (default: the day after its latest date)",
    )
    evaluate.add_argument("--json", action="store_true", help="print forward.json")
    evaluate.set_defaults(handler=run_evaluate)
