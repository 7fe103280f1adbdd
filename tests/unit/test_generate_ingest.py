"""Generated registries load as they are, and a folder with nothing to load is an error.

``innograph generate OUT`` writes a mapping file beside every data file (the
templates shipped in ``ingest/generate/data/mappings``, which ``data/sample``
links to), so ``innograph ingest OUT`` needs no manual step. ``innograph ingest``
of a folder where no data file has a mapping exits non-zero and says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import cli_generate, cli_ingest  # noqa: F401  (register the commands)
from api.cli import app
from graph.backends.embedded import SNAPSHOT, EmbeddedStore
from ingest.generate import FILES
from ingest.generate.mappings import MAPPINGS_DIR, mapping_template, write_mappings
from ingest.sources import DATA_SUFFIXES

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "data" / "sample"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("INNOGRAPH_HOME", str(h))
    monkeypatch.setenv("INNOGRAPH_STORE", "embedded")
    return h


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _data_files(folder: Path) -> list[str]:
    return sorted(f.name for f in folder.iterdir()
                  if f.is_file() and f.suffix.lower() in DATA_SUFFIXES)


# ---- generate writes the mappings, ingest loads the folder as it is ----------------------

def test_generated_folder_ingests_without_a_manual_step(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "city"
    code, stdout, stderr = run("generate", str(out), "--actors", "300", "--seed", "3")
    assert code == 0, stderr
    assert "映射文件 9 个" in stdout
    data = _data_files(out)
    assert data == sorted(FILES)  # the generator writes the files of the sample, no more
    for name in data:
        assert (out / f"{name}.mapping.yaml").is_file(), name

    code, stdout, stderr = run("ingest", str(out), "--json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["accepted"] > 0
    assert {Path(f["file"]).name for f in report["files"]} == set(FILES)
    assert all(f["accepted"] > 0 for f in report["files"]), report["files"]

    store = EmbeddedStore(home / "store", read_only=True)
    store.open()
    try:
        nodes = store.stats().nodes
    finally:
        store.close()
    for label in ("Enterprise", "University", "Institute", "Platform", "Team", "Talent",
                  "Field", "Project", "Target"):
        assert nodes.get(label, 0) > 0, (label, nodes)


def test_every_generated_file_has_a_shipped_mapping() -> None:
    shipped = sorted(p.name for p in MAPPINGS_DIR.glob("*.mapping.yaml"))
    assert shipped == sorted(f"{name}.mapping.yaml" for name in FILES)


def test_the_sample_uses_the_shipped_mappings() -> None:
    if not (SAMPLE_DIR / "项目参与.csv").exists():
        pytest.skip("data/sample not generated")
    assert _data_files(SAMPLE_DIR) == sorted(FILES)
    for name in FILES:
        beside = SAMPLE_DIR / f"{name}.mapping.yaml"
        assert beside.read_bytes() == mapping_template(name).read_bytes(), name


def test_write_mappings_keeps_links_to_the_templates(tmp_path: Path) -> None:
    name = FILES[0]
    template = mapping_template(name)
    before = template.read_bytes()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / f"{name}.mapping.yaml").symlink_to(template)
    write_mappings(linked, [name])
    assert (linked / f"{name}.mapping.yaml").is_symlink()
    assert template.read_bytes() == before


def test_write_mappings_replaces_a_link_elsewhere_without_writing_through_it(
        tmp_path: Path) -> None:
    name = FILES[0]
    elsewhere = tmp_path / "someone_elses.yaml"
    elsewhere.write_text("keep: me\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{name}.mapping.yaml").symlink_to(elsewhere)
    (written,) = write_mappings(out, [name])
    assert not written.is_symlink()
    assert written.read_bytes() == mapping_template(name).read_bytes()
    assert elsewhere.read_text(encoding="utf-8") == "keep: me\n"


def test_write_mappings_refuses_a_file_it_has_no_mapping_for(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"其他\.csv"):
        write_mappings(tmp_path, ["其他.csv"])


# ---- a folder with nothing to ingest ------------------------------------------------------

def test_folder_without_mappings_exits_non_zero_naming_the_file(tmp_path: Path,
                                                                home: Path) -> None:
    folder = tmp_path / "registries"
    folder.mkdir()
    (folder / "企业名单.csv").write_text("企业名称\n泰安某某科技有限公司\n", encoding="utf-8")
    code, stdout, stderr = run("ingest", str(folder), "--quiet")
    assert code != 0
    assert "读取 0 行" not in stdout and "rows 0" not in stdout
    assert str(folder) in stderr and "企业名单.csv" in stderr
    assert "缺少映射文件" in stderr and "企业名单.csv.mapping.yaml" in stderr
    assert not (home / "store" / SNAPSHOT).exists()  # checked before anything was written


def test_empty_folder_exits_non_zero_saying_there_is_no_data(tmp_path: Path,
                                                             home: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "说明.md").write_text("不是数据\n", encoding="utf-8")
    code, _, stderr = run("ingest", str(folder))
    assert code != 0
    assert str(folder) in stderr and "没有数据文件" in stderr


def test_one_empty_folder_among_good_ones_stops_the_run(tmp_path: Path, home: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "领域.csv").write_text("领域名称\n智慧康养\n", encoding="utf-8")
    write_mappings(good, ["领域.csv"])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.csv").write_text("a\n1\n", encoding="utf-8")
    code, _, stderr = run("ingest", str(good), str(bad), "--quiet")
    assert code != 0
    assert str(bad) in stderr and "x.csv" in stderr
    assert not (home / "store" / SNAPSHOT).exists()


def test_ingest_saves_its_data_while_the_analysis_waits_for_the_fit(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot is saved once, after the recommender's fit started and before the
    gap tables; a failure of that save says the data was not saved (not that only the
    analysis failed) and leaves no data half-written."""
    import pickle

    import graph.analytics.recommend as recommend
    from graph.analytics.computed import Computed

    order: list[str] = []
    start_model, table = recommend.start_model, Computed.table

    def started(comp: Computed, **kw: object) -> object:
        order.append("model")
        return start_model(comp, **kw)  # type: ignore[arg-type]

    def tabled(self: Computed, name: str, **params: object) -> object:
        if not order or order[-1] != "table":
            order.append("table")
        return table(self, name, **params)

    real_dump = pickle.dump

    def dump(obj: object, fh: object, protocol: int | None = None) -> None:
        if getattr(fh, "name", "").startswith(str(home)):
            order.append("save")
        real_dump(obj, fh, protocol)  # type: ignore[arg-type]

    monkeypatch.setattr(recommend, "start_model", started)
    monkeypatch.setattr(Computed, "table", tabled)
    monkeypatch.setattr(pickle, "dump", dump)
    out = tmp_path / "city"
    assert run("generate", str(out), "--actors", "200", "--seed", "5")[0] == 0
    code, _, stderr = run("ingest", str(out), "--quiet")
    assert code == 0, stderr
    assert order == ["model", "save", "table"]
    store = EmbeddedStore(home / "store", read_only=True)
    store.open()
    assert sum(store.stats().nodes.values()) > 200

    # the same save failing: exit 1 with the store's own message, nothing half-written
    from tests.unit.test_embedded_durability import disk_full

    before = store.stats()
    other = tmp_path / "other"
    assert run("generate", str(other), "--actors", "150", "--seed", "9")[0] == 0
    with disk_full(monkeypatch):
        code, _, stderr = run("ingest", str(other), "--quiet")
    assert code == 1
    assert "磁盘已满" in stderr and "导入已完成" not in stderr
    assert not list((home / "store").glob("*.tmp*"))
    again = EmbeddedStore(home / "store", read_only=True)
    again.open()
    assert again.stats() == before
