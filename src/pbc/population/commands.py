"""`pbc risk train` and `pbc risk score`: plain functions the CLI wires, with rich progress bars.

Each returns the process exit code (0 ok, 1 refused: no data or no model) and prints a short
summary on stdout; the progress bar goes to stderr and only when stderr is a terminal (or
`show_progress=True`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from pbc.population import risk

EXIT_OK = 0
EXIT_REFUSED = 1
TRAIN_STEPS = 8  # datasets (2), validations (2), refit, evaluation, save


@contextmanager
def _bar(total: int | None, show: bool, err: IO[str]) -> Iterator[Callable[[str], None]]:
    if not show:
        yield lambda step: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(file=err),
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)

        def advance(step: str) -> None:
            bar.update(task, description=step[:48], advance=1)

        yield advance


def risk_train_command(
    *,
    train_year: str = risk.TRAIN_YEAR,
    evaluation_year: str = risk.EVALUATION_YEAR,
    engine: str | None = None,
    show_progress: bool | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Train and evaluate the risk models; print the model card's headline figures."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    show = err.isatty() if show_progress is None else show_progress
    try:
        with _bar(TRAIN_STEPS, show, err) as progress:
            row = risk.train(
                train_year=train_year,
                evaluation_year=evaluation_year,
                engine=engine,
                progress=progress,
            )
    except (RuntimeError, ValueError) as problem:
        err.write(f"Refused: {problem}\n")
        return EXIT_REFUSED
    card = row.card
    out.write(
        f"Trained on {row.train_year} ({card['train_rows']:,} people), evaluated on "
        f"{row.evaluation_year} ({card['evaluation_rows']:,} people); chosen: {row.kind}\n"
    )
    for key, m in card["evaluation"].items():
        top1 = next(t for t in m["top"] if abs(t["fraction"] - 0.01) < 1e-9)
        out.write(
            f"  {key:<20} AUC {m['auc']:.3f}  PPV top 1% {top1['ppv']:.1%}  "
            f"sensitivity top 1% {top1['sensitivity']:.1%}\n"
        )
    out.write(f"Model file: {row.path}\n")
    return EXIT_OK


def risk_score_command(
    *,
    engine: str | None = None,
    show_progress: bool | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Score the current population with the latest model and store the case-finding lists."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    show = err.isatty() if show_progress is None else show_progress
    try:
        with _bar(None, show, err) as progress:
            n = risk.score(engine=engine, progress=progress)
    except (RuntimeError, ValueError) as problem:
        err.write(f"Refused: {problem}\n")
        return EXIT_REFUSED
    row = risk.current_model()
    assert row is not None and row.score_date is not None
    out.write(f"Scored {n:,} people registered on {row.score_date:%d %b %Y} ({row.kind})\n")
    return EXIT_OK


def risk_pseudonymised_command(
    outcome_year: str, *, engine: str | None = None, stdout: IO[str] | None = None
) -> int:
    """The activity rule and baseline on the pseudonymised extract's hospital users: JSON."""
    import json

    out = stdout or sys.stdout
    out.write(json.dumps(risk.pseudonymised_evaluation(outcome_year, engine=engine)) + "\n")
    return EXIT_OK
