"""graph.viz: layout, views, rendering rules, offline pages and GraphML/GEXF exports.

Views built through the store run on every backend (the ``store`` fixture).
"""

from __future__ import annotations

import io
import time

import networkx as nx
import pytest
from pyvis.network import Network

from graph.backends.embedded import EmbeddedStore
from graph.store import GraphStore
from graph.viz import (
    PHYSICS_MAX_NODES,
    LayoutCache,
    aggregate,
    community_view,
    ego_view,
    fast_layout,
    gap_view,
    graph_bytes,
    graph_view,
    path_view,
    recommend_view,
    render_html,
    vis_payload,
)
from graph.viz.export import export_graph
from graph.viz.offline import external_references
from graph.viz.style import node_tooltip
from tests.contract.fixture import EDGES, NODES


@pytest.fixture
def filled(store: GraphStore) -> GraphStore:
    store.upsert_nodes(nodes=NODES)
    store.upsert_edges(edges=EDGES)
    return store


@pytest.fixture
def g() -> nx.MultiDiGraph:
    s = EmbeddedStore(None)
    s.open()
    s.upsert_nodes(nodes=NODES)
    s.upsert_edges(edges=EDGES)
    return s.subgraph()


def big_graph(n: int) -> nx.MultiDiGraph:
    """A scale-free graph dressed as store records."""
    base = nx.powerlaw_cluster_graph(n, 2, 0.1, seed=3)
    out = nx.MultiDiGraph()
    for i in base.nodes:
        out.add_node(f"n{i}", uid=f"n{i}", label="Enterprise" if i % 3 else "University",
                     name=f"主体{i}", prov_source="bench", prov_method="synthetic",
                     prov_confidence=1.0)
    for a, b in base.edges:
        out.add_edge(f"n{a}", f"n{b}", key=f"{a}-{b}", type="COOPERATES_WITH")
    return out


# ---------------------------------------------------------------- layout ---
def test_layout_is_deterministic_and_centred() -> None:
    graph = nx.karate_club_graph()
    graph.add_nodes_from(["lonely", "alone"])
    first = fast_layout(graph, center=0)
    assert first == fast_layout(graph, center=0)
    assert set(first) == set(graph.nodes) and first[0] == (0.0, 0.0)
    assert len(set(first.values())) == len(first)  # no two nodes on one spot


def test_layout_of_2000_nodes_is_fast_and_spread() -> None:
    graph = nx.powerlaw_cluster_graph(2000, 2, 0.1, seed=1)
    start = time.perf_counter()
    pos = fast_layout(graph)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"layout took {elapsed:.2f} s"  # about 0.15 s here; spring: ~9 s
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    # about one node per two unit² of area: not collapsed into a dot
    assert (max(xs) - min(xs)) * (max(ys) - min(ys)) > 2000


def test_layout_cache_hits_on_the_same_structure() -> None:
    cache = LayoutCache(size=2)
    graph = nx.path_graph(5)
    a = cache.layout(graph)
    b = cache.layout(nx.path_graph(5))
    assert a is b and cache.hits == 1 and cache.misses == 1
    cache.layout(nx.path_graph(6))
    cache.layout(nx.path_graph(7))
    cache.layout(nx.path_graph(5))
    assert cache.misses == 4  # the first one was evicted


# ----------------------------------------------------------------- views ---
def test_ego_view_marks_centre_hops_and_counts(filled: GraphStore) -> None:
    view = ego_view(filled, "ent:a", depth=2)
    g = view.graph
    assert g.nodes["ent:a"]["role"] == "center" and g.nodes["ent:a"]["hop"] == 0
    assert g.nodes["uni:4137010434"]["hop"] == 1 and g.nodes["plt:lab"]["hop"] == 2
    assert view.notes[0].startswith("关系计数:合作 2")
    assert "张三" in {d["name"] for _, d in g.nodes(data=True)}


def test_ego_view_says_when_caps_cut(filled: GraphStore) -> None:
    view = ego_view(filled, "plt:community", depth=1, per_type_limit=1)
    assert view.graph.number_of_nodes() == 2 and "截断" in view.notes[1]


