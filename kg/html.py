"""An interactive network page from a view: one HTML file that works offline.

The page is written here around the vis-network library that ships inside the pyvis package
(``pyvis/templates/lib/vis-9.1.2/vis-network.min.js``), inlined: no CDN, no Bootstrap, no
``lib/`` folder, nothing fetched -- a Content-Security-Policy forbids every request, so the file
opens the same on a machine without internet.  (pyvis's own template loads Bootstrap and
tom-select from a CDN even with ``cdn_resources="in_line"``, and its ``from_nx`` is O(n²).)

What the page offers: a legend; a side panel with each node's facts and their sources (click a
node or an edge), a hover tip; search by name; filters by subsector, Land and site function;
colour by control, subsector or type; German or English labels; a force layout and a
geographic one (positions from coordinates, the Länder outlined, places outside the region
in their true direction at a compressed distance).

Safety: the data goes into the page as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the script renders every data text with
``textContent`` (or on the canvas), never ``innerHTML``; vis-network's HTML ``title``
tooltips are not used.  A firm named ``<img src=x onerror=alert(1)>`` shows as that text.

Scale: a view with more nodes than ``budget`` is drawn aggregated (:func:`kg.views.within_budget`);
past ``PHYSICS_LIMIT`` drawn nodes the physics is off and the layout is the one computed in
Python, so the page stays responsive.  ``window.kg`` exposes the network, its data sets, the
drawn counts and the filter and search functions (the browser tests use them).
"""
from __future__ import annotations

import html as _html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from .files import atomic_write
from .views import NODE_BUDGET, within_budget

#: Past this many drawn nodes the page draws the Python layout with physics off.
PHYSICS_LIMIT = 1000
#: Attributes shown in the side panel (besides the facts), in this order.
PANEL_ATTRIBUTES = ("type", "firm", "subsector_label", "subsector_label_de", "land", "place", "functions",
                    "control", "control_area", "controlled_by", "control_place", "local_hq", "headcount",
                    "headcount_note", "controlled_firms", "controlled_headcount", "clusters", "member_count",
                    "types", "iri", "source")
#: Filter facets: page name -> node attribute (values ``;``-separated).
FACETS = {"subsector": "subsector", "land": "land", "function": "functions"}
#: Node types that carry the facets; other nodes (groups, places, sources, ...) are context, shown
#: while a shown node leads to them.
FACET_TYPES = frozenset({"site", "firm", "tie", "bbmb:Firm", "org:Site"})


