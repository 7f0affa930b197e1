"""The command line's one error boundary: how every command group reports a failure.

    exit 2   bad input: an IsmartError from the core (a malformed dossier, protocol folder, lab
             file, option value) or bad usage (unknown option, missing argument)
    exit 1   a check that ran and failed (an audit chain that does not verify)

Each is one line on stderr, ``error: ...``; text from the input is shown as typed (rich markup
in it is escaped, so ``[red]x[/red]`` prints as written, not as red ``x``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer._click import exceptions as click  # typer 0.29 vendors click; no public alias
from typer.core import TyperGroup, TyperOption

from ismart.errors import IsmartError, _one_line

__all__ = ["BAD_INPUT", "FAILED_CHECK", "OneLineGroup", "fail", "reported"]

BAD_INPUT = 2
FAILED_CHECK = 1


def fail(message: str, *, code: int = BAD_INPUT) -> typer.Exit:
    """Print ``message`` as one escaped line on stderr; return the Exit for the caller to raise."""
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(_one_line(message))}", highlight=False, soft_wrap=True
    )
    return typer.Exit(code=code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn an IsmartError raised inside the block into the one-line message and exit code 2."""
    try:
        yield
    except IsmartError as exc:
        raise fail(str(exc)) from None


class OneLineGroup(TyperGroup):
    """A command group whose usage errors are one line (not a framed box) with where to get help."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else self.name
            typer.echo(f"error: {_one_line(exc.format_message())} (see: {where} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


_display_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: Any) -> str | None:
    """Help shows no ``<bool>`` beside an on/off flag: the flag itself is the value."""
    return None if self.is_flag else _display_type(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]