def test_path_view_keeps_only_path_relationships(filled: GraphStore) -> None:
    view = path_view(filled, "plt:lab", "ent:a", k=1, rel_types=["MEMBER_OF"])
    assert view.notes == ["路径 1(2 跳):山东省作物生物学重点实验室与泰安康养医疗器械有限公司"
                          "同为山东省智慧康养创新创业共同体的成员。"]
    assert {d["type"] for *_, d in view.graph.edges(data=True)} == {"MEMBER_OF"}
    assert view.graph.nodes["plt:lab"]["role"] == "source"


def test_gap_view_sides_and_missing_links(g: nx.MultiDiGraph) -> None:
    view = gap_view(g, "fld:rehab")
    roles = {u: d.get("role") for u, d in view.graph.nodes(data=True)}
    assert roles == {"fld:rehab": "field", "ent:a": "demand", "ent:b": "demand",
                     "team:r": "supply"}
    missing = [(u, v) for u, v, d in view.graph.edges(data=True) if d.get("type") == "MISSING"]
    # ent:a already cooperates with the team; ent:b does not
    assert missing == [("ent:b", "team:r")]
    assert view.tables["missing_links"][0]["supply"] == "康复机器人创新团队"
    assert view.positions is not None and view.positions["ent:b"][0] < 0 < \
        view.positions["team:r"][0]


def test_recommend_view_draws_proposals_dashed(g: nx.MultiDiGraph) -> None:
    recs = [{"uid": "uni:4137010436", "label": "University", "name": "泰山学院", "score": 0.8,
             "reason": "同属领域"}]
    view = recommend_view(g, "ent:a", recs)
    virtual = [(u, v, d) for u, v, d in view.graph.edges(data=True) if d.get("virtual")]
    assert [(u, v, d["type"]) for u, v, d in virtual] == [
        ("ent:a", "uni:4137010436", "RECOMMENDED")]
    data = vis_payload(view)
    edge = next(e for e in data["edges"] if e["type"] == "RECOMMENDED")
    assert edge["dashes"] is True and edge["label"] == "推荐 0.80"


def test_community_view_members_and_detection(g: nx.MultiDiGraph) -> None:
    view = community_view(g, platform="plt:community", detect=True)
    members = {"plt:lab", "ent:a", "ins:泰安市产业技术创新研究院"}
    assert members <= set(view.graph.nodes) and "fld:rehab" in view.graph
    assert all("community" in d for _, d in view.graph.nodes(data=True))
    assert view.notes[0].startswith("成员 3 个")


def test_aggregate_groups_by_kind() -> None:
    view = aggregate(graph_view(big_graph(300), title="全图"))
    assert set(view.graph.nodes) == {"kind:Enterprise", "kind:University"}
    assert view.graph.nodes["kind:Enterprise"]["count"] == 200
    (_, _, data), = view.graph.edges(data=True)
    assert data["type"] == "AGGREGATE" and data["weight"] > 0


def test_a_large_group_opens_into_sub_groups_and_then_members() -> None:
    from graph.viz.views import MEMBERS_SHOWN

    whole = graph_view(big_graph(300), title="全图")
    opened = aggregate(whole, expand=["kind:Enterprise"])  # 200 members: sub-groups first
    subs = [u for u in opened.graph if str(u).startswith("kind:Enterprise|")]
    assert subs and "kind:Enterprise" not in opened.graph and "kind:University" in opened.graph
    assert sum(opened.graph.nodes[u]["count"] for u in subs) == 200
    small = min(subs, key=lambda u: opened.graph.nodes[u]["count"])
    members = aggregate(whole, expand=["kind:Enterprise", small])
    shown = [u for u, d in members.graph.nodes(data=True) if d.get("group_of") == small]
    assert len(shown) == opened.graph.nodes[small]["count"]
    # every node placed; an opened group's members side by side, never on top of another
    assert set(members.positions or {}) >= set(members.graph.nodes)
    spots = {members.positions[u] for u in shown}  # type: ignore[index]
    assert len(spots) == len(shown)
    few = aggregate(graph_view(big_graph(30), title="小"), expand=["kind:University"])
    assert MEMBERS_SHOWN >= 10 and not [u for u in few.graph if "|" in str(u)]
    assert "已展开 1 组" in few.notes[-1]


