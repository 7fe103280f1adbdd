"""The ingest commands end to end: ingest, review, unmerge, resolve, and a run killed
half-way then run again."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli_ingest  # noqa: F401  (registers the commands)
from api.cli import app
from graph.backends.embedded import EmbeddedStore
from ingest.pipeline import DIE_ENV
from schemas.records import content
from tests.unit.test_ingest_support import DATA, registry_copy

INNOGRAPH = Path(sys.executable).with_name("innograph")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("INNOGRAPH_HOME", str(h))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    monkeypatch.delenv(DIE_ENV, raising=False)
    return h


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def graph_of(home: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    store = EmbeddedStore(home / "store", read_only=True)
    store.open()
    g = store.subgraph()
    stats = {**store.stats().nodes, **store.stats().relationships}
    store.close()
    return ({u: content(d) for u, d in g.nodes(data=True)},
            {k: content(d) for _, _, k, d in g.edges(keys=True, data=True)}, stats)


def test_ingest_prints_a_summary_saves_a_report_and_is_idempotent(home: Path,
                                                                   tmp_path: Path) -> None:
    reg = registry_copy(tmp_path)
    code, out, _ = run("ingest", str(reg))
    assert code == 0
    assert "被拒绝的行(前 10 条,共 14 条" in out and "orgs.csv:13" in out
    assert "读取 58 行:接受 44,拒绝 14" in out
    (report,) = (home / "reports").glob("ingest-*.json")
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert saved["rows_read"] == 58 and len(saved["rejected"]) == 14
    code, out, _ = run("ingest", str(reg), "--quiet", "--force")
    assert code == 0 and out.count("\n") == 1
    assert "新建 0,更新 0" in out
    code, out, _ = run("ingest", str(reg), "--json", "--report", str(tmp_path / "r.json"))
    assert code == 0 and json.loads(out)["report_path"] == str(tmp_path / "r.json")
    assert run("ingest", str(reg), "--quiet", "--strict")[0] == 2


def _latest_report(home: Path) -> dict[str, Any]:
    newest = max((home / "reports").glob("ingest-*.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(newest.read_text(encoding="utf-8"))


def test_an_unchanged_rerun_reads_nothing_and_any_change_makes_a_full_run(
        home: Path, tmp_path: Path) -> None:
    """The same files into the store the last run left unchanged: answered from that run
    (same rows, rejects and merges, nothing written, a report saying so); a changed data
    file, mapping file or store, or --force, and every row is read again."""
    reg = registry_copy(tmp_path)
    assert run("ingest", str(reg), "--quiet")[0] == 0
    first = _latest_report(home)
    graph = graph_of(home)
    code, out, _ = run("ingest", str(reg), "--quiet")
    assert code == 0 and "未重新读取(58 行,拒绝 14" in out
    again = _latest_report(home)
    assert again["up_to_date"] and again["run_id"] != first["run_id"]
    assert (again["rows_read"], len(again["rejected"]), again["merged"]) == (
        first["rows_read"], len(first["rejected"]), first["merged"])
    assert again["nodes"] == again["relationships"] == {} and not again["queued_for_review"]
    assert graph_of(home) == graph
    assert run("ingest", str(reg), "--quiet", "--strict")[0] == 2  # its rejects count
    # forced: every row read again, every object unchanged
    code, out, _ = run("ingest", str(reg), "--quiet", "--force")
    assert code == 0 and "新建 0,更新 0" in out and not _latest_report(home)["up_to_date"]

    def read_in_full() -> bool:
        code, out, err = run("ingest", str(reg), "--quiet")
        assert code == 0, err
        return "未重新读取" not in out and not _latest_report(home)["up_to_date"]

    assert not read_in_full()  # the forced run was recorded too
    orgs = reg / "orgs.csv"
    orgs.write_text(orgs.read_text(encoding="utf-8-sig").replace("泰山学院", "泰山学院 "),
                    encoding="utf-8-sig")  # the same name once normalised: a new file
    assert read_in_full() and not read_in_full()
    mapping = reg / "projects.csv.mapping.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8") + "\n# 注释\n", encoding="utf-8")
    assert read_in_full() and not read_in_full()
    # another command wrote to the store (a node of its own)
    from schemas.nodes import Enterprise

    store = EmbeddedStore(home / "store")
    store.open()
    store.upsert_nodes(nodes=[Enterprise(uid="ent:另一个命令", name="另一个命令写入的企业")])
    store.close()
    assert read_in_full() and not read_in_full()
    # the review queue changed since (a decision taken)
    review = home / "review.json"
    review.write_text(review.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert read_in_full() and not read_in_full()


def test_missing_required_column_exits_naming_column_and_file(home: Path) -> None:
    code, _, err = run("ingest", str(DATA / "errors" / "bad_header.csv"))
    assert code == 1 and "企业名称" in err and "bad_header.csv" in err


def test_review_accept_reject_and_unmerge_commands(home: Path, tmp_path: Path) -> None:
    assert run("ingest", str(registry_copy(tmp_path)), "--quiet")[0] == 0
    assert run("ingest", str(DATA / "review"), "--quiet")[0] == 0
    code, out, _ = run("review", "list", "--format", "json")
    items = {i["name"]: i for i in json.loads(out)}
    # the registry itself raised one question: is the field 康复医学 康复医疗器械?
    assert code == 0 and set(items) == {"康复医学", "泰安康复医疗器械科技有限公司",
                                         "泰山生物制药科技有限公司"}
    rehab = items["泰安康复医疗器械科技有限公司"]
    code, out, _ = run("review", "accept", rehab["id"])
    assert code == 0 and "ent:91370900MA3C4XYH17" in out
    merge_id = re.search(r"merge-[0-9a-f]{12}", out).group(0)  # type: ignore[union-attr]
    assert f"innograph unmerge {merge_id}" in out  # how to undo it
    code, out, _ = run("review", "reject", items["泰山生物制药科技有限公司"]["id"])
    assert code == 0
    code, out, _ = run("review", "list", "--status", "all", "--format", "json")
    assert sorted(i["status"] for i in json.loads(out)) == ["accepted", "pending", "rejected"]
    nodes, _, _ = graph_of(home)
    assert rehab["uid"] not in nodes
    code, out, _ = run("unmerge", merge_id)
    assert code == 0 and "重新待审" in out
    nodes, _, _ = graph_of(home)
    assert rehab["uid"] in nodes
    assert run("unmerge", merge_id)[0] == 1  # already undone
    code, _, err = run("review", "accept", "r-nope")
    assert code == 1 and "r-nope" in err


def test_resolve_on_gazetteers_alone_then_on_the_graph(home: Path, tmp_path: Path) -> None:
    code, out, _ = run("resolve", "山农大", "不存在的单位XYZ", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and not (home / "store").exists()
    assert rows[0]["uid"] == "uni:4137010434" and rows[0]["status"] == "matched"
    assert rows[1]["status"] == "none" and rows[1]["uid"] is None
    run("ingest", str(registry_copy(tmp_path)), "--quiet")
    code, out, _ = run("resolve", "市科技局", "泰安康复医疗器械科技有限公司", "-f", "json")
    rows = json.loads(out)
    assert rows[0]["uid"] == "gov:泰安市科学技术局" and rows[0]["kind"] == "Government"
    assert rows[1]["status"] == "candidate" and rows[1]["uid"] == "ent:91370900MA3C4XYH17"
    code, out, _ = run("resolve", "山农大", "--kind", "university", "--format", "csv")
    assert code == 0 and "uni:4137010434" in out
    code, _, err = run("resolve", "山农大", "--kind", "company")
    assert code == 1 and "不认识的类别" in err


def _cli(home: Path, *args: str, die_after: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INNOGRAPH_HOME": str(home), "INNOGRAPH_STORE": "embedded"}
    env.pop(DIE_ENV, None)
    if die_after is not None:
        env[DIE_ENV] = str(die_after)
    return subprocess.run([str(INNOGRAPH), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("clean")
    reg = registry_copy(base)
    done = _cli(base / "home", "ingest", str(reg), "--quiet", "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    return reg, graph_of(base / "home")


@pytest.mark.parametrize("die_after", [5, 23, 41])
def test_a_run_killed_half_way_and_run_again_ends_like_one_clean_run(
        clean_run: tuple[Path, Any], tmp_path: Path, die_after: int) -> None:
    reg, expected = clean_run
    home = tmp_path / "home"
    killed = _cli(home, "ingest", str(reg), "--quiet", "--batch-size", "3", die_after=die_after)
    assert killed.returncode == 75, killed.stderr  # the test hook's abrupt exit
    assert not list((home / "reports").glob("*.json"))  # it died before finishing
    partial_nodes, _, _ = graph_of(home)
    # the embedded store saves once per run: a killed run leaves the snapshot of
    # before it (here: none), never a half-written one
    assert partial_nodes == {}
    again = _cli(home, "ingest", str(reg), "--quiet", "--batch-size", "3")
    assert again.returncode == 0, again.stderr
    nodes, edges, stats = graph_of(home)
    assert stats == expected[2]
    assert nodes == expected[0] and edges == expected[1]


def test_a_killed_second_run_leaves_the_first_runs_snapshot(
        clean_run: tuple[Path, Any], tmp_path: Path) -> None:
    reg, expected = clean_run
    home = tmp_path / "home"
    assert _cli(home, "ingest", str(reg), "--quiet").returncode == 0
    changed = tmp_path / "changed"
    shutil.copytree(reg, changed)
    orgs = changed / "orgs.csv"
    orgs.write_text(orgs.read_text(encoding="utf-8-sig").replace("泰安", "泰山"),
                    encoding="utf-8-sig")
    killed = _cli(home, "ingest", str(changed), "--quiet", "--batch-size", "3", die_after=7)
    assert killed.returncode == 75, killed.stderr
    nodes, edges, stats = graph_of(home)
    assert (nodes, edges, stats) == expected


def test_resolve_names_the_university_of_a_campus(home: Path) -> None:
    code, out, _ = run("resolve", "山东科技大学泰安校区", "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["status"] == "branch_of" and row["name"] == "山东科技大学"
    assert row["uid"].startswith("uni:")


def _neo4j_graph(store: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    g = store.subgraph()
    return ({u: content(d) for u, d in g.nodes(data=True)},
            {k: content(d) for _, _, k, d in g.edges(keys=True, data=True)})


@pytest.mark.neo4j
def test_neo4j_ingest_killed_half_way_leaves_whole_batches_and_reruns_clean(
        _neo4j_session: Any, tmp_path: Path) -> None:
    """On Neo4j every batch is one transaction: a run killed between batches leaves only
    whole batches (a subset of the clean result, nothing half-written), and running it
    again ends exactly like one clean run (no duplicates)."""
    from tests.conftest import neo4j_settings

    settings = neo4j_settings()
    store = _neo4j_session
    reg = registry_copy(tmp_path)
    env = {**os.environ, "INNOGRAPH_HOME": str(tmp_path / "home"), "INNOGRAPH_STORE": "neo4j",
           "NEO4J_URI": str(settings.neo4j_uri), "NEO4J_USER": settings.neo4j_user,
           "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value()
           if settings.neo4j_password else "", "NEO4J_DATABASE": settings.neo4j_database}
    env.pop(DIE_ENV, None)

    def ingest(die_after: int | None = None) -> subprocess.CompletedProcess[str]:
        e = dict(env)
        if die_after is not None:
            e[DIE_ENV] = str(die_after)
        return subprocess.run([str(INNOGRAPH), "ingest", str(reg), "--quiet", "--batch-size",
                               "3"], env=e, capture_output=True, text=True, timeout=300,
                              check=False)

    store.clear()
    assert ingest().returncode == 0
    clean_nodes, clean_edges = _neo4j_graph(store)
    store.clear()
    killed = ingest(die_after=23)
    assert killed.returncode == 75, killed.stderr
    part_nodes, part_edges = _neo4j_graph(store)
    assert 0 < len(part_nodes) < len(clean_nodes)
    assert set(part_nodes) <= set(clean_nodes) and set(part_edges) <= set(clean_edges)
    again = ingest()
    assert again.returncode == 0, again.stderr
    assert _neo4j_graph(store) == (clean_nodes, clean_edges)


@pytest.mark.neo4j
def test_neo4j_first_load_saves_the_analysis_of_the_graph_it_wrote(
        _neo4j_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first load on Neo4j computes its analysis on the graph the run kept, while the
    database writes the last batches; what it saves is the analysis of the graph stored,
    under the version the store has once every write is in."""
    from graph.analytics import computed as C
    from graph.analytics.recommend import MODEL_NAME
    from graph.store import MATCH_TERMS
    from tests.conftest import neo4j_settings

    settings = neo4j_settings()
    store = _neo4j_session
    store.clear()
    monkeypatch.setenv("INNOGRAPH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("INNOGRAPH_STORE", "neo4j")
    monkeypatch.setenv("NEO4J_URI", str(settings.neo4j_uri))
    monkeypatch.setenv("NEO4J_USER", settings.neo4j_user)
    monkeypatch.setenv("NEO4J_PASSWORD", settings.neo4j_password.get_secret_value()
                       if settings.neo4j_password else "")
    monkeypatch.setenv("NEO4J_DATABASE", settings.neo4j_database)
    monkeypatch.delenv(DIE_ENV, raising=False)
    given: list[bool] = []
    init = C.Analysis.__init__

    def spy(self: Any, st: Any, *, computed: Any = None, records: Any = None) -> None:
        given.append(records is not None)
        init(self, st, computed=computed, records=records)

    monkeypatch.setattr(C.Analysis, "__init__", spy)
    reg = registry_copy(tmp_path)
    code, _, err = run("ingest", str(reg), "--quiet")
    assert code == 0, err
    assert given == [True]  # computed on the run's graph, not read back
    version = store.version()
    saved = store.load_derived(name=C.TABLES_NAME)
    assert saved is not None and saved[0] == version
    stored = C.project(store)
    assert json.loads(C._unpacked(saved[1])) == {
        name: C._plain(C._tables()[name](stored)) for name in C.TABLE_NAMES}
    terms = store.load_derived(name=MATCH_TERMS)
    assert terms is not None and terms[0] == version
    assert store.load_derived(name=MODEL_NAME) is not None  # fitted, or reused if it fits
    # the same files again: the store has relationships, so the run keeps no graph (the
    # merges it reports again are analysed the usual way, from the store)
    code, _, err = run("ingest", str(reg), "--quiet")
    assert code == 0, err
    assert given[0] and not any(given[1:])


@pytest.mark.neo4j
def test_neo4j_server_killed_mid_ingest_then_restarted_reruns_to_the_clean_graph(
        _neo4j_session: Any, tmp_path: Path) -> None:
    """The database itself dies (SIGKILL of the Neo4j process) while an ingest writes:
    the ingest fails with a clear message, Neo4j recovers its own transaction log on
    restart (no half batch is visible), and running the ingest again ends exactly like
    a clean run of the same files: no duplicates, nothing missing."""
    import signal
    import time

    from pydantic import SecretStr

    from graph.backends.neo4j.store import Neo4jStore, make_driver
    from graph.settings import Settings

    tool = Path(__file__).resolve().parents[2] / "tools" / "neo4j" / "neo4j_local.py"
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    clean_home = tmp_path / "clean"
    env0 = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env0.pop(DIE_ENV, None)
    done = subprocess.run([str(INNOGRAPH), "ingest", str(sample), "--quiet"], timeout=600,
                          env={**env0, "INNOGRAPH_HOME": str(clean_home),
                               "INNOGRAPH_STORE": "embedded"},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    reference = EmbeddedStore(clean_home / "store", read_only=True)
    reference.open()
    want = _neo4j_graph(reference)
    reference.close()

    neo_home, run_dir = tmp_path / "neo4j", tmp_path / "run"

    def start() -> dict[str, Any]:
        got = subprocess.run([sys.executable, str(tool), "start", "--run-dir", str(run_dir),
                              "--home", str(neo_home), "--heap", "512m", "--pagecache", "64m",
                              "--timeout", "150"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, check=False)
        assert got.returncode == 0, got.stdout + got.stderr[-3000:]
        info: dict[str, Any] = json.loads((run_dir / "connection.json").read_text())
        return info

    def env_of(info: dict[str, Any]) -> dict[str, str]:
        return {**env0, "INNOGRAPH_HOME": str(tmp_path / "home"), "INNOGRAPH_STORE": "neo4j",
                "NEO4J_URI": info["uri"], "NEO4J_USER": info["user"],
                "NEO4J_PASSWORD": info["password"], "NEO4J_DATABASE": info["database"]}

    def open_store(info: dict[str, Any]) -> Neo4jStore:
        settings = Settings().model_copy(update={
                            "neo4j_uri": info["uri"], "neo4j_user": info["user"],
                            "neo4j_password": SecretStr(info["password"]),
                            "neo4j_database": info["database"]})
        store = Neo4jStore(make_driver(settings), database=info["database"])
        store.open()
        return store

    info = start()
    try:
        probe = open_store(info)
        run = subprocess.Popen([str(INNOGRAPH), "ingest", str(sample), "--quiet",
                                "--batch-size", "20"], env=env_of(info),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300
        while sum(probe.stats().nodes.values()) < 200 and run.poll() is None:  # inside the run
            assert time.monotonic() < deadline, "the ingest wrote nothing"
            time.sleep(0.05)
        assert run.poll() is None, "the ingest ended before the kill: make the run longer"
        os.kill(int(info["pid"]), signal.SIGKILL)
        probe.close()
        _, err = run.communicate(timeout=300)
        assert run.returncode not in (0, None), err
        assert "Traceback" not in err and "Neo4j" in err, err[-2000:]

        info = start()  # the same data directory: Neo4j replays its transaction log
        store = open_store(info)
        try:
            part_nodes, part_edges = _neo4j_graph(store)
            assert 0 < len(part_nodes) < len(want[0])
            assert set(part_nodes) <= set(want[0]) and set(part_edges) <= set(want[1])
            again = subprocess.run([str(INNOGRAPH), "ingest", str(sample), "--quiet"],
                                   env=env_of(info), capture_output=True, text=True,
                                   timeout=600, check=False)
            assert again.returncode == 0, again.stderr[-2000:]
            assert _neo4j_graph(store) == want
            # no driver chatter: the server's notifications and connection logs stay out
            assert "does not exist" not in again.stderr and "[#" not in again.stderr, \
                again.stderr[-2000:]
        finally:
            store.close()
    finally:
        subprocess.run([sys.executable, str(tool), "stop", "--run-dir", str(run_dir)],
                       capture_output=True, check=False)
