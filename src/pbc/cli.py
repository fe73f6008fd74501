"""The `pbc` command: one entry point for running, loading and reporting."""

from __future__ import annotations

import os
import sys
import time
from typing import Annotated

import typer

app = typer.Typer(help="Practice Based Commissioning.", no_args_is_help=True, add_completion=False)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbc.config.settings")
    import django

    django.setup()


def migrate(quiet: bool = True) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0 if quiet else 1)


@app.command()
def demo(
    scale: Annotated[
        str, typer.Option(help="full (make run) or test (a few thousand patients)")
    ] = "full",
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="do nothing when the demo is already loaded")
    ] = False,
) -> None:
    """Build the demo geography, users, data and plans (idempotent)."""
    if scale not in ("full", "test"):
        raise typer.BadParameter("scale must be 'full' or 'test'")
    setup_django()
    from pbc import demo as demo_module

    started = time.monotonic()
    migrate()
    if if_missing and demo_module.is_loaded():
        typer.echo("demo already loaded")
    else:

        def report(step: str) -> None:
            typer.echo(f"  {step} ({time.monotonic() - started:.1f}s)")

        demo_module.build(scale, report=report)
        typer.echo(f"demo ({scale}) built in {time.monotonic() - started:.1f}s")
    typer.echo(demo_module.logins_text())


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8000,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
) -> None:
    """Run the web app (waitress)."""
    setup_django()
    migrate()
    from waitress import serve as waitress_serve

    from pbc.config.wsgi import application

    typer.echo(f"pbc is serving on http://{host}:{port}/ (Ctrl-C to stop)")
    waitress_serve(application, host=host, port=port, threads=8, _quiet=True)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