def test_colour_by_community_has_its_own_legend(g: nx.MultiDiGraph) -> None:
    data = vis_payload(community_view(g, detect=True))
    legend = data["legend"]
    colours = {c["color"] for c in legend["communities"]}
    assert colours and all(k["color"] == "#7a8593" for k in legend["kinds"])
    fills = {n["color"]["background"] for n in data["nodes"] if "color" in n}
    assert fills and fills <= colours | {"#dddddd"}


# ------------------------------------------------------------- rendering ---
def test_payload_physics_only_for_small_views() -> None:
    small = vis_payload(graph_view(big_graph(50), title="小"))
    large = vis_payload(graph_view(big_graph(PHYSICS_MAX_NODES + 50), title="大"))
    assert small["options"]["physics"]["enabled"] is True
    assert large["options"]["physics"]["enabled"] is False
    assert large["options"]["edges"]["smooth"] == {"enabled": False}
    assert all("x" in n and "y" in n for n in large["nodes"])


def test_payload_aggregates_over_the_hard_cap() -> None:
    data = vis_payload(graph_view(big_graph(400), title="全图"), max_nodes=100)
    assert data["stats"]["aggregated"] and data["stats"]["source_nodes"] == 400
    assert len(data["nodes"]) == 2
    by_community = vis_payload(graph_view(big_graph(400), title="全图"), max_nodes=100,
                               aggregate_by="community")
    names = [n["label"] for n in by_community["nodes"]]
    assert len(names) > 2 and all(name.startswith("社区") for name in names)
    assert sum(int(n["title"].split("(")[1].split(")")[0]) for n in by_community["nodes"]) \
        == 400


def test_labels_tooltips_and_legend_are_chinese(filled: GraphStore) -> None:
    data = vis_payload(ego_view(filled, "ent:a", depth=2))
    assert {e["label"] for e in data["edges"]} >= {"合作", "成员", "属于领域"}
    centre = next(n for n in data["nodes"] if n["id"] == "ent:a")
    assert "类型:企业" in centre["title"] and "方法:人工录入" in centre["title"]
    assert centre["group"] == "Enterprise" and centre["borderWidth"] == 4
    assert data["options"]["groups"]["Enterprise"]["shape"] == "dot"
    kinds = {k["zh"] for k in data["legend"]["kinds"]}
    assert {"企业", "高校", "创新平台", "人才"} <= kinds


def test_personal_data_never_in_tooltips_or_exports(g: nx.MultiDiGraph) -> None:
    talent = g.nodes["tal:张三@泰山学院"]
    assert talent["phone"] == "13800000000"  # the store holds it
    assert "13800000000" not in node_tooltip(talent)
    view = graph_view(g, title="全图")
    assert b"13800000000" not in graph_bytes(view, "graphml")
    assert b"13800000000" in graph_bytes(view, "graphml", include_sensitive=True)


def test_pages_reference_nothing_outside() -> None:
    html = render_html(graph_view(big_graph(30), title="离线"))
    assert external_references(html) == []
    assert "vis-network" in html and "@license" in html  # inlined with its licence header
    # pyvis's own in_line page still links bootstrap from a CDN: the reason for our template
    net = Network(cdn_resources="in_line")
    net.add_node(1)
    assert any("cdn.jsdelivr.net" in u for u in external_references(net.generate_html()))


# ---------------------------------------------------------------- export ---
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_exports_round_trip_with_kinds_and_types(g: nx.MultiDiGraph, fmt: str) -> None:
    view = gap_view(g, "fld:rehab")  # has a view-only (virtual) edge too
    data = graph_bytes(view, fmt)
    reader = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    back = reader(io.BytesIO(data))
    assert set(back.nodes) == set(view.graph.nodes)
    kinds = {u: d["kind"] for u, d in back.nodes(data=True)}
    assert kinds["ent:a"] == "Enterprise" and kinds["fld:rehab"] == "Field"
    assert back.nodes["ent:b"]["kind_zh"] == "企业"
    assert back.nodes["ent:a"]["label"] == "泰安康养医疗器械有限公司"
    types = sorted((u, v, d["rel_type"]) for u, v, d in back.edges(data=True))
    assert types == sorted((u, v, d["type"]) for u, v, d in view.graph.edges(data=True))
    missing = [d for *_, d in back.edges(data=True) if d["rel_type"] == "MISSING"]
    assert missing and missing[0]["virtual"] in (True, "true", "True")
    assert back.nodes["ent:a"]["keywords"] == "康复机器人、外骨骼"  # lists become strings


