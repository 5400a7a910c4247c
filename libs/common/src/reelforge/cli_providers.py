"""`reelforge providers` and `reelforge providers check`."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from reelforge.providers.registry import CAPABILITIES, available, check_providers
from reelforge.settings import Settings

providers_app = typer.Typer(help="AI providers: what is configured, and whether keys work.",
                            invoke_without_command=True, no_args_is_help=False)
out = Console()


@providers_app.callback()
def list_providers(ctx: typer.Context) -> None:
    """List each capability's fallback chain and the installed providers."""
    if ctx.invoked_subcommand is not None:
        return
    settings = Settings()
    installed = available()
    table = Table(show_edge=False)
    table.add_column("capability")
    table.add_column("chain (REELFORGE_<CAPABILITY>)")
    table.add_column("installed")
    for cap in CAPABILITIES:
        table.add_row(cap, " → ".join(settings.chain(cap)), ", ".join(sorted(installed[cap])))
    out.print(table)


@providers_app.command("check")
def check() -> None:
    """Validate every configured provider's key with the cheapest call its API offers."""
    results = asyncio.run(check_providers(Settings()))
    table = Table(show_edge=False)
    table.add_column("capability")
    table.add_column("provider")
    table.add_column("status")
    table.add_column("detail")
    for r in results:
        table.add_row(r.capability, r.name, "[green]ok[/]" if r.ok else "[red]failed[/]", r.detail)
    out.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(providers_app, name="providers")
