"""Participation tables: PARTICIPATES_IN, derived COOPERATES_WITH (weights, years, the
2–50 rule), actors by uid or by name, and rejected rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.backends.embedded import EmbeddedStore
from ingest.pipeline import run_ingest
from schemas.nodes import Enterprise, Hospital, University

MAPPING = "kind: participation\nsynthetic: true\n"

# hand-computed: project years are the earliest year of their rows
#   P1 (2020): e1 u1 h1        P2 (2021): e1 u1        P3 (2019): e2 u1 h1 (u1 via its name)
#   P4 (2022): e1 only         P5: 51 participants (over the cap)   P6: 50 participants
TABLE = """project_id,actor_id,actor_type,year,field
P1,ent:E1,enterprise,2020,康复医疗装备
P1,uni:4137010434,university,2021,
P1,hos:H1,hospital,2020,
P2,ent:E1,enterprise,2021,
P2,uni:4137010434,university,2021,
P2,ent:E1,enterprise,2023,
P3,ent:E2,enterprise,2019,
P3,山东农业大学,university,2019,
P3,hos:H1,hospital,2020,康复医疗装备
P4,ent:E1,enterprise,2022,
P4,泰安神秘单位,unknown,2022,
P4,,enterprise,2022,
P4,ent:E1,enterprise,二〇二二,
P4,ent:E2,enterprise,3022,
"""


@pytest.fixture
def emb() -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(None)
    store.open()
    store.upsert_nodes(nodes=[
        Enterprise(uid="ent:E1", name="泰安一号公司"),
        Enterprise(uid="ent:E2", name="泰安二号公司"),
        University(uid="uni:4137010434", name="山东农业大学"),
        Hospital(uid="hos:H1", name="泰安一号医院")])
    yield store
    store.close()


def table(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "participation.csv"
    f.write_text(text, encoding="utf-8")
    (tmp_path / "participation.csv.mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return f


def coop(store: EmbeddedStore) -> dict[tuple[str, str], tuple[float | None, int | None,
                                                             int | None]]:
    return {(e.source, e.target): (e.weight, e.first_year, e.last_year)
            for e in store.get_edges(rel_types=["COOPERATES_WITH"])}


def test_hand_computed_table(emb: EmbeddedStore, tmp_path: Path) -> None:
    rep = run_ingest(emb, [table(tmp_path, TABLE)])
    assert (rep.rows_read, rep.accepted) == (14, 11)
    assert {(r.locator, r.column) for r in rep.rejected} == {
        ("participation.csv:12", "actor_id"), ("participation.csv:13", "actor_id"),
        ("participation.csv:15", "year")}
    assert "主体类型 'unknown'" in rep.rejected[0].reason
    assert coop(emb) == {
        ("ent:E1", "uni:4137010434"): (2.0, 2020, 2021),   # P1, P2
        ("ent:E1", "hos:H1"): (1.0, 2020, 2020),           # P1
        ("hos:H1", "uni:4137010434"): (2.0, 2019, 2020),   # P1, P3
        ("ent:E2", "uni:4137010434"): (1.0, 2019, 2019),   # P3
        ("ent:E2", "hos:H1"): (1.0, 2019, 2019),           # P3
    }
    part = {(e.source, e.target): e.year
            for e in emb.get_edges(rel_types=["PARTICIPATES_IN"])}
    assert part[("ent:E1", "prj:p2")] == 2021  # the earliest of 2021 and 2023
    assert part[("uni:4137010434", "prj:p3")] == 2019  # named, resolved to the uid
    assert part[("ent:E1", "prj:p4")] == 2022
    assert len(part) == 9
    p1 = emb.get_node(uid="prj:p1")
    assert p1.project_code == "P1" and p1.year == 2020  # type: ignore[attr-defined]
    fields = {(e.source, e.target) for e in emb.get_edges(rel_types=["IN_FIELD"])}
    assert fields == {("prj:p1", "fld:康复医疗装备"), ("prj:p3", "fld:康复医疗装备")}


def test_only_projects_with_2_to_50_participants_make_cooperation(emb: EmbeddedStore,
                                                                  tmp_path: Path) -> None:
    rows = ["project_id,actor_id,actor_type,year"]
    rows += [f"BIG,ent:X{i:02d},enterprise,2020" for i in range(51)]
    rows += [f"FIFTY,ent:Y{i:02d},enterprise,2021" for i in range(50)]
    rows += ["SOLO,ent:E1,enterprise,2020"]
    rep = run_ingest(emb, [table(tmp_path, "\n".join(rows) + "\n")])
    assert rep.accepted == 102 and not rep.rejected
    pairs = coop(emb)
    assert len(pairs) == 50 * 49 // 2
    assert all(a.startswith("ent:Y") and b.startswith("ent:Y") for a, b in pairs)
    assert len(emb.get_edges(rel_types=["PARTICIPATES_IN"])) == 102
    # unknown actors given by uid are created with the label of their prefix
    assert emb.get_node(uid="ent:X00").label == "Enterprise"


def test_rerun_is_unchanged(emb: EmbeddedStore, tmp_path: Path) -> None:
    f = table(tmp_path, TABLE)
    run_ingest(emb, [f])
    stats = emb.stats()
    again = run_ingest(emb, [f])
    assert (again.created, again.updated) == (0, 0) and emb.stats() == stats


def test_relationships_are_made_one_write_batch_at_a_time(
        emb: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a province's participation table has millions of relationships: they are made as
    # each batch is written, not all before the first write
    import ingest.participation as part
    from ingest.pipeline import IngestRun

    made: list[int] = []
    at_writes: list[tuple[int, int]] = []
    real = part.Relationship

    def counting(**kw: object) -> object:
        made.append(1)
        return real(**kw)  # type: ignore[arg-type]

    write_edges = IngestRun.write_edges

    def recording(self: IngestRun, edges: list[object], *a: object, **kw: object) -> None:
        at_writes.append((len(made), len(edges)))
        write_edges(self, edges, *a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(part, "EDGE_BATCH", 3)
    monkeypatch.setattr(part, "Relationship", counting)
    monkeypatch.setattr(IngestRun, "write_edges", recording)
    run_ingest(emb, [table(tmp_path, TABLE)])
    total = len(made)
    assert total > 10 and len(at_writes) >= total // 3
    # when a batch is written, only it and the batches before have been made
    written = 0
    for made_so_far, size in at_writes:
        assert size <= 3 and made_so_far == written + size
        written += size
    assert written == total == sum(1 for _ in emb.scan_edges() for _ in _)
