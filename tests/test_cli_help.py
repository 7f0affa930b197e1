"""Issue 12: the command line's help and errors: every argument and option explained, no
``<bool>`` beside a flag, env variables named where they are read, bad usage one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from ismart.cli import app

ROOT = typer.main.get_command(app)


def _commands(group: object = ROOT, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    subs = getattr(group, "commands", None)
    if subs is None:
        yield path, group
        return
    for name, command in sorted(subs.items()):
        yield from _commands(command, (*path, name))


COMMANDS = [path for path, _ in _commands()]


def test_every_command_is_walked() -> None:
    assert ("screen",) in COMMANDS and ("dosefinding", "simulate") in COMMANDS and ("serve",) in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_argument_and_option_has_help(path: tuple[str, ...]) -> None:
    command = dict(_commands())[path]
    unexplained = [
        p.name
        for p in getattr(command, "params", [])
        if not getattr(p, "hidden", False) and not (getattr(p, "help", None) or "").strip()
    ]
    assert unexplained == []


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_flags_show_no_bool_type(path: tuple[str, ...]) -> None:
    shown = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "<bool>" not in shown.output


@pytest.mark.parametrize(
    ("path", "variables"),
    [
        (
            ("serve",),
            ["ISMART_SECRET_KEY", "ISMART_DATABASE_URL", "ISMART_PROTOCOL_DIR", "ISMART_TOKEN_MINUTES"],
        ),
        (("user", "add"), ["ISMART_DATABASE_URL"]),
    ],
)
def test_help_names_the_environment_it_reads(path: tuple[str, ...], variables: list[str]) -> None:
    shown = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    for name in variables:
        assert name in shown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["screen", "--nope", "x"], "error: No such option: --nope (see: ismart screen --help)"),
        (["screen"], "error: Missing argument 'DOSSIER'. (see: ismart screen --help)"),
        (["bogus"], "error: No such command 'bogus'. (see: ismart --help)"),
    ],
)
def test_bad_usage_is_one_line(args: list[str], message: str) -> None:
    ran = CliRunner().invoke(app, args, prog_name="ismart")
    assert ran.exit_code == 2
    assert ran.output.strip() == message


def test_markup_in_the_input_is_shown_as_written(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "d.yaml"
    path.write_text('patient: {sex: "[red]x[/red]"}\n', encoding="utf-8")
    ran = CliRunner().invoke(app, ["screen", str(path)], env={"COLUMNS": "200"})
    assert ran.exit_code == 2
    assert ran.output.strip() == "error: patient.sex: Input should be 'female' or 'male' (got '[red]x[/red]')"
