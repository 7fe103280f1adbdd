"""The CLI starts without the heavy libraries: they are imported by the commands using them.

Each check runs a fresh interpreter (this test process has imported everything
already) and reads back which modules it ended up with. No timing is asserted:
what is imported is what makes the start slow, and that is what can regress.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("spacy", "scipy", "sklearn", "pyvis", "bm25s", "jieba", "fastapi", "uvicorn",
         "openpyxl", "neo4j", "networkx.algorithms")
"""Never imported by start-up (``innograph --help`` builds every command)."""

LIGHT_COMMAND_HEAVY = (*HEAVY, "networkx")
"""Never imported by ``stats``, ``search`` or ``node`` on the embedded store (networkx is
for the whole-graph views and analyses), nor by an ingest's planner."""

_DUMP = """
import atexit, json, os, sys
def _dump():
    with open(os.environ["DUMP_MODULES"], "w") as fh:
        fh.write(json.dumps(sorted(sys.modules)))
atexit.register(_dump)
"""


def _modules_after(code: str, tmp_path: Path, *args: str, env: dict[str, str] | None = None
                   ) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run ``code`` in a fresh interpreter; the modules loaded when it exits, and the run."""
    dump = tmp_path / "modules.json"
    full_env = {**os.environ, **(env or {}), "DUMP_MODULES": str(dump)}
    proc = subprocess.run([sys.executable, "-c", _DUMP + code, *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert dump.exists(), proc.stderr
    return set(json.loads(dump.read_text())), proc


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages or modules) are among ``modules``."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_importing_the_cli_imports_no_heavy_library(tmp_path: Path) -> None:
    modules, proc = _modules_after("import api.cli", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "api.cli" in modules  # the probe works
    assert _loaded(modules, HEAVY) == []


def test_building_every_command_imports_no_heavy_library(tmp_path: Path) -> None:
    # what `innograph --help` does: register every command module, then let typer
    # build the click commands, which evaluates every command's signature
    code = ("import typer.main\nfrom api import cli_commands\nfrom api.cli import app\n"
            "typer.main.get_command(app)\n")
    modules, proc = _modules_after(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {"api.cli_gaps", "api.cli_match", "api.cli_viz", "api.cli_ingest"} <= modules
    assert _loaded(modules, HEAVY) == []


def test_help_lists_the_commands_without_heavy_libraries(tmp_path: Path) -> None:
    modules, proc = _modules_after("from api.cli import main\nmain()", tmp_path, "--help",
                                   env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    for command in ("ingest", "generate", "search", "match", "gaps", "viz", "extract"):
        assert command in proc.stdout, command
    assert _loaded(modules, HEAVY) == []
    # the ontology's pydantic models and pydantic itself are for commands that run
    assert _loaded(modules, ("pydantic", "schemas")) == []


def test_a_setting_not_allowed_exits_2_naming_it_in_chinese(tmp_path: Path) -> None:
    env = {"INNOGRAPH_HOME": str(tmp_path / "home"), "INNOGRAPH_ROLE": "superuser"}
    _modules, proc = _modules_after("from api.cli import main\nmain()", tmp_path, "stats",
                                    env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("错误:设置无效"), proc.stderr
    assert "INNOGRAPH_ROLE" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [("stats",), ("search", "泰山"), ("node", "nobody-here")])
def test_light_commands_import_no_heavy_library(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {"INNOGRAPH_HOME": str(tmp_path / "home"), "INNOGRAPH_STORE": "embedded"}
    modules, proc = _modules_after("from api.cli import main\nmain()", tmp_path, *args,
                                   env=env)
    # `node` of an unknown actor exits 1 with a message; the others succeed on an empty store
    assert proc.returncode == (1 if args[0] == "node" else 0), proc.stderr
    assert "graph.backends.embedded" in modules  # the store was really opened
    assert _loaded(modules, LIGHT_COMMAND_HEAVY) == []


def test_the_ingest_pipeline_imports_no_heavy_library(tmp_path: Path) -> None:
    # an ingest on Neo4j mirrors its nodes in an embedded store: that store's module
    # must not bring networkx (0.1 s of every ingest's start)
    modules, proc = _modules_after("import ingest.pipeline, ingest.mirror, api.cli_ingest",
                                   tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "graph.backends.embedded" in modules
    assert _loaded(modules, (*LIGHT_COMMAND_HEAVY, "numpy")) == []


# ---- the option types mirrored in the CLI agree with the analytics they mirror -----------

def test_match_options_mirror_the_matcher() -> None:
    from api.cli_match import MAX_TOP, Kind, csv_columns
    from graph.analytics import match

    assert MAX_TOP == match.MAX_TOP
    assert [k.value for k in Kind] == list(match.KINDS)
    assert set(match.COMPONENTS) <= set(csv_columns())


def test_isolated_kinds_mirror_the_gap_analytics() -> None:
    from api.cli_gaps import IsolatedKind
    from graph.analytics import gaps

    assert [k.value for k in IsolatedKind] == [k.value for k in gaps.IsolatedKind]


_TEARDOWN = """
import atexit, os, sys, threading, time
class Witness:
    def __del__(self, _open=open, _mark=os.environ["TEARDOWN_MARK"]):
        with _open(_mark, "w") as fh:  # bound early: the teardown clears builtins
            fh.write("torn down")
