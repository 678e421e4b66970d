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