def test_export_unifies_mixed_attribute_types() -> None:
    graph = nx.MultiDiGraph()
    graph.add_node("a", uid="a", label="Enterprise", name="甲", weight=1)
    graph.add_node("b", uid="b", label="Enterprise", name="乙", weight=2.5)
    graph.add_edge("a", "b", key="k", type="COOPERATES_WITH", start=3, end=9)
    out = export_graph(graph)
    assert out.nodes["a"]["weight"] == 1.0 and isinstance(out.nodes["a"]["weight"], float)
    edge = out.edges["a", "b", "k"]
    assert edge["char_start"] == 3 and "start" not in edge  # GEXF would read a time spell
    back = nx.read_gexf(io.BytesIO(graph_bytes(graph, "gexf")))
    assert back.edges["a", "b"]["rel_type"] == "COOPERATES_WITH"
    assert b'type="COOPERATES_WITH"' not in graph_bytes(graph, "gexf")


def test_communities_of_a_view_by_leiden_with_lone_nodes_on_their_own() -> None:
    from graph.viz.views import communities

    h = nx.MultiDiGraph()
    for u in ["a1", "a2", "a3", "b1", "b2", "b3", "lone"]:
        h.add_node(u, uid=u, label="Enterprise", name=u)
    for u, v in [("a1", "a2"), ("a2", "a3"), ("a3", "a1"), ("b1", "b2"), ("b2", "b3"),
                 ("b3", "b1"), ("a1", "b1")]:
        h.add_edge(u, v, type="COOPERATES_WITH")
    h.add_edge("a2", "a1", type="COOPERATES_WITH")  # a pair counts once, either way
    c = communities(h)
    # two triangles joined by one edge: two communities (ties: smallest uid first), and
    # the node without a link alone, last
    assert c == {"a1": 0, "a2": 0, "a3": 0, "b1": 1, "b2": 1, "b3": 1, "lone": 2}
    assert communities(h) == c  # seeded: the same on every call


def test_colouring_the_whole_graph_leaves_the_graph_as_it_was(g: nx.MultiDiGraph) -> None:
    # the whole graph is coloured on nodes of the view's own; its relationships are the
    # graph's, and the view cannot be changed
    before = {u: dict(d) for u, d in g.nodes(data=True)}
    view = community_view(g, detect=True).graph
    assert all("community" in d for _, d in view.nodes(data=True))
    assert {u: dict(d) for u, d in g.nodes(data=True)} == before
    u, v, k = next(iter(g.edges(keys=True)))
    assert view.edges[u, v, k] is g.edges[u, v, k]
    with pytest.raises(nx.NetworkXError):
        view.add_edge(u, v)