def vis_network_js() -> str:
    """The vis-network script shipped with pyvis (Apache-2.0 / MIT)."""
    lib = resources.files("pyvis") / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    return lib.read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    r"""JSON that is safe inside a ``<script>`` element: no ``</script>``, no HTML, no line separators.

    >>> print(script_json({"name": "</script><img src=x onerror=alert(1)>"}))
    {"name":"\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e"}
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _values(d: dict[str, Any], attribute: str) -> list[str]:
    value = d.get(attribute)
    return [v for v in str(value).split(";") if v] if value not in (None, "") else []


def page_data(graph: nx.Graph) -> dict[str, Any]:
    """The JSON the page draws: nodes, edges, legend, sources, outlines and settings."""
    nodes = []
    for n, d in graph.nodes(data=True):
        node: dict[str, Any] = {
            "id": str(n), "label": str(d.get("label", n)), "type": d.get("type", ""), "shape": d.get("shape", "dot"),
            # the views keep north up (y up); the canvas draws y down
            "size": d.get("size", 10), "x": d.get("x", 0.0), "y": -d.get("y", 0.0),
            "gx": d.get("geo_x", d.get("x", 0.0)), "gy": -d.get("geo_y", d.get("y", 0.0)),
            "c": {k[6:]: v for k, v in d.items() if k.startswith("color_")},
            "info": {k: d[k] for k in PANEL_ATTRIBUTES if d.get(k) not in (None, "")},
            "facts": d.get("facts", []),
        }
        for lang in ("de", "en"):
            if d.get(f"label_{lang}"):
                node[f"label_{lang}"] = d[f"label_{lang}"]
        if d.get("type") in FACET_TYPES or d.get("member_type") in FACET_TYPES:
            node["f"] = {name: _values(d, attribute) for name, attribute in FACETS.items()}
        if d.get("members"):
            node["members"] = d["members"]
        nodes.append(node)
    edges = []
    pairs = graph.edges(keys=True, data=True) if graph.is_multigraph() else ((u, v, None, d) for u, v, d in
                                                                             graph.edges(data=True))
    for i, (u, v, _, d) in enumerate(pairs):
        edge = {"id": i, "from": str(u), "to": str(v),
                "info": {k: d[k] for k in ("relation", "label", "certainty", "weight", "ties", "source")
                         if d.get(k) not in (None, "")}}
        if d.get("weight", 1) != 1:
            edge["w"] = d["weight"]
        if d.get("certainty") in ("uncertain", "likely", "not given"):
            edge["dashes"] = True
        edges.append(edge)
    facets = {name: sorted({v for node in nodes for v in node.get("f", {}).get(name, [])}) for name in FACETS}
    aggregated = graph.graph.get("aggregated")
    return {"title": graph.graph.get("title", graph.graph.get("name", "")), "name": graph.graph.get("name", ""),
            "directed": graph.is_directed(), "nodes": nodes, "edges": edges, "legend": graph.graph.get("legend", {}),
            "colorBy": graph.graph.get("color_by", "type"), "sources": graph.graph.get("sources", {}),
            "areas": graph.graph.get("areas", []), "facets": facets, "aggregated": aggregated,
            "headline": graph.graph.get("headline"), "reading": graph.graph.get("reading", ""),
            "physics": len(nodes) <= PHYSICS_LIMIT, "edgeLegend": graph.graph.get("edge_legend", ""),
            "subsectorLabels": {e["key"]: e["label"] for e in graph.graph.get("legend", {}).get("subsector", [])}}


def render_page(graph: nx.Graph, budget: int = NODE_BUDGET) -> str:
    """The page's HTML for a view (aggregated first if it has more than ``budget`` nodes)."""
    drawn = within_budget(graph, budget)
    data = page_data(drawn)
    parts = {"TITLE": _html.escape(str(data["title"]) or "Graph"), "CSS": _CSS, "DATA": script_json(data),
             "APP": _APP, "VIS": vis_network_js().replace("</script", "<\\/script")}
    # one pass, so that text from the data is never scanned for placeholders
    return re.sub(r"%(TITLE|CSS|DATA|APP|VIS)%", lambda m: parts[m.group(1)], _TEMPLATE)


def write_page(graph: nx.Graph, path: str | Path, budget: int = NODE_BUDGET) -> Path:
    """Write the offline page of a view to ``path`` atomically; returns the path."""
    path = Path(path)
    text = render_page(graph, budget)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%TITLE%</title>
<style>%CSS%</style>
</head>
<body>
<header>
  <h1 id="title">%TITLE%</h1>
  <span id="counts" aria-live="polite"></span>
  <form id="search-form" role="search">
    <input id="search" type="search" placeholder="Search by name" aria-label="Search by name" list="names">
    <datalist id="names"></datalist>
    <button type="submit">Find</button>
    <span id="search-result" aria-live="polite"></span>
  </form>
</header>
<section id="headline" hidden></section>
<nav id="controls">
  <label>Subsector <select id="filter-subsector" data-facet="subsector"><option value="">all</option></select></label>
  <label>Land <select id="filter-land" data-facet="land"><option value="">all</option></select></label>
  <label>Site function <select id="filter-function" data-facet="function"><option value="">all</option></select></label>
  <label>Colour <select id="color-by"></select></label>
  <span class="group">Layout
    <label><input type="radio" name="layout" value="force" checked> force</label>
    <label><input type="radio" name="layout" value="geo"> geographic</label></span>
  <span class="group">Labels
    <label><input type="radio" name="lang" value="de" checked> de</label>
    <label><input type="radio" name="lang" value="en"> en</label></span>
  <button id="reset" type="button">Reset</button>
