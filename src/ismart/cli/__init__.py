"""The command line: one module per command group, mounted on one Typer app in ``main``."""

from ismart.cli.main import app, main

__all__ = ["app", "main"]