def test_the_whole_graphs_communities_are_found_once_per_graph(
        g: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    import graph.viz.views as views

    calls: list[int] = []
    real = views.communities

    def counted(h: nx.MultiDiGraph, *, seed: int = 42) -> dict[str, int]:
        calls.append(h.number_of_nodes())
        return real(h, seed=seed)

    monkeypatch.setattr(views, "communities", counted)
    first = community_view(g, detect=True).graph
    again = community_view(g, detect=True).graph
    assert len(calls) == 1 and first is not again
    assert dict(first.nodes(data="community")) == dict(again.nodes(data="community"))
    assert dict(first.nodes(data="community")) == real(g)
    # a platform's view is its own graph: found each time
    community_view(g, platform="plt:community", detect=True)
    community_view(g, platform="plt:community", detect=True)
    assert len(calls) == 3


def dressed_graph(n: int) -> nx.MultiDiGraph:
    """A scale-free graph of several kinds with fields, parallel relationships of two
    types, links both ways and a self-loop: what an overview groups."""
    base = nx.powerlaw_cluster_graph(n, 2, 0.1, seed=5)
    kinds = ["Enterprise", "Enterprise", "University", "Talent", "Platform"]
    out = nx.MultiDiGraph()
    fields = [f"fld:{i}" for i in range(6)]
    for f in fields:
        out.add_node(f, uid=f, label="Field", name=f"领域{f[-1]}")
    for i in base.nodes:
        out.add_node(f"n{i}", uid=f"n{i}", label=kinds[i % 5], name=f"主体{i % 97}")
        if i % 4:
            out.add_edge(f"n{i}", fields[i % 6], key=f"f{i}", type="IN_FIELD")
        if i % 7 == 0:
            out.add_edge(f"n{i}", fields[(i + 1) % 6], key=f"o{i}", type="OFFERS")
    for a, b in base.edges:
        out.add_edge(f"n{a}", f"n{b}", key=f"{a}-{b}", type="COOPERATES_WITH")
        if (a + b) % 5 == 0:
            out.add_edge(f"n{a}", f"n{b}", key=f"p{a}-{b}", type="PARTICIPATES_IN")
        if (a * b) % 11 == 0:
            out.add_edge(f"n{b}", f"n{a}", key=f"r{a}-{b}", type="COOPERATES_WITH")
    out.add_edge("n3", "n3", key="self", type="COOPERATES_WITH")
    out.add_node("lone", uid="lone", label="Enterprise", name="孤立")
    return out


def _drawn(view: object) -> tuple[object, ...]:
    from graph.viz.views import View

    assert isinstance(view, View)
    return (view.title, view.notes, list(view.graph.nodes(data=True)),
            list(view.graph.edges(keys=True, data=True)), view.positions)


@pytest.mark.parametrize("by", ["label", "field", "community"])
def test_the_whole_graphs_overview_is_the_one_read_from_its_graph(by: str) -> None:
    # the overview of a whole graph groups with what is kept per graph and reads only the
    # groups opened; every picture is the one a full reading of the graph gives
    from dataclasses import replace

    from graph.viz.views import MEMBERS_SHOWN, View

    g = dressed_graph(900)

    def both(expand: list[str]) -> View:
        view = community_view(g)
        assert view.whole is g
        whole = aggregate(view, by=by, expand=expand)
        read = aggregate(replace(view, whole=None), by=by, expand=expand)
        assert _drawn(whole) == _drawn(read), expand
        return whole

    closed = both([])
    groups = sorted(closed.graph.nodes, key=lambda u: -closed.graph.nodes[u]["count"])
    big = groups[0]
    assert closed.graph.nodes[big]["count"] > MEMBERS_SHOWN
    opened = both([big])
    subs = sorted((u for u in opened.graph if str(u).startswith(f"{big}|")),
                  key=lambda u: opened.graph.nodes[u]["count"])
    assert subs
    deeper = both([big, subs[0], subs[-1]])
    assert [u for u, d in deeper.graph.nodes(data=True) if d.get("group_of") == subs[0]]
    assert deeper.graph.number_of_edges() > opened.graph.number_of_edges()
    small = [u for u in groups if closed.graph.nodes[u]["count"] <= MEMBERS_SHOWN]
    both([*small[:2], big, "kind:无此类", f"{groups[-1]}|kind:Talent"])
    both(groups)  # every group opened


def test_the_whole_graphs_grouping_is_read_once_per_graph(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import graph.viz.views as views

    g = dressed_graph(300)
    calls: list[str] = []
    for name in ("communities", "_main_fields"):
        real = getattr(views, name)

        def counted(*args: object, _real: object = real, _name: str = name,
                    **kw: object) -> object:
            calls.append(_name)
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(views, name, counted)
    first = [aggregate(community_view(g), by=by) for by in ("field", "community")]
    again = [aggregate(community_view(g), by=by, expand=e)
             for by in ("field", "community") for e in ([], ["kind:Enterprise"])]
    assert sorted(calls) == ["_main_fields", "communities"]
    assert _drawn(first[0]) == _drawn(again[0]) and _drawn(first[1]) == _drawn(again[2])
    # another graph is grouped on its own
    aggregate(community_view(dressed_graph(100)), by="field")
    assert calls.count("_main_fields") == 2
