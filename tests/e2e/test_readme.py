"""The README's walkthrough is a script: every line of its ``bash`` code blocks runs as
written, in a fresh home, on the sample, and succeeds without a traceback or third-party
chatter. (Blocks tagged ``text`` are templates with placeholders.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent


def bash_lines(markdown: str) -> list[str]:
    """The commands of the ``bash`` blocks: one per line, comments after `` #`` cut."""
    lines: list[str] = []
    for block in re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.S | re.M):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                lines.append(command)
    return lines


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    commands = bash_lines(README.read_text(encoding="utf-8"))
    assert commands and commands[0] == "innograph ingest data/sample"
    work = tmp_path / "work"
    work.mkdir()
    for name in ("data", "tests"):  # the paths the README names, relative to the checkout
        (work / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INNOGRAPH_", "NEO4J_"))}
    env.update(INNOGRAPH_HOME=str(tmp_path / "home"), COLUMNS="100",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    for command in commands:
        assert command.startswith("innograph "), command
        done = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{command}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        assert "Traceback" not in done.stderr, command
        assert "Building prefix dict" not in done.stderr, command
    for out in re.findall(r"--out (\S+)", "\n".join(commands)):
        assert (work / out).stat().st_size > 0, out


def test_options_mean_one_thing_everywhere() -> None:
    """-k is the kind, -n the count, -o the output file, -t the relationship type, in every
    command that has them."""
    import typer.main

    from api import cli_commands  # noqa: F401  (registers the commands)
    from api.cli import app

    meaning = {"-k": "kind", "-n": "top", "-o": "out", "-t": "type", "-f": "format",
               "-e": "enterprise", "-w": "keyword", "-q": "quiet", "-v": "verbose",
               "-m": "mapping", "-p": "param", "-r": "role", "-y": "year"}
    seen: dict[str, set[str]] = {}

    def walk(group: object, path: str) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            walk(cmd, f"{path} {name}")
        for p in getattr(group, "params", []):
            for opt in p.opts:
                if len(opt) == 2 and opt.startswith("-"):
                    longs = [o for o in p.opts if o.startswith("--")]
                    seen.setdefault(opt, set()).add(f"{path}: {'/'.join(longs)}")
                    want = meaning.get(opt)
                    assert want is not None, f"{path}: {opt} has no agreed meaning"
                    assert any(want in o for o in longs), f"{path}: {opt} is {longs}"

    walk(typer.main.get_command(app), "innograph")
    assert {"-k", "-n", "-o"} <= set(seen)
