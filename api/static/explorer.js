/* The innograph explorer: plain JavaScript over the HTTP API and the local vis-network.
 *
 * Everything comes from this server (search, node details, views with server-side
 * layout, paths, recommendations, match and gap tables); nothing is fetched from
 * anywhere else, and text from the data is always inserted as text, never as HTML.
 */
(function () {
  "use strict";

  var state = { network: null, nodes: null, edges: null, selected: null, styles: null,
                openapi: null, legend: { kinds: {}, relationships: {} }, groups: {},
                year: null, lastView: null, lastGaps: null, playing: false };
  window.explorer = state;

  var METHOD_ZH = { registry: "名录登记", text: "文本抽取", manual: "人工录入" };

  var COLUMN_ZH = {
    uid: "标识", name: "名称", label: "类型", kind: "类型", score: "得分", reason: "理由",
    field: "领域", field_name: "领域", demand: "需求方", supply: "供给方", count: "数量",
    metric: "指标", value: "目标值", target: "目标", actual: "现状", gap: "差距",
    unit: "单位", year: "年度", scope: "范围", status: "状态", degree: "度",
    shared_partners: "共同伙伴", shared_fields: "共同领域", structure: "结构分",
    content: "内容分", rank: "排名", hops: "跳数", sentence: "路径", links: "对接链接数",
    gap_score: "缺口分", coverage: "覆盖率", shortfall: "差额", percent: "完成率(%)",
    kind_name: "类别", partners: "合作伙伴数", needs: "需求数", hole_score: "结构洞分",
    brokers: "中介主体", linked_demand: "已对接需求数", fields: "领域", parent: "上级领域",
    demand_community: "需求社区", supply_community: "供给社区", bridges: "桥接边数"
  };

  // ---------------------------------------------------------------- helpers
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
      if (key === "text") node.textContent = attrs[key];
      else if (key === "cls") node.className = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === undefined || v === null || v === "") return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(x));
      });
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  /** Routes that do not depend on the time slider. */
  var TIMELESS = ["/auth/", "/openapi.json", "/viz/styles.json", "/viz/years.json", "/static/"];

  /** The path with the slider's year added, for the routes of the graph. */
  function withYear(path) {
    if (state.year === null || state.year === undefined) return path;
    if (TIMELESS.some(function (p) { return path.indexOf(p) === 0; })) return path;
    return path + (path.indexOf("?") >= 0 ? "&" : "?") + "year=" + encodeURIComponent(state.year);
  }

  /** fetch JSON from this server: {ok, status, data}; never throws. Graph routes are
   * asked as of the slider's year. */
  function api(path, options) {
    path = withYear(path);
    return fetch(path, options).then(function (resp) {
      if (resp.status === 401 && path !== "/auth/login") showLogin();
      var type = resp.headers.get("content-type") || "";
      var body = type.indexOf("json") >= 0 ? resp.json() : resp.text();
      return body.then(function (data) { return { ok: resp.ok, status: resp.status, data: data }; },
                       function () { return { ok: resp.ok, status: resp.status, data: null }; });
    }, function (err) { return { ok: false, status: 0, data: String(err) }; });
  }

  function detail(res) {
    if (res.data && typeof res.data === "object" && res.data.detail) {
      return typeof res.data.detail === "string" ? res.data.detail : JSON.stringify(res.data.detail);
    }
    return "HTTP " + res.status;
  }

  function notice(text, isError) {
    return el("div", { cls: "notice" + (isError ? " error" : ""), text: text });
  }

  function status(text) { $("status").textContent = text || ""; }

  function kindStyle(label) {
    var kinds = (state.styles && state.styles.kinds) || {};
    return kinds[label] || { zh: label || "其他", color: "#bdc3c7", symbol: "●" };
  }

  function cell(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.map(cell).join("、");
    if (typeof value === "object") return JSON.stringify(value);
    if (typeof value === "number") return String(Math.round(value * 10000) / 10000);
    return String(value);
  }

  /** Rows from a response that may be a list or an object holding one. */
  function rowsOf(data) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === "object") {
      var keys = ["results", "items", "rows", "matches", "candidates", "data"];
      for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
      return [data];
    }
    return [];
  }

  /** A table of rows; with ``preferred`` columns only those present (the panel is narrow). */
  function table(rows, onRow, preferred) {
    if (!rows.length) return notice("没有结果");
    var cols = [];
    (preferred || []).forEach(function (c) {
      if (cols.length < 6 && rows.some(function (r) { return c in r; })) cols.push(c);
    });
    if (cols.length < 2) {
      rows.slice(0, 20).forEach(function (r) {
        Object.keys(r).forEach(function (k) {
          var v = r[k];
          if (cols.indexOf(k) < 0 && cols.length < 6 && !/uid$/.test(k) && (v === null || typeof v !== "object")) cols.push(k);
        });
      });
    }
    var head = el("tr", null);
    cols.forEach(function (c) { head.appendChild(el("th", { text: COLUMN_ZH[c] || c })); });
    var body = el("tbody", null);
    rows.forEach(function (r) {
      var tr = el("tr", onRow ? { cls: "clickable", onclick: function () { onRow(r); } } : null);
      cols.forEach(function (c) { tr.appendChild(el("td", { text: c === "label" || c === "kind" ? kindStyle(r[c]).zh : cell(r[c]) })); });
      body.appendChild(tr);
    });
    return el("table", null, el("thead", null, head), body);
  }

  function uidOf(row) {
    return row.uid || row.actor_uid || row.node_uid || row.enterprise_uid || row.candidate_uid || null;
  }

  // ------------------------------------------------------------------ graph
  function mergeLegend(legend) {
    legend.kinds.forEach(function (k) { state.legend.kinds[k.label] = k; });
    legend.relationships.forEach(function (r) { state.legend.relationships[r.type] = r; });
    if (legend.communities) state.legend.communities = legend.communities;
    var box = clear($("legend"));
    box.appendChild(el("b", { text: "主体类型" }));
    Object.keys(state.legend.kinds).forEach(function (key) {
      var k = state.legend.kinds[key];
      box.appendChild(el("div", null, el("span", { cls: "sym", style: "color:" + k.color, text: k.symbol }), k.zh));
    });
    if (state.legend.communities && state.legend.communities.length) {
      box.appendChild(el("b", { text: "社区(颜色)" }));
      state.legend.communities.forEach(function (c) {
        box.appendChild(el("div", { "data-community": c.id }, el("span", { cls: "sym", style: "color:" + c.color, text: "●" }), c.zh));
      });
    }
    var rels = Object.keys(state.legend.relationships);
    if (rels.length) box.appendChild(el("b", { text: "关系" }));
    rels.forEach(function (key) {
      var r = state.legend.relationships[key];
      box.appendChild(el("div", null, el("span", { cls: "line" + (r.dashes ? " dash" : ""), style: "border-color:" + r.color }), r.zh));
    });
    box.hidden = false;
  }

  function viewLinks(kind, params) {
    var box = clear($("view-links"));
    var q = qs(params);
    var base = kind === "subgraph" ? "/export/subgraph." : "/viz/" + kind + ".";
    [["独立页面", "html"], ["GraphML", "graphml"], ["GEXF", "gexf"], ["节点表 CSV", "csv"],
     ["工作簿 XLSX(节点与关系)", "xlsx"]].forEach(function (pair) {
      box.appendChild(el("a", { href: base + pair[1] + q, target: pair[1] === "html" ? "_blank" : "_self",
                                rel: "noopener", text: pair[0] }));
    });
  }

  function showView(payload, kind, params) {
    $("view-title").textContent = payload.title;
    var notes = clear($("view-notes"));
    payload.notes.forEach(function (line) { notes.appendChild(el("div", { text: line })); });
    var s = payload.stats;
    state.countNote = (s.aggregated && s.source_nodes !== s.nodes ? "(已聚合,原有 " + s.source_nodes + " 个节点)" : "") +
      (kind === "ego" ? ";双击节点继续展开" : "");
    notes.appendChild(el("div", { id: "view-count", text: "节点 " + s.nodes + " 个,关系 " + s.edges + " 条" + state.countNote }));
    viewLinks(kind, params);
    state.legend = { kinds: {}, relationships: {} };
    mergeLegend(payload.legend);
    state.groups = Object.assign({}, payload.options.groups || {});
    state.nodes = new vis.DataSet(payload.nodes);
    state.edges = new vis.DataSet(payload.edges);
    var container = $("network");
    container.removeAttribute("data-drawn");
    if (state.network) state.network.destroy();
    state.network = new vis.Network(container, { nodes: state.nodes, edges: state.edges }, payload.options);
    var opened = (params && params.expand) || [];
    if (opened.length) {
      // an overview with a group just opened: zoom to its members, readable at that size
      var last = opened[opened.length - 1];
      var ids = payload.nodes.filter(function (n) {
        return n.group_of && (n.group_of === last || n.group_of.indexOf(last + "|") === 0);
      }).map(function (n) { return n.id; });
      if (ids.length) {
        var network = state.network;
        network.once("afterDrawing", function () { network.fit({ nodes: ids, animation: false }); });
      }
    }
    state.network.once("afterDrawing", function () { container.setAttribute("data-drawn", "1"); });
    if (payload.options.physics && payload.options.physics.enabled) {
      state.network.once("stabilizationIterationsDone", function () {
        state.network.setOptions({ physics: { enabled: false } });
      });
    }
    state.network.on("click", function (p) { if (p.nodes.length) showDetails(p.nodes[0]); });
    state.network.on("doubleClick", function (p) { if (p.nodes.length) expand(p.nodes[0]); });
    status("");
  }

  function updateCounts() {
    var line = $("view-count");
    if (line && state.nodes) line.textContent = "节点 " + state.nodes.length + " 个,关系 " + state.edges.length + " 条" + (state.countNote || "");
  }

  function loadView(kind, params) {
    state.lastView = { kind: kind, params: params };
    status("加载视图…");
    var path = (kind === "subgraph" ? "/export/subgraph.json" : "/viz/" + kind + ".json") + qs(params);
    return api(path).then(function (res) {
      if (!res.ok) { status("视图加载失败:" + detail(res)); return null; }
      showView(res.data, kind, params);
      return res.data;
    });
  }

  /** Add an actor's neighbours to the picture, around where the actor already is. */
  function isGroup(uid) { return /^(kind|field|community):/.test(String(uid)); }

  function expand(uid) {
    if (!state.network) return;
    if (isGroup(uid)) {
      // a group of the overview: shown again with this group as its members
      var last = state.lastView;
      if (!last || last.kind !== "community" || last.params.platform) return;
      var params = Object.assign({}, last.params);
      params.expand = (params.expand || []).concat([uid]);
      loadView("community", params);
      return;
    }
    status("展开中…");
    api("/viz/ego.json" + qs({ uid: uid, depth: 1 })).then(function (res) {
      if (!res.ok) { status("展开失败:" + detail(res)); return; }
      var here = state.network.getPositions([uid])[uid] || { x: 0, y: 0 };
      var centre = res.data.nodes.filter(function (n) { return n.id === uid; })[0] || { x: 0, y: 0 };
      var dx = here.x - centre.x, dy = here.y - centre.y;
      var added = res.data.nodes.filter(function (n) { return !state.nodes.get(n.id); }).map(function (n) {
        n.x += dx; n.y += dy; if (n.role === "center") n.role = ""; return n;
      });
      var old = state.nodes.getIds();
      state.nodes.add(added);
      state.edges.add(res.data.edges.filter(function (e) { return !state.edges.get(e.id); }));
      mergeLegend(res.data.legend);
      // the newcomers' kinds may be new to the picture: their shapes and colours join
      // the groups, so that they are drawn like the first nodes, not as plain ellipses
      Object.keys(res.data.options.groups || {}).forEach(function (g) {
        if (!state.groups[g]) state.groups[g] = res.data.options.groups[g];
      });
      state.network.setOptions({ groups: state.groups });
      updateCounts();
      if (added.length && state.nodes.length <= 300) {
        // let only the newcomers settle around the node they came from
        state.nodes.update(old.map(function (id) { return { id: id, fixed: true }; }));
        state.network.setOptions({ physics: { enabled: true } });
        state.network.once("stabilized", function () {
          state.network.setOptions({ physics: { enabled: false } });
          state.nodes.update(old.map(function (id) { return { id: id, fixed: false }; }));
        });
        state.network.stabilize(80);
      }
      status("新增 " + added.length + " 个节点");
    });
  }

  // ---------------------------------------------------------------- details
  var DETAIL_FIELDS = [["label", "类型"], ["aliases", "别名"], ["keywords", "关键词"],
    ["credit_code", "信用代码"], ["tags", "标签"], ["platform_type", "平台类型"], ["level", "级别"],
    ["region", "所在地"], ["title", "职称"], ["description", "简介"]];

  function showDetails(uid) {
    if (isGroup(uid)) return;
    api("/nodes/" + encodeURIComponent(uid)).then(function (res) {
      var box = clear($("details"));
      if (!res.ok) { box.appendChild(notice("无法读取节点:" + detail(res), true)); return; }
      var n = res.data;
      state.selected = { uid: n.uid, name: n.name, label: n.label };
      $("rec-actor").textContent = "当前主体:" + n.name + "(" + kindStyle(n.label).zh + ")";
      updateMatchEnterprise();
      box.appendChild(el("h3", { text: n.name }));
      var dl = el("dl", null);
      DETAIL_FIELDS.forEach(function (f) {
        var v = n[f[0]];
        if (v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length)) return;
        dl.appendChild(el("dt", { text: f[1] }));
        dl.appendChild(el("dd", { text: f[0] === "label" ? kindStyle(v).zh : cell(v) }));
      });
      var prov = n.provenance || {};
      dl.appendChild(el("dt", { text: "来源" }));
      dl.appendChild(el("dd", { text: cell(prov.source) + "(" + cell(METHOD_ZH[prov.method] || prov.method) + ",置信度 " + cell(prov.confidence) + ")" + (prov.synthetic ? " 合成数据" : "") }));
      dl.appendChild(el("dt", { text: "标识" }));
      dl.appendChild(el("dd", { text: n.uid }));
      box.appendChild(dl);
      box.appendChild(el("div", { cls: "buttons" },
        el("button", { text: "关系网络", onclick: function () { loadView("ego", { uid: n.uid, depth: 1 }); } }),
        el("button", { cls: "secondary", text: "两度网络", onclick: function () { loadView("ego", { uid: n.uid, depth: 2 }); } }),
        el("button", { cls: "secondary", text: "推荐伙伴", onclick: function () { switchTab("recommend"); recommend(); } }),
        n.label === "Platform" ? el("button", { cls: "secondary", text: "共同体视图", onclick: function () { loadView("community", { platform: n.uid }); } }) : null,
        n.label === "Field" ? el("button", { cls: "secondary", text: "缺口视图", onclick: function () { loadView("gap", { field: n.uid }); } }) : null));
    });
  }

  function select(uid) {
    showDetails(uid);
    return loadView("ego", { uid: uid, depth: 1 });
  }

  // ----------------------------------------------------------------- search
  function search(ev) {
    if (ev) ev.preventDefault();
    var q = $("search-q").value.trim();
    if (!q) return;
    var list = clear($("search-results"));
    api("/search" + qs({ q: q, limit: 30 })).then(function (res) {
      if (!res.ok) { list.appendChild(el("li", null, notice("检索失败:" + detail(res), true))); return; }
      if (!res.data.length) { list.appendChild(el("li", { text: "没有找到 “" + q + "”" })); return; }
      res.data.forEach(function (hit) {
        var st = kindStyle(hit.node.label);
        var why = hit.matched === "name" ? "" : "(" + (hit.matched === "alias" ? "别名" : "关键词") + ":" + hit.matched_text + ")";
        var li = el("li", { "data-uid": hit.node.uid, onclick: function () {
          Array.prototype.forEach.call(list.children, function (c) { c.classList.remove("active"); });
          li.classList.add("active");
          select(hit.node.uid);
        } }, el("span", { cls: "kind", style: "background:" + st.color, text: st.zh }), hit.node.name,
          why ? el("span", { cls: "why", text: why }) : null);
        list.appendChild(li);
      });
    });
  }

  /** A uid from what a person typed: the best search hit, or a uid given as is. */
  function resolve(text) {
    return api("/search" + qs({ q: text, limit: 1 })).then(function (hits) {
      var top = hits.ok && hits.data.length ? hits.data[0] : null;
      // uids (kind:key) are not searchable; ask for one only when nothing matched by name
      if (top && (top.score >= 0.9 || text.indexOf(":") < 0)) return { uid: top.node.uid, name: top.node.name };
      if (text.indexOf(":") < 0) return null;
      return api("/nodes/" + encodeURIComponent(text)).then(function (res) {
        return res.ok ? { uid: res.data.uid, name: res.data.name } : (top ? { uid: top.node.uid, name: top.node.name } : null);
      });
    });
  }

  // ------------------------------------------------------------------ paths
  function findPaths(ev) {
    ev.preventDefault();
    var out = clear($("path-results"));
    var hops = $("path-hops").value || 4;
    Promise.all([resolve($("path-a").value.trim()), resolve($("path-b").value.trim())]).then(function (ends) {
      if (!ends[0] || !ends[1]) { out.appendChild(notice("没有找到" + (!ends[0] ? "起点" : "终点") + "主体", true)); return; }
      out.appendChild(el("div", { cls: "muted", text: ends[0].name + " → " + ends[1].name }));
      var hubs = $("path-hubs").checked;
      var params = { source: ends[0].uid, target: ends[1].uid, max_hops: hops, k: 3 };
      if (hubs) { params.via_hubs = true; }
      api("/paths/explained" + qs(params)).then(function (res) {
        if (!res.ok) { out.appendChild(notice("查询失败:" + detail(res), true)); return; }
        if (!res.data.length) {
          out.appendChild(notice(hops + " 跳以内没有路径" + (hubs ? "" : "(只经主体之间的关联;可勾选“也经地区、领域、文件等共同背景”)")));
          return;
        }
        res.data.forEach(function (p, i) {
          out.appendChild(el("div", { cls: "sentence", text: (i + 1) + ". " + (p.story || p.sentence) + "(" + p.hops + " 跳)" }));
        });
        loadView("path", params);
        var shared = { a: ends[0].uid, b: ends[1].uid };
        if (hubs) { shared.via_hubs = true; }
        api("/paths/shared" + qs(shared)).then(function (sh) {
          if (sh.ok && sh.data.length) {
            out.appendChild(el("div", { cls: "muted", text: "共同伙伴:" }));
            out.appendChild(table(sh.data, function (r) { select(r.uid); }, ["name", "label", "links"]));
          }
        });
      });
    });
  }

  // ------------------------------------------------------------------ match
  function resolveRef(schema) {
    var spec = state.openapi || {};
    var guard = 0;
    while (schema && schema.$ref && guard++ < 5) {
      var parts = schema.$ref.replace(/^#\//, "").split("/");
      schema = parts.reduce(function (o, p) { return o ? o[p] : null; }, spec);
    }
    if (schema && schema.anyOf) {
      var real = schema.anyOf.filter(function (s) { return s.type !== "null"; })[0];
      return resolveRef(real);
    }
    return schema || {};
  }

  /** Build the match form from the route's own OpenAPI schema, whatever its fields are. */
  function buildMatchForm() {
    var form = clear($("match-form"));
    var results = clear($("match-results"));
    var op = state.openapi && state.openapi.paths && state.openapi.paths["/match"] && state.openapi.paths["/match"].post;
    if (!op) {
      results.appendChild(notice("匹配服务尚未上线(服务器上没有 POST /match)。"));
      return;
    }
    var body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    var schema = resolveRef(body ? body.schema : {});
    var props = schema.properties || {};
    var required = schema.required || [];
    Object.keys(props).forEach(function (name) {
      var p = resolveRef(props[name]);
      var title = props[name].title || p.title || name;
      var input;
      if (p.enum) {
        input = el("select", { name: name });
        p.enum.forEach(function (v) { input.appendChild(el("option", { value: v, text: v })); });
      } else if (p.type === "integer" || p.type === "number") {
        input = el("input", { type: "number", name: name, step: p.type === "integer" ? "1" : "any" });
        if (p["default"] !== undefined) input.value = p["default"];
      } else if (p.type === "boolean") {
        input = el("input", { type: "checkbox", name: name });
        if (p["default"]) input.checked = true;
      } else if (p.type === "array" && resolveRef(p.items || {})["enum"]) {
        // a list of codes: one checkbox each, labelled in Chinese when the schema says how
        var names = props[name]["x-labels"] || p["x-labels"] || {};
        input = el("span", { cls: "choices" });
        input.setAttribute("data-choices", name);
        resolveRef(p.items)["enum"].forEach(function (v) {
          var box = el("input", { type: "checkbox", value: v });
          box.setAttribute("data-choice", name);
          input.appendChild(el("label", { cls: "inline" }, box, names[v] || v));
        });
      } else if (p.type === "array") {
        input = el("input", { type: "text", name: name, placeholder: "多个值用逗号分隔" });
      } else {
        input = el(/text|need|desc|demand|query/i.test(name) ? "textarea" : "input", { name: name });
        if (p["default"] !== undefined && p["default"] !== null) input.value = p["default"];
      }
      input.setAttribute("data-type", p.type || "string");
      if (required.indexOf(name) >= 0 && p.type !== "boolean") input.required = true;
      var help = props[name].description || p.description;
      form.appendChild(el("label", { title: name }, help || title, input));
    });
    form.appendChild(el("button", { type: "submit", text: "匹配" }));
  }

  function formPayload(form) {
    var payload = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[data-choice]"), function (box) {
      var key = box.getAttribute("data-choice");
      if (!payload[key]) payload[key] = [];
      if (box.checked) payload[key].push(box.value);
    });
    Object.keys(payload).forEach(function (k) { if (!payload[k].length) delete payload[k]; });
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) return;
      var type = input.getAttribute("data-type");
      if (type === "boolean") { payload[input.name] = input.checked; return; }
      var v = input.value.trim();
      if (v === "") return;
      if (type === "integer" || type === "number") payload[input.name] = Number(v);
      else if (type === "array") payload[input.name] = v.split(/[,,、;;]\s*/).filter(Boolean);
      else payload[input.name] = v;
    });
    return payload;
  }

  function showMatch(res) {
    var out = clear($("match-results"));
    if (res.status === 404 && !(res.data && res.data.error)) { out.appendChild(notice("匹配服务尚未上线。")); return; }
    if (!res.ok) { out.appendChild(notice("匹配失败:" + detail(res), true)); return; }
    out.appendChild(table(rowsOf(res.data), function (r) { var u = uidOf(r); if (u) select(u); },
                          ["name", "label", "score", "reason"]));
  }

  function match(ev) {
    ev.preventDefault();
    var out = clear($("match-results"));
    out.appendChild(el("div", { cls: "muted", text: "匹配中…" }));
    api("/match", { method: "POST", headers: { "Content-Type": "application/json" },
                    body: JSON.stringify(formPayload($("match-form"))) }).then(showMatch);
  }

  function updateMatchEnterprise() {
    var box = clear($("match-enterprise"));
    var paths = (state.openapi && state.openapi.paths) || {};
    if (!paths["/match/enterprise/{uid}"] || !state.selected || state.selected.label !== "Enterprise") return;
    var sel = state.selected;
    box.appendChild(el("button", { cls: "secondary", text: "为 " + sel.name + " 匹配", onclick: function () {
      api("/match/enterprise/" + encodeURIComponent(sel.uid)).then(showMatch);
    } }));
  }

  // -------------------------------------------------------------- recommend
  function recommend(ev) {
    if (ev) ev.preventDefault();
    var out = clear($("rec-results"));
    if (!state.selected) { out.appendChild(notice("请先在“检索”中选择一个主体")); return; }
    var uid = state.selected.uid;
    var k = $("rec-k").value || 10;
    out.appendChild(el("div", { cls: "muted", text: "计算中…" }));
    api("/recommendations/" + encodeURIComponent(uid) + qs({ k: k })).then(function (res) {
      clear(out);
      if (!res.ok) { out.appendChild(notice("推荐失败:" + detail(res), true)); return; }
      out.appendChild(el("a", { href: "/recommendations/" + encodeURIComponent(uid) + ".xlsx" + qs({ k: k }),
                                text: "下载推荐名单(XLSX)" }));
      out.appendChild(table(res.data, function (r) { select(r.uid); }, ["name", "label", "score", "reason"]));
      loadView("recommend", { uid: uid, k: k });
    });
  }

  // ------------------------------------------------------------------- gaps
  function gaps(which) {
    state.lastGaps = which;
    var out = clear($("gap-results"));
    out.appendChild(el("div", { cls: "muted", text: "加载中…" }));
    api("/gaps/" + which).then(function (res) {
      clear(out);
      if (res.status === 404 && !(res.data && res.data.error)) {
        out.appendChild(notice("缺口分析服务尚未上线(/gaps/" + which + ")。"));
        return;
      }
      if (!res.ok) { out.appendChild(notice("加载失败:" + detail(res), true)); return; }
      out.appendChild(table(rowsOf(res.data), function (r) {
        var field = r.field_uid || (r.label === "Field" ? r.uid : null);
        if (which === "fields" && field) loadView("gap", { field: field });
        else if (uidOf(r)) select(uidOf(r));
      }, ["name", "field", "kind_name", "metric", "value", "actual", "percent", "status",
          "demand_community", "supply_community", "demand", "supply", "links", "gap_score",
          "hole_score", "reason"]));
    });
  }

  // ------------------------------------------------------------------- tabs
  function switchTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-tab") === name);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (t) {
      t.classList.toggle("active", t.id === "tab-" + name);
    });
  }

  // ------------------------------------------------------------------- login
  function showLogin(message) {
    $("login-form").hidden = false;
    $("login-error").textContent = message || "";
    $("who").textContent = "";
    $("logout").hidden = true;
  }

  function login(ev) {
    ev.preventDefault();
    api("/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
                         body: JSON.stringify({ key: $("login-key").value }) })
      .then(function (res) {
        if (res.ok) { window.location.reload(); return; }
        showLogin(detail(res));
      });
  }

  function logout() {
    api("/auth/logout", { method: "POST" }).then(function () { window.location.reload(); });
  }

  function init() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    api("/auth/me").then(function (res) {
      if (!res.ok) return;
      $("who").textContent = res.data.name + "(" + res.data.role_name + ")";
      $("logout").hidden = !res.data.auth;
    });
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.addEventListener("click", function () { switchTab(b.getAttribute("data-tab")); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-gap]"), function (b) {
      b.addEventListener("click", function () { gaps(b.getAttribute("data-gap")); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-overview]"), function (b) {
      b.addEventListener("click", function () {
        loadView("community", { group_by: b.getAttribute("data-overview") });
      });
    });
    $("search-form").addEventListener("submit", search);
    $("path-form").addEventListener("submit", findPaths);
    $("match-form").addEventListener("submit", match);
    $("rec-form").addEventListener("submit", recommend);
    showStats();
    setUpTimebar();
    var styles = api("/viz/styles.json").then(function (res) { if (res.ok) state.styles = res.data; });
    var spec = api("/openapi.json").then(function (res) { if (res.ok) state.openapi = res.data; buildMatchForm(); });
    Promise.all([styles, spec]).then(function () { document.body.setAttribute("data-ready", "1"); });
  }

  function showStats() {
    return api("/stats").then(function (res) {
      if (!res.ok) return;
      var n = 0, m = 0, k;
      for (k in res.data.nodes) n += res.data.nodes[k];
      for (k in res.data.relationships) m += res.data.relationships[k];
      $("stats").textContent = (state.year ? "截至 " + state.year + " 年:" : "") +
        "节点 " + n + " · 关系 " + m;
    });
  }

  // ------------------------------------------------------------- time slider
  /** As of a year (null: all of it): the picture, the open gap table and the counts
   * are asked again for that time. Returns when the picture is drawn. */
  function setYear(year) {
    state.year = year;
    var slider = $("year-slider");
    if (year !== null) slider.value = String(year);
    $("year-label").textContent = year === null ? "全部年份" : "截至 " + year + " 年";
    $("timebar").setAttribute("data-year", year === null ? "" : String(year));
    showStats();
    if (state.lastGaps && $("tab-gaps").classList.contains("active")) gaps(state.lastGaps);
    if (state.lastView) return loadView(state.lastView.kind, state.lastView.params);
    return Promise.resolve(null);
  }

  function setUpTimebar() {
    api("/viz/years.json").then(function (res) {
      if (!res.ok || !res.data.first || !res.data.last) return;
      var slider = $("year-slider");
      slider.min = String(res.data.first);
      slider.max = String(res.data.last);
      slider.value = String(res.data.last);
      state.years = res.data;
      $("timebar").hidden = false;
      slider.addEventListener("change", function () { setYear(parseInt(slider.value, 10)); });
      $("year-all").addEventListener("click", function () {
        slider.value = String(res.data.last);
        setYear(null);
      });
      $("year-play").addEventListener("click", function () {
        // replay the community's growth: one year after the other, each drawn in turn
        var year = res.data.first;
        state.playing = true;
        function step() {
          if (!state.playing || year > res.data.last) { state.playing = false; return; }
          setYear(year).then(function () { year += 1; setTimeout(step, 900); });
        }
        step();
      });
    });
  }

  init();
}());