witness = Witness()  # freed by the interpreter's teardown, if it runs
atexit.register(lambda: open(os.environ["ATEXIT_MARK"], "w").write("ran"))
def outlive_main():  # alive until the interpreter's shutdown has begun
    while threading.main_thread().is_alive():
        time.sleep(0.01)
if os.environ.get("KEEP_THREAD"):
    threading.Thread(target=outlive_main).start()
sys.argv = ["innograph", *sys.argv[1:]]
from api.cli import main
main()
"""


@pytest.mark.parametrize("keep_thread", [False, True])
def test_the_cli_exits_without_the_teardown_only_when_nothing_else_runs(
        tmp_path: Path, keep_thread: bool) -> None:
    """``innograph`` ends at once after its command (the teardown of a loaded store takes
    seconds): the exit status and all output as the command left them, exit functions
    run; with another thread still running, the normal exit waits for it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "INNOGRAPH_HOME": str(tmp_path / "home"),
           "INNOGRAPH_STORE": "embedded", "TEARDOWN_MARK": str(tmp_path / "teardown"),
           "ATEXIT_MARK": str(tmp_path / "atexit"), "KEEP_THREAD": "1" if keep_thread else ""}
    proc = subprocess.run([sys.executable, "-c", _TEARDOWN, "ingest", str(empty)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert "没有可导入的表" in proc.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "teardown").exists() == keep_thread
    ok = subprocess.run([sys.executable, "-c", _TEARDOWN, "stats"], cwd=REPO, env=env,
                        capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip()  # the command's output, flushed before the exit


@pytest.mark.parametrize("daemon", [True, False])
def test_a_daemon_thread_does_not_keep_the_teardown(monkeypatch: pytest.MonkeyPatch,
                                                    daemon: bool) -> None:
    # a library's monitor thread (tqdm starts one for any bar, the matcher's BM25 index
    # makes bars) is a daemon: no exit waits for it, so the teardown is skipped all the
    # same; a thread the normal exit would wait for keeps it
    import atexit
    import threading

    from api import cli

    ended: list[int] = []
    monkeypatch.setattr(os, "_exit", ended.append)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: None)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=daemon)
    worker.start()
    # the threads this test knows of (not those other tests may have left)
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread(), worker])
    try:
        cli._exit_without_teardown(SystemExit(0))
    finally:
        stop.set()
        worker.join()
    assert ended == ([0] if daemon else [])