</nav>
<main>
  <div id="network" aria-label="network"></div>
  <aside id="panel">
    <section id="legend"><h2>Legend</h2><div id="legend-colors"></div><div id="legend-shapes"></div>
      <p id="aggregated" hidden></p></section>
    <section id="details"><h2>Details</h2><p class="hint">Click a node or an edge for its facts and sources.</p></section>
  </aside>
</main>
<div id="tip" role="tooltip" hidden></div>
<script type="application/json" id="kg-data">%DATA%</script>
<script>%VIS%</script>
<script>%APP%</script>
</body>
</html>
"""

_CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#222;display:flex;flex-direction:column;height:100vh}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.4em .8em;padding:.3em .8em;background:#f4f4f4;border-bottom:1px solid #ddd}
h1{font-size:1.1em;margin:0}h2{font-size:1em;margin:.6em 0 .3em}#counts{color:#555}
#controls{display:flex;flex-wrap:wrap;gap:.3em .8em;align-items:center;padding:.3em .8em;border-bottom:1px solid #ddd}
#controls select{max-width:14em}.group label{margin-left:.3em}
main{flex:1;display:flex;min-height:0}#network{flex:1;min-width:0;background:#fff}
#panel{width:24em;overflow:auto;border-left:1px solid #ddd;padding:0 .8em .8em}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:middle;border-radius:2px}
#legend div>div{margin:.1em 0}table{border-collapse:collapse;width:100%;table-layout:fixed}
td{vertical-align:top;padding:.15em .3em;border-bottom:1px solid #eee;overflow-wrap:anywhere}
td.k{color:#555;width:34%}sup{color:#06c}.hint{color:#777}ol.sources{padding-left:1.4em;font-size:.9em}
#tip{position:fixed;pointer-events:none;background:#fffff0;border:1px solid #bbb;padding:.3em .5em;max-width:24em;font-size:.9em;z-index:10}
.members{max-height:16em;overflow:auto;font-size:.9em}mark{background:#ff0}
#headline{padding:.4em .8em;border-bottom:1px solid #ddd;background:#fafafa}#headline p{margin:.2em 0}
#headline .big{font-size:1.15em}#headline .note{color:#555;font-size:.9em}
#headline ol{display:flex;flex-wrap:wrap;gap:.2em 1em;list-style:none;padding:0;margin:.2em 0}
#headline .bar{display:inline-block;height:.7em;background:#D55E00;margin-left:.3em;vertical-align:middle}
"""

