"""Every command's help is Chinese: users read the CLI in Chinese; names of tools, file
formats and codes stay as they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer.main

from api import cli_commands  # noqa: F401  (registers every command)
from api.cli import app

ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[-'][a-z]+)?(?:[ ,]+[A-Za-z][a-z]+(?:[-'][a-z]+)?){2,}")
"""Three English words in a row: a phrase, not a name or a code."""
TYPER_OWN = {"help", "install_completion", "show_completion"}
"""Options typer adds to every command (its own texts)."""
COMMANDS = re.compile(r"(?:innograph|neo4j-admin)(?: [a-z][a-z-]*)+")
"""Commands, named as they are typed (innograph review list)."""


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    if hasattr(cmd, "list_commands"):  # a group (typer's own click)
        ctx = cmd.context_class(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                yield from _commands(sub, (*path, name))


def test_every_help_text_is_chinese() -> None:
    root = typer.main.get_command(app)
    found: list[str] = []
    seen = 0
    for path, cmd in _commands(root):
        texts = [("", cmd.help or ""), ("", cmd.short_help or "")]
        texts += [(p.name or "", getattr(p, "help", None) or "") for p in cmd.params
                  if p.name not in TYPER_OWN]
        for name, text in texts:
            seen += 1
            if m := ENGLISH.search(COMMANDS.sub("", text)):
                found.append(f"innograph {' '.join(path)} {name}: {m.group(0)!r}")
    assert seen > 100  # every command and option was read
    assert found == []


def test_the_check_finds_an_english_phrase() -> None:
    assert ENGLISH.search("结构洞: demand-heavy and supply-heavy communities")
    assert not ENGLISH.search("写出所需的 CSV、import.sh 与 GraphML、GEXF(Neo4j Community 5.26)")
    assert not ENGLISH.search(COMMANDS.sub("", "待审核队列(innograph review list)"))