_APP = r"""
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("kg-data").textContent);
  const byId = new Map(DATA.nodes.map(n => [n.id, n]));
  const edgeById = new Map(DATA.edges.map(e => [e.id, e]));
  const NEUTRAL = "#B0B0B0";
  let colorBy = DATA.colorBy, lang = "de", layout = "force";
  const filters = {subsector: "", land: "", function: ""};
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };

  function labelOf(n) { return (lang === "en" ? n.label_en : n.label_de) || n.label; }
  function colorOf(n) { return (n.c && n.c[colorBy]) || NEUTRAL; }
  function visNode(n) {
    return {id: n.id, label: labelOf(n), shape: n.shape, size: n.size, x: n.x, y: n.y, color: colorOf(n),
            font: {size: 12, color: "#222"}, borderWidth: n.info && n.info.local_hq ? 3 : 1};
  }
  function visEdge(e) {
    return {id: e.id, from: e.from, to: e.to, dashes: !!e.dashes, width: e.w ? 1 + Math.log2(e.w) : 1,
            arrows: DATA.directed ? {to: {enabled: true, scaleFactor: 0.5}} : undefined, color: {color: "#999", opacity: 0.6}};
  }
  const nodes = new vis.DataSet(DATA.nodes.map(visNode));
  const edges = new vis.DataSet(DATA.edges.map(visEdge));
  const container = document.getElementById("network");
  const options = {
    autoResize: true, interaction: {hover: true, tooltipDelay: 150, hideEdgesOnDrag: DATA.nodes.length > 500},
    physics: DATA.physics ? {enabled: true, solver: "forceAtlas2Based", stabilization: {iterations: 200, fit: true}}
                          : {enabled: false},
    layout: {improvedLayout: false}, edges: {smooth: false}, nodes: {scaling: {label: {enabled: false}}}
  };
  const network = new vis.Network(container, {nodes, edges}, options);
  let forcePositions = null;
  network.once("stabilizationIterationsDone", () => { network.setOptions({physics: {enabled: false}}); forcePositions = network.getPositions(); });
  if (!DATA.physics) network.fit();

  // --- the headline: the figures of kg query control-summary and decision-centres, as they print them
  function showHeadline(h) {
    if (!h || !h.areas || !h.areas.length) return;
    const box = document.getElementById("headline"), fmt = x => Number(x).toLocaleString("en");
    const share = a => a.shareJobsOutside === "" ? "no known jobs" :
      `${a.shareJobsOutside} % of the known jobs` + (a.shareJobsOutsideMin !== a.shareJobsOutsideMax ?
        ` (${a.shareJobsOutsideMin}–${a.shareJobsOutsideMax} % over the sources' alternatives)` : "");
    const region = h.areas[0];
    box.append(el("p", `Run from outside ${region.areaLabel}: ${share(region)} and ${region.shareFirmsOutside} % ` +
                       `of the firms of known control, in the brief's named firms (reading: ${region.reading}).`, "big"));
    for (const a of h.areas.slice(1)) {
      box.append(el("p", `${a.areaLabel}: ${share(a)}; ${a.firmsOutside} of ${a.firms} firms run from outside; ` +
                         `${fmt(a.jobs)} known jobs in ${a.firmsWithFigure} firms with a figure` +
                         (a.briefTotal ? ` (the brief counts ${fmt(a.briefTotal)} employees in the Land's machine building)` : "") + "."));
    }
    if (h.centres && h.centres.length) {
      const list = el("ol"), top = Math.max(...h.centres.map(c => c.jobs), 1);
      list.setAttribute("aria-label", "regional jobs by place of control");
      for (const c of h.centres) {
        const li = el("li", `${c.label} ${fmt(c.jobs)}` + (c.low !== c.high ? ` (${fmt(c.low)}–${fmt(c.high)})` : ""));
        const bar = el("span", undefined, "bar"); bar.style.width = `${Math.round(60 * c.jobs / top)}px`;
        li.append(bar); list.append(li);
      }
      box.append(el("p", "Regional jobs by place of control:"), list);
    }
    if (region.hingesOn) box.append(el("p", `The figures hinge on: ${region.hingesOn}.`, "note"));
    box.append(el("p", `Counted: ${region.population}; jobs include ${fmt(region.jobsExternal)} from external ` +
                       `figures and ${fmt(region.jobsNoProduction)} service, sales and R&D staff of firms that make nothing there.`, "note"));
    box.hidden = false;
  }
  showHeadline(DATA.headline);

  // --- counts, legend
  function drawnCounts() { return {nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length}; }
  function showCounts() {
    const c = drawnCounts();
    document.getElementById("counts").textContent = c.nodes + " nodes · " + c.edges + " edges shown of " + DATA.nodes.length + " · " + DATA.edges.length;
  }
  const SHAPES = [["dot", "site"], ["square", "firm"], ["star", "firm run from the region"], ["triangle", "parent group"],
                  ["diamond", "place of a headquarters"], ["hexagon", "shared tie"]];
  function legend() {
    const box = document.getElementById("legend-colors"); box.replaceChildren();
    for (const item of (DATA.legend[colorBy] || [])) {
      const row = el("div"); const sw = el("span", undefined, "swatch"); sw.style.background = item.color;
      row.append(sw, el("span", item.label)); box.append(row);
    }
    const shapes = document.getElementById("legend-shapes"); shapes.replaceChildren();
    const used = new Set(DATA.nodes.map(n => n.shape));
    if (used.size > 1) for (const [shape, text] of SHAPES) if (used.has(shape)) shapes.append(el("div", "◆●■★▲⬢"["diamond dot square star triangle hexagon".split(" ").indexOf(shape)] + " " + text));
    if (DATA.edgeLegend) shapes.append(el("div", DATA.edgeLegend));
    const agg = document.getElementById("aggregated");
    if (DATA.aggregated) { agg.hidden = false; agg.textContent = "Aggregated: " + DATA.aggregated.nodes + " nodes and " + DATA.aggregated.edges + " edges are drawn as " + DATA.nodes.length + " (the largest as they are, the rest grouped by " + DATA.aggregated.keys.join(", ") + "). Click a group for its members; search finds members too."; }
  }
  const colorSelect = document.getElementById("color-by");
  for (const key of Object.keys(DATA.legend)) { const o = el("option", key); o.value = key; colorSelect.append(o); }
  if (!DATA.legend[colorBy] && colorSelect.options.length) colorBy = colorSelect.options[0].value;
  colorSelect.value = colorBy;
  colorSelect.addEventListener("change", () => { colorBy = colorSelect.value; nodes.update(DATA.nodes.map(n => ({id: n.id, color: colorOf(n)}))); legend(); });

  // --- filters
  for (const facet of Object.keys(filters)) {
    const select = document.getElementById("filter-" + facet);
    for (const value of DATA.facets[facet] || []) {
      const label = facet === "subsector" && DATA.subsectorLabels[value] ? DATA.subsectorLabels[value] : value;
      const o = el("option", label); o.value = value; select.append(o);
    }
    if (!(DATA.facets[facet] || []).length) select.disabled = true;
    select.addEventListener("change", () => applyFilter(facet, select.value));
  }
  function visibleIds() {
    const active = Object.entries(filters).filter(([, v]) => v);
    if (!active.length) return new Set(byId.keys());
    const strong = new Set();
    for (const n of DATA.nodes) if (n.f && active.every(([k, v]) => n.f[k].includes(v))) strong.add(n.id);
    const shown = new Set(strong);
    const adjacent = new Map();
    for (const e of DATA.edges) {
      if (!adjacent.has(e.from)) adjacent.set(e.from, []); adjacent.get(e.from).push(e.to);
      if (!DATA.directed) { if (!adjacent.has(e.to)) adjacent.set(e.to, []); adjacent.get(e.to).push(e.from); }
    }
    // context nodes (groups, places, hubs: nodes without facets) stay when a shown node leads to them
    const queue = [...strong];
    while (queue.length) {
      const id = queue.shift();
      for (const next of adjacent.get(id) || []) {
        const n = byId.get(next);
        if (!shown.has(next) && n && !n.f) { shown.add(next); if (DATA.directed) queue.push(next); }
      }
    }
    return shown;
  }
  function applyFilter(facet, value) {
    if (facet) { filters[facet] = value; document.getElementById("filter-" + facet).value = value; }
    const shown = visibleIds();
    nodes.update(DATA.nodes.map(n => ({id: n.id, hidden: !shown.has(n.id)})));
    showCounts();
    return drawnCounts();
  }

  // --- layouts
  function setLayout(which) {
    if (which === layout) return; 
    if (layout === "force") forcePositions = network.getPositions();
    layout = which;
    network.setOptions({physics: {enabled: false}});
    nodes.update(DATA.nodes.map(n => which === "geo" ? {id: n.id, x: n.gx, y: n.gy}
      : {id: n.id, x: forcePositions && forcePositions[n.id] ? forcePositions[n.id].x : n.x,
         y: forcePositions && forcePositions[n.id] ? forcePositions[n.id].y : n.y}));
    if (which === "geo") {  // zoom to the region; the headquarters elsewhere are a zoom-out away
      const ring = DATA.areas.filter(a => a.dashed && a.circle).map(a => a.circle[2])[0];
      const inside = ring ? DATA.nodes.filter(n => Math.hypot(n.gx, n.gy) < ring).map(n => n.id) : [];
      network.fit(inside.length ? {nodes: inside, animation: false} : undefined);
    } else network.fit();
  }
  document.querySelectorAll("input[name=layout]").forEach(r => r.addEventListener("change", () => setLayout(r.value)));
  network.on("beforeDrawing", ctx => {
    if (layout !== "geo") return;
    ctx.save(); ctx.lineWidth = 2; ctx.font = "bold 28px system-ui, sans-serif"; ctx.textAlign = "center";
    for (const a of DATA.areas) {
      ctx.beginPath(); ctx.setLineDash(a.dashed ? [8, 8] : []);
      let lx, ly;
      if (a.polygon) { a.polygon.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)); ctx.closePath();
        lx = Math.min(...a.polygon.map(p => p[0])) + 60; ly = Math.min(...a.polygon.map(p => p[1])) + 10; }
      else { const [x, y, r] = a.circle; ctx.arc(x, y, r, 0, 2 * Math.PI); lx = x; ly = y - r - 8; }
      ctx.fillStyle = a.dashed ? "rgba(0,0,0,0)" : "rgba(0,120,80,0.05)"; ctx.fill();
      ctx.strokeStyle = a.dashed ? "#bbb" : "#7a9"; ctx.stroke();
      ctx.fillStyle = a.dashed ? "#999" : "#487"; ctx.fillText(a.label, lx, ly);
    }
    ctx.restore();
  });

  // --- labels
  document.querySelectorAll("input[name=lang]").forEach(r => r.addEventListener("change", () => {
    lang = r.value; nodes.update(DATA.nodes.map(n => ({id: n.id, label: labelOf(n)})));
  }));

  // --- details panel and tip
  function sourceList(keys, box) {
    const ol = el("ol", undefined, "sources");
    for (const key of keys) {
      const s = DATA.sources[key]; const li = el("li");
      li.append(el("span", s ? s.title : key));
      if (s && s.url && /^https?:\/\//.test(s.url)) { const a = el("a", " ↗"); a.setAttribute("href", s.url); a.setAttribute("rel", "noopener noreferrer"); a.setAttribute("target", "_blank"); li.append(a); }
      li.append(el("span", " [" + key + "]", "hint")); ol.append(li);
    }
    box.append(ol);
  }
  function showDetails(title, info, facts, members) {
    const box = document.getElementById("details"); box.replaceChildren(el("h2", title));
    const table = el("table"); const cited = [];
    const cite = keys => keys.map(k => { if (!cited.includes(k)) cited.push(k); return cited.indexOf(k) + 1; });
    for (const f of facts || []) {
      const tr = el("tr"); tr.append(el("td", f.k, "k")); const td = el("td", f.v);
      if (f.src && f.src.length) td.append(el("sup", " [" + cite(f.src).join(",") + "]"));
      tr.append(td); table.append(tr);
    }
    for (const [k, v] of Object.entries(info || {})) {
      if (k === "source") continue;
      const tr = el("tr"); tr.append(el("td", k.replace(/_/g, " "), "k"), el("td", v)); table.append(tr);
    }
    box.append(table);
    if (members && members.length) {
      box.append(el("h2", "Members")); const ul = el("ul", undefined, "members");
      for (const [id, label] of members) ul.append(el("li", label)); box.append(ul);
    }
    const keys = (info && info.source ? String(info.source).split(";") : []).filter(k => k && !cited.includes(k));
    cite(keys);
    if (cited.length) { box.append(el("h2", "Sources")); sourceList(cited, box); }
  }
  function showNode(id) {
    const n = byId.get(id); if (!n) return;
    showDetails(labelOf(n), n.info, n.facts, n.members);
  }
  function showEdge(id) {
    const e = edgeById.get(id); if (!e) return;
    const a = byId.get(e.from), b = byId.get(e.to);
    showDetails(labelOf(a) + (DATA.directed ? " → " : " — ") + labelOf(b), e.info, [], null);
  }
  network.on("click", p => { if (p.nodes.length) showNode(p.nodes[0]); else if (p.edges.length) showEdge(p.edges[0]); });
  const tip = document.getElementById("tip");
  network.on("hoverNode", p => {
    const n = byId.get(p.node); if (!n) return;
    const lines = [labelOf(n), n.info.type, n.info.control ? "control: " + n.info.control + (n.info.control_area ? " (" + n.info.control_area + ")" : "") : "",
                   n.info.headcount ? "head-count: " + n.info.headcount : "", n.info.subsector_label || ""].filter(Boolean);
    tip.replaceChildren(...lines.map((t, i) => i ? el("div", t) : el("strong", t)));
    tip.style.left = (p.event.center ? p.event.center.x : p.pointer.DOM.x) + 12 + "px";
    tip.style.top = (p.event.center ? p.event.center.y : p.pointer.DOM.y) + 12 + "px";
    tip.hidden = false;
  });
  network.on("blurNode", () => { tip.hidden = true; });

  // --- search
  const names = document.getElementById("names");
  for (const n of DATA.nodes.slice(0, 5000)) { const o = el("option"); o.value = n.label; names.append(o); }
  let lastQuery = "", hit = -1;
  function search(query) {
    const q = String(query).trim().toLowerCase(); const out = document.getElementById("search-result");
    if (!q) { out.textContent = ""; return null; }
    const matches = DATA.nodes.filter(n => [n.label, n.label_de, n.label_en].some(l => l && l.toLowerCase().includes(q)));
    const inGroups = matches.length ? [] : DATA.nodes.filter(n => (n.members || []).some(m => String(m[1]).toLowerCase().includes(q)));
    const found = matches.length ? matches : inGroups;
    if (!found.length) { out.textContent = "no match"; return null; }
    hit = q === lastQuery ? (hit + 1) % found.length : 0; lastQuery = q;
    const n = found[hit];
    if (nodes.get(n.id).hidden) applyFilter(null);  // a filter hid it: show everything again
    for (const f of Object.keys(filters)) if (nodes.get(n.id).hidden) applyFilter(f, "");
    network.selectNodes([n.id]); network.focus(n.id, {scale: 1.2, animation: false}); showNode(n.id);
    out.textContent = (hit + 1) + " of " + found.length + (matches.length ? "" : " (in a group)") + ": " + labelOf(n);
    return n.id;
  }
  document.getElementById("search-form").addEventListener("submit", ev => { ev.preventDefault(); search(document.getElementById("search").value); });
  document.getElementById("reset").addEventListener("click", () => { for (const f of Object.keys(filters)) filters[f] = ""; for (const s of document.querySelectorAll("#controls select[data-facet]")) s.value = ""; applyFilter(null); network.unselectAll(); network.fit(); });

  legend(); showCounts();
  network.on("afterDrawing", () => { if (!window.kg.ready) { window.kg.ready = true; showCounts(); } });
  window.kg = {network, nodes, edges, data: DATA, counts: drawnCounts, filter: applyFilter, search, setLayout, ready: false};
})();
"""
