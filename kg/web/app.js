(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("kg-data").textContent);
  const byId = new Map(DATA.nodes.map(n => [n.id, n]));
  const edgeById = new Map(DATA.edges.map(e => [e.id, e]));
  const NEUTRAL = "#B0B0B0";
  let colorBy = DATA.colorBy, lang = DATA.language === "de" ? "de" : "en", layout = "force";
  const filters = {subsector: "", land: "", function: ""};
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; };
  // the interface's text in each language (kg/web/messages.json); the labels' language is the interface's
  const MESSAGES = JSON.parse(document.getElementById("kg-messages").textContent);
  function t(key, vars) {
    const text = (MESSAGES[lang] || {})[key] ?? MESSAGES.en[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, k) => vars[k] !== undefined ? String(vars[k]) : m) : text;
  }
  const known = key => key in (MESSAGES[lang] || {});
  const fmt = x => Number(x).toLocaleString(lang);
  const functionName = code => known("function." + code) ? t("function." + code) : code;  // a site's function
  const factValue = (k, v) => k === "functions" ? String(v).split(/;\s*|,\s*/).map(functionName).join(", ") : v;

  function labelOf(n) {
    const name = (lang === "en" ? n.label_en : n.label_de) || n.label;
    return n.km ? name + "\n" + fmt(n.km) + " km" : name;  // the map compresses distances: say them
  }
  function colorOf(n) { return (n.c && n.c[colorBy]) || NEUTRAL; }
  // a node's outline: its colour darkened, so that light fills (sand, sky blue) stand 3:1 off the white
  function darker(hex) { const v = parseInt(hex.slice(1), 16); return "#" + [16, 8, 0].map(s => Math.round(((v >> s) & 255) * 0.55).toString(16).padStart(2, "0")).join(""); }
  function visColor(n) { const c = colorOf(n), edge = /^#[0-9a-f]{6}$/i.test(c) ? darker(c) : "#444";
    return {background: c, border: edge, highlight: {background: c, border: "#000"}, hover: {background: c, border: "#000"}}; }
  function visNode(n) {
    return {id: n.id, label: labelOf(n), shape: n.shape, size: n.size, x: n.x, y: n.y, color: visColor(n),
            font: {size: 12, color: "#222", strokeWidth: 3, strokeColor: "#fff"}, borderWidth: n.info && n.info.local_hq ? 3 : 1,
            fixed: !!n.fixed, physics: !n.fixed};
  }
  // a line's colour comes from the view (the kind of tie, or where control sits); focus dims it but keeps the hue
  function edgeColor(e, dimmed) {
    const color = e.color || "#999999";
    // the same hue selected and hovered (vis-network's default turns a selected node's lines grey)
    return {color, highlight: color, hover: color, inherit: false, opacity: dimmed ? 0.08 : e.opacity || 0.6};
  }
  function visEdge(e) {
    // width (control as flows: the regional jobs run along the line), colour (the kind of tie, or where
    // control sits) and dashes come from the view (kg/views/style.py: edge_look), the same numbers as in GEXF
    return {id: e.id, from: e.from, to: e.to, dashes: !!e.dashed, width: e.width || 1,
            arrows: DATA.directed ? {to: {enabled: true, scaleFactor: 0.5}} : undefined, color: edgeColor(e, false)};
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
  network.once("stabilizationIterationsDone", () => { network.setOptions({physics: {enabled: false}}); forcePositions = network.getPositions(); relabel(); });
  if (!DATA.physics) network.fit();

  // a view's own words (title, subtitle, what the lines are) in the language shown, where messages.json has them
  const viewText = (key, fallback) => known(`view.${DATA.name}.${key}`) ? t(`view.${DATA.name}.${key}`) : fallback;
  // the credit comes from the data (kg.views.present): the work most cited sources are part of
  function showCredits() {
    document.getElementById("credits").textContent = t("creditData", {credit: DATA.credit || t("creditNone")}) +
      (DATA.reading ? t("creditReading", {reading: DATA.reading}) : "") + ". " + t("creditOutlines");
  }
  showCredits();

  // --- the headline: on the hq page the figures of kg query control-summary and decision-centres, as they
  // print them; on the clusters page the ties of kg query cluster-links, counted
  let headline = DATA.headline;  // the one shown: the page's, or a year's of the time slider (timeline.js)
  function showHeadline(h) {
    headline = h;
    const box = document.getElementById("headline"), section = document.getElementById("centres");
    const filtered = box.querySelector(".shown");  // the filter's line, kept through a redraw
    box.replaceChildren(); section.replaceChildren(); box.hidden = section.hidden = true;
    // the sentence is written once, in Python (kg.views.hq.headline_sentence, kg.views.clusters.ties_sentence)
    const sentence = h && ((h.sentences && h.sentences[lang]) || h.sentence);
    if (!sentence) return;
    const big = el("p", undefined, "big"), lead = sentence.match(/^[\d.,]+ %/);  // the share at its start in bold
    if (lead) big.append(el("strong", lead[0]), el("span", sentence.slice(lead[0].length)));
    else big.append(el("span", sentence));
    box.append(big);
    if (h.areas && h.areas.length) showAreas(h, box);
    box.append(filtered || el("p", undefined, "note shown"));
    box.hidden = false;
    if (h.centres && h.centres.length) showCentres(h, section);
  }
  // the hq headline's areas (the Länder, what is counted, what the figures hinge on), folded under the sentence
  function showAreas(h, box) {
    const range = a => a.shareJobsOutsideMin !== a.shareJobsOutsideMax ? t("headlineRange", {low: a.shareJobsOutsideMin, high: a.shareJobsOutsideMax}) : "";
    const region = h.areas[0];
    const more = el("details"); more.append(el("summary", t("headlineMore")));
    for (const a of h.areas.slice(1)) {
      more.append(el("p", t("areaLine", {area: a.areaLabel, share: a.shareJobsOutside === "" ? t("areaNoJobs") : t("areaShare", {share: a.shareJobsOutside}) + range(a),
                                         outside: fmt(a.firmsOutside), firms: fmt(a.firms), jobs: fmt(a.jobs), withFigure: fmt(a.firmsWithFigure)}) +
                          (a.statisticsTotal ? t("areaStatistics", {total: fmt(a.statisticsTotal)}) : "") + "."));
    }
    if (region.hingesOn) more.append(el("p", t("hingesOn", {facts: region.hingesOn}), "note"));
    more.append(el("p", t("counted", {population: region.population, external: fmt(region.jobsExternal), noProduction: fmt(region.jobsNoProduction)}), "note"));
    box.append(more);
  }
  // the hq headline's places of control: the regional jobs run from each, as bars
  function showCentres(h, section) {
    const table = el("table"), top = Math.max(...h.centres.map(c => c.jobs || 0), 1);
    section.append(el("h2", t("centresHeading")));
    const colours = new Map((DATA.legend.centre || []).map(i => [i.key, i.color]));
    for (const c of h.centres) {
      const tr = el("tr"), name = el("td", c.label), cell = el("td");
      if (c.jobs != null) {  // no figure: no bar (a sliver would read as a few jobs)
        const bar = el("span", undefined, "bar"); cell.append(bar);
        bar.style.width = `${Math.max(2, Math.round(70 * c.jobs / top))}px`; bar.style.background = colours.get(c.label) || "#D55E00";
      }
      // no head-count for any of the area's firms: "no figure", never 0
      const n = el("td", c.jobs == null ? t("noFigure") : fmt(c.jobs), "n");
      if (c.jobs != null && c.low !== c.high) n.append(el("div", `${fmt(c.low)}–${fmt(c.high)}`, "note"));
      tr.append(name, cell, n);
      table.append(tr);
    }
    section.append(table, el("p", t("centresNote"), "note"));
    section.hidden = false;
  }
  showHeadline(DATA.headline);

  // --- counts, legend (its counts are firms and jobs of what is shown)
  function drawnCounts() { return {nodes: network.body.nodeIndices.length, edges: network.body.edgeIndices.length}; }
  function shownIds() { return DATA.nodes.filter(n => !nodes.get(n.id).hidden).map(n => n.id); }
  function showCounts() {
    const c = drawnCounts(), shown = shownIds().length;
    const of = DATA.aggregated ? t("countsAggregated", {nodes: fmt(DATA.totals.nodes), edges: fmt(DATA.totals.edges)}) : t("countsOf", {nodes: fmt(DATA.nodes.length), edges: fmt(DATA.edges.length)});
    document.getElementById("counts").textContent = t("countsShown", {nodes: fmt(shown), edges: fmt(c.edges)}) + of;
    describe();
  }
  // --- the picture in words (the canvas's text alternative, visually hidden): the headline, what is
  // shown, and a table: the regional jobs by place of control where the view has them, else the legend
  function describe() {
    const box = document.getElementById("network-text"), big = document.querySelector("#headline .big");
    const table = el("table"), centres = headline && headline.centres;
    const rows = centres && centres.length
      ? centres.map(c => [c.label, fmt(c.firms), c.jobs == null ? t("noFigure") : fmt(c.jobs)])
      : legendRows.map(([label, counts]) => [label, counts]);
    table.append(el("caption", centres && centres.length ? t("centresCaption")
                                                         : t("coloursCaption", {colouring: (colorSelect.selectedOptions[0] || {}).textContent || colorBy})));
    const head = el("tr");
    for (const h of centres && centres.length ? [t("placeOfControl"), t("firms"), t("jobs")] : [t("colourColumn"), t("shownColumn")]) head.append(el("th", h));
    table.append(head);
    for (const row of rows) { const tr = el("tr"); for (const v of row) tr.append(el("td", v)); table.append(tr); }
    box.replaceChildren(el("h2", t("pictureInWords")),
                        el("p", [document.getElementById("title").textContent, big ? big.textContent : document.getElementById("subtitle").textContent, document.getElementById("counts").textContent].filter(Boolean).join(". ") + "."),
                        table);
  }
  let legendRows = [];  // [label, counts] of the colour legend, for the picture's text alternative
  const SHAPES = ["dot", "square", "star", "triangle", "diamond", "hexagon"];
  // a colour's name in the language shown: the interface's own words, else the data's label in that language
  const itemLabel = item => known(`legend.${colorBy}.${item.key}`) ? t(`legend.${colorBy}.${item.key}`)
    : (lang === "de" && item.label_de) || item.label;
  function legend() {
    const box = document.getElementById("legend-colors"); box.replaceChildren(); legendRows = [];
    const counted = new Map();
    for (const id of shownIds()) {
      const n = byId.get(id), key = n.k ? n.k[colorBy] : undefined;
      if (key === undefined || key === null) continue;
      const c = counted.get(key) || {firms: 0, jobs: 0, nodes: 0, figures: 0};
      c.nodes += 1;
      const f = tally(n);
      if (f) { c.firms += f.firms; c.jobs += f.jobs; c.figures += f.figures; }
      counted.set(key, c);
    }
    for (const item of (DATA.legend[colorBy] || [])) {
      const c = counted.get(item.key) || {firms: 0, jobs: 0, nodes: 0};
      const row = el("div"); const sw = el("span", undefined, "swatch"); sw.style.background = item.color;
      // firms none of which has a head-count: "no job figure", never 0 jobs
      const jobs = c.figures ? t("legendJobs", {jobs: fmt(c.jobs)}) : t("legendNoJobs");
      const counts = c.firms ? t(c.firms === 1 ? "legendFirm" : "legendFirms", {firms: fmt(c.firms), jobs}) : t("legendShown", {nodes: fmt(c.nodes)});
      row.append(sw, el("span", itemLabel(item) + counts)); box.append(row); legendRows.push([itemLabel(item), counts.slice(3)]);
    }
    const shapes = document.getElementById("legend-shapes"); shapes.replaceChildren();
    const used = new Set(DATA.nodes.map(n => n.shape));
    if (used.size > 1) for (const shape of SHAPES) if (used.has(shape)) shapes.append(el("div", "◆●■★▲⬢"["diamond dot square star triangle hexagon".split(" ").indexOf(shape)] + " " + t("shape." + shape)));
    if (DATA.edgeLegend) shapes.append(el("div", viewText("edgeLegend", DATA.edgeLegend)));
    for (const [kind, style] of Object.entries(DATA.edgeKinds || {})) {
      const row = el("div"), line = el("span", undefined, "swatch");
      line.style.background = style.dashes ? `repeating-linear-gradient(90deg, ${style.color} 0 4px, transparent 4px 7px)` : style.color;
      line.style.height = "3px"; row.append(line, el("span", style.label)); shapes.append(row);
    }
    for (const hull of DATA.hulls || []) shapes.append(el("div", t("hullMembers", {label: hull.label, members: fmt(hull.member_count || hull.members.length)})));
    const agg = document.getElementById("aggregated");
    if (DATA.aggregated) { agg.hidden = false; agg.textContent = t(DATA.aggregated.symbols ? "aggregatedSymbols" : "aggregated", {nodes: fmt(DATA.aggregated.nodes), edges: fmt(DATA.aggregated.edges), drawn: fmt(DATA.nodes.length), keys: DATA.aggregated.keys.join(", ")}); }
  }
  const colorSelect = document.getElementById("color-by");
  for (const key of Object.keys(DATA.legend)) { const o = el("option", t("colorBy." + key)); o.value = key; colorSelect.append(o); }
  if (!DATA.legend[colorBy] && colorSelect.options.length) colorBy = colorSelect.options[0].value;
  colorSelect.value = colorBy;
  colorSelect.addEventListener("change", () => { colorBy = colorSelect.value; nodes.update(DATA.nodes.map(n => ({id: n.id, color: visColor(n)}))); legend(); describe(); });

  // --- filters: they refit the view and update the counts and the legend
  for (const facet of Object.keys(filters)) {
    const select = document.getElementById("filter-" + facet);
    for (const value of DATA.facets[facet] || []) {
      const label = facet === "subsector" && DATA.subsectorLabels[value] ? DATA.subsectorLabels[value] : facet === "function" ? functionName(value) : value;
      const o = el("option", label); o.value = value; select.append(o);
    }
    if (!(DATA.facets[facet] || []).length) select.disabled = true;
    select.addEventListener("change", () => applyFilter(facet, select.value));
  }
  const adjacent = new Map(), neighbours = new Map();
  for (const e of DATA.edges) {
    if (!adjacent.has(e.from)) adjacent.set(e.from, []); adjacent.get(e.from).push(e.to);
    if (!DATA.directed) { if (!adjacent.has(e.to)) adjacent.set(e.to, []); adjacent.get(e.to).push(e.from); }
    for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) { if (!neighbours.has(a)) neighbours.set(a, new Set()); neighbours.get(a).add(b); }
  }
  // a map symbol's members that the filters leave: its parts that match every one (kg.views.budget.symbol_parts)
  const matching = (n, active) => n.parts.filter(([values]) => active.every(([k, v]) => values[k].includes(v)));
  function tally(n) {  // the firms, jobs and firms with a job figure a shown node counts for
    const active = Object.entries(filters).filter(([, v]) => v);
    if (n.parts && active.length) {
      const c = {firms: 0, jobs: 0, figures: 0};
      for (const [, firms, jobs, figures] of matching(n, active)) { c.firms += firms; c.jobs += jobs; c.figures += figures; }
      return c;
    }
    if (n.type !== "firm" && n.info.member_type !== "firm") return null;
    return {firms: n.info.member_count ?? 1, jobs: n.jobs || 0, figures: n.jobs != null ? 1 : 0};
  }
  function visibleIds() {
    const active = Object.entries(filters).filter(([, v]) => v);
    if (!active.length) return new Set(byId.keys());
    const strong = new Set();
    for (const n of DATA.nodes) if (n.parts ? matching(n, active).length : n.f && active.every(([k, v]) => n.f[k].includes(v))) strong.add(n.id);
    const shown = new Set(strong);
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
  function fit() {
    const ids = shownIds();
    if (layout === "geo" && !Object.values(filters).some(Boolean)) {
      // the region, and the places the headline names (its top three places of control); the others a zoom-out away
      const ring = DATA.areas.filter(a => a.dashed && a.circle).map(a => a.circle[2])[0];
      const named = new Set(((headline && headline.centres) || []).filter(c => c.jobs).slice(0, 3).map(c => c.label));
      const inFrame = id => { const n = byId.get(id);
        return Math.hypot(n.gx, n.gy) < ring || ((n.type === "place" || n.info.member_type === "group") && named.has(n.k && n.k.centre)); };
      const framed = ring ? ids.filter(inFrame) : [];
      network.fit({nodes: framed.length ? framed : ids, animation: false});
    } else network.fit({nodes: ids, animation: false});
    relabel();
  }
  function showFiltered() {  // what a filter leaves: the shown firms' figures, summed as they are drawn
    const line = document.querySelector("#headline .shown"); if (!line) return;
    const active = Object.entries(filters).filter(([, v]) => v);
    if (!active.length) { line.textContent = ""; return; }
    let firms = 0, jobs = 0, outside = 0;
    for (const id of shownIds()) {
      const n = byId.get(id);
      const f = tally(n);
      if (!f) continue;
      firms += f.firms; jobs += f.jobs;
      if (n.k && n.k.outside) outside += f.jobs;  // "outside the region": decided by kg/rules.py, not here
    }
    line.textContent = t("filtered", {filters: active.map(([k, v]) => t("facet." + k) + ": " + v).join(", "), firms: fmt(firms), jobs: fmt(jobs), outside: fmt(outside),
                                      share: jobs ? ` (${(100 * outside / jobs).toLocaleString(lang, {maximumFractionDigits: 1, minimumFractionDigits: 1})} %).` : "."});
  }
  function applyFilter(facet, value, keepView) {
    if (facet) { filters[facet] = value; document.getElementById("filter-" + facet).value = value; }
    const shown = visibleIds(), absent = window.kg && window.kg.absent;  // absent: not there in the slider's year
    nodes.update(DATA.nodes.map(n => ({id: n.id, hidden: !shown.has(n.id) || !!(absent && absent.has(n.id))})));
    showCounts(); legend(); showFiltered(); if (!keepView) fit();
    return drawnCounts();
  }

  // --- layouts
  function setLayout(which) {
    if (which === layout) return;
    if (layout === "force") forcePositions = network.getPositions();
    layout = which;
    document.querySelector(`input[name=layout][value=${which}]`).checked = true;
    network.setOptions({physics: {enabled: false}});
    nodes.update(DATA.nodes.map(n => which === "geo" ? {id: n.id, x: n.gx, y: n.gy}
      : {id: n.id, x: forcePositions && forcePositions[n.id] ? forcePositions[n.id].x : n.x,
         y: forcePositions && forcePositions[n.id] ? forcePositions[n.id].y : n.y}));
    tip.hidden = true;
    fit();
  }
  document.querySelectorAll("input[name=layout]").forEach(r => r.addEventListener("change", () => setLayout(r.value)));
  function hullOf(points) {  // convex hull (monotone chain)
    const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    const lower = [], upper = [];
    for (const q of p) { while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop(); lower.push(q); }
    for (const q of p.reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop(); upper.push(q); }
    return lower.slice(0, -1).concat(upper.slice(0, -1));
  }
  network.on("beforeDrawing", ctx => {  // the named clusters as hulls around their members
    if (!(DATA.hulls || []).length) return;
    const scale = network.getScale(), pad = 24 / scale;
    ctx.save(); ctx.font = `bold ${Math.round(13 / scale)}px system-ui, sans-serif`; ctx.textAlign = "center";
    for (const hull of DATA.hulls) {
      // the members on the page (a group node stands for the members the node budget folded into it)
      const ids = hull.members.filter(id => { const n = nodes.get(id); return n && !n.hidden; }), pos = network.getPositions(ids);
      const pts = [];
      for (const id of ids) { const p = pos[id]; if (!p) continue; for (let a = 0; a < 8; a++) pts.push([p.x + pad * Math.cos(a * Math.PI / 4), p.y + pad * Math.sin(a * Math.PI / 4)]); }
      if (pts.length < 3) continue;
      const h = hullOf(pts);
      ctx.beginPath(); h.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)); ctx.closePath();
      ctx.globalAlpha = 0.12; ctx.fillStyle = hull.color; ctx.fill(); ctx.globalAlpha = 0.9;
      ctx.strokeStyle = hull.color; ctx.lineWidth = 2 / scale; ctx.stroke();
      ctx.fillStyle = hull.color; ctx.fillText(hull.label, h.reduce((s, p) => s + p[0], 0) / h.length, Math.min(...h.map(p => p[1])) - 4 / scale);
    }
    ctx.restore();
  });
  network.on("beforeDrawing", ctx => {
    if (layout !== "geo") return;
    ctx.save(); ctx.lineWidth = 2 / network.getScale(); ctx.textAlign = "center";
    ctx.font = `bold ${Math.round(15 / network.getScale())}px system-ui, sans-serif`;
    for (const a of DATA.areas) {
      ctx.beginPath(); ctx.setLineDash(a.dashed ? [8, 8] : []);
      let lx, ly;
      if (a.rings) {  // true outlines (the Länder of the region, and where control sits)
        for (const ring of a.rings) { ring.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)); ctx.closePath(); }
        const big = a.rings.reduce((m, r) => r.length > m.length ? r : m, a.rings[0]);
        lx = big.reduce((s, p) => s + p[0], 0) / big.length; ly = Math.min(...big.map(p => p[1])) - 6 / network.getScale();
      } else { const [x, y, r] = a.circle; ctx.arc(x, y, r, 0, 2 * Math.PI); lx = x; ly = y - r - 8; }
      const region = a.kind === "region";
      ctx.fillStyle = a.dashed ? "rgba(0,0,0,0)" : region ? "rgba(0,120,80,0.06)" : "rgba(120,120,120,0.07)";
      ctx.fill("evenodd");
      ctx.strokeStyle = a.dashed ? "#bbb" : region ? "#7a9" : "#aaa"; ctx.stroke();
      ctx.fillStyle = a.dashed ? "#999" : region ? "#487" : "#777"; ctx.fillText(lang === "en" && a.label_en ? a.label_en : a.label, lx, ly);
    }
    ctx.restore();
  });

  // --- labels: readable at any zoom; only as many as fit without overlap, largest first
  let labelBoxes = [], relabelTimer = null;
  const screenSize = n => Math.min(n.size || 10, 28);  // px on screen; the largest firms do not hide the map
  const measure = document.createElement("canvas").getContext("2d");
  function relabel() {
    const scale = network.getScale(), font = 12, ids = shownIds();
    measure.font = `${font}px system-ui, sans-serif`;
    const positions = network.getPositions(ids);
    const selected = new Set(network.getSelectedNodes());  // the selected node first, then the places of control
    const rank = id => { const n = byId.get(id); return [selected.has(id) ? 0 : n.type === "place" ? 1 : 2, -(n.size || 0)]; };
    ids.sort((a, b) => { const [p, q] = [rank(a), rank(b)]; return p[0] - q[0] || p[1] - q[1]; });
    const accepted = [], cell = 60, grid = new Map(), view = container.getBoundingClientRect();
    const overlaps = box => {
      for (let gx = Math.floor(box[0] / cell); gx <= Math.floor(box[2] / cell); gx++)
        for (let gy = Math.floor(box[1] / cell); gy <= Math.floor(box[3] / cell); gy++)
          for (const o of grid.get(gx + ":" + gy) || []) if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return true;
      return false;
    };
    const updates = [];
    for (const id of ids) {
      const n = byId.get(id), p = positions[id];
      if (!p) continue;
      const dom = network.canvasToDOM(p), text = labelOf(n), lines = text.split("\n");
      const w = Math.max(...lines.map(l => measure.measureText(l).width)) + 4, h = lines.length * (font + 2);
      const r = screenSize(n);  // nodes keep their screen size: their radius in px
      const box = [dom.x - w / 2, dom.y + r + 1, dom.x + w / 2, dom.y + r + 1 + h];
      const onScreen = box[2] > 0 && box[0] < view.width && box[3] > 0 && box[1] < view.height;
      const show = onScreen && !overlaps(box);
      if (show) {
        accepted.push({id, box});
        for (let gx = Math.floor(box[0] / cell); gx <= Math.floor(box[2] / cell); gx++)
          for (let gy = Math.floor(box[1] / cell); gy <= Math.floor(box[3] / cell); gy++) {
            const key = gx + ":" + gy; if (!grid.has(key)) grid.set(key, []); grid.get(key).push(box);
          }
      }
      updates.push({id, label: show ? text : "", size: r / scale, font: {size: font / scale}});
    }
    nodes.update(updates);
    labelBoxes = accepted;
  }
  network.on("zoom", () => { tip.hidden = true; clearTimeout(relabelTimer); relabelTimer = setTimeout(relabel, 120); });
  network.on("dragEnd", () => { clearTimeout(relabelTimer); relabelTimer = setTimeout(relabel, 120); });
  // the box can change height (a headline wrapping to more lines in the other language): the labels that fit change
  network.on("resize", () => { clearTimeout(relabelTimer); relabelTimer = setTimeout(relabel, 120); });
  document.querySelectorAll("input[name=lang]").forEach(r => { r.checked = r.value === lang; r.addEventListener("change", () => { lang = r.value; applyInterface(); relabel(); network.redraw(); }); });

  // --- details panel, neighbour focus and tip
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
  const PAGE = 50;
  function showMembers(box, members, page, unlisted) {
    let list = box.querySelector("ul.members");
    if (!list) { list = box.appendChild(el("ul", undefined, "members")); list.tabIndex = 0; list.setAttribute("aria-label", t("members")); }  // it scrolls: reachable by keyboard
    list.replaceChildren(...members.slice(page * PAGE, (page + 1) * PAGE).map(([, label]) => el("li", label)));
    const nav = box.querySelector("p.pages") || box.appendChild(el("p", undefined, "pages"));
    nav.replaceChildren(el("span", t("pageOf", {first: fmt(page * PAGE + 1), last: fmt(Math.min(members.length, (page + 1) * PAGE)), total: fmt(members.length)})));
    if (page > 0) { const b = el("button", t("previous")); b.type = "button"; b.onclick = () => showMembers(box, members, page - 1, unlisted); nav.append(b); }
    if ((page + 1) * PAGE < members.length) { const b = el("button", t("next")); b.type = "button"; b.onclick = () => showMembers(box, members, page + 1, unlisted); nav.append(b); }
    // a page of a very large economy lists each group's largest members only (kg.views.budget.members_listed)
    if (unlisted) nav.append(el("span", t("membersUnlisted", {unlisted: fmt(unlisted), listed: fmt(members.length), view: DATA.name || "full"}), "hint"));
  }
  function showDetails(title, info, facts, members, highlight, unlisted) {
    const box = document.getElementById("details"); box.replaceChildren(el("h2", title));
    const table = el("table"); const cited = [];
    const cite = keys => keys.map(k => { if (!cited.includes(k)) cited.push(k); return cited.indexOf(k) + 1; });
    for (const f of facts || []) {
      const tr = el("tr"); tr.append(el("td", known("fact." + f.k) ? t("fact." + f.k) : f.k, "k")); const td = el("td", factValue(f.k, f.v));
      if (f.src && f.src.length) td.append(el("sup", " [" + cite(f.src).join(",") + "]"));
      tr.append(td); table.append(tr);
    }
    for (const [k, v] of Object.entries(info || {})) {
      if (k === "source") continue;
      const tr = el("tr"); tr.append(el("td", known("attr." + k) ? t("attr." + k) : k.replace(/_/g, " "), "k"), el("td", factValue(k, v))); table.append(tr);
    }
    box.append(table);
    if (members && members.length) {
      box.append(el("h2", t("members")));
      let page = 0;
      if (highlight) { const i = members.findIndex(m => m[0] === highlight); if (i >= 0) page = Math.floor(i / PAGE); }
      showMembers(box, members, page, unlisted);
    }
    const keys = (info && info.source ? String(info.source).split(";") : []).filter(k => k && !cited.includes(k));
    cite(keys);
    if (cited.length) { box.append(el("h2", t("sources"))); sourceList(cited, box); }
    box.scrollIntoView({block: "nearest"});
  }
  function focus(id) {  // the node and its neighbours stand out, the rest is dimmed
    const keep = new Set([id, ...(neighbours.get(id) || [])]);
    nodes.update(DATA.nodes.map(n => ({id: n.id, opacity: id === null || keep.has(n.id) ? 1 : 0.15})));
    edges.update(DATA.edges.map(e => ({id: e.id, color: edgeColor(e, !(id === null || (keep.has(e.from) && keep.has(e.to) && (e.from === id || e.to === id))))})));
  }
  let shownNow = null;  // what the panel shows, drawn again in the other language
  function showNode(id, highlight) {
    const n = byId.get(id); if (!n) return;
    shownNow = () => showNode(id, highlight);
    showDetails(labelOf(n).split("\n")[0], n.info, n.facts, n.members, highlight, n.unlisted);
    focus(id);
  }
  function showEdge(id) {
    const e = edgeById.get(id); if (!e) return;
    shownNow = () => showEdge(id);
    const a = byId.get(e.from), b = byId.get(e.to);
    showDetails(labelOf(a).split("\n")[0] + (DATA.directed ? " → " : " — ") + labelOf(b).split("\n")[0],
                Object.assign({}, e.info, e.jobs ? {[t("jobsAlongLine")]: fmt(e.jobs)} : {}), [], null);
  }
  network.on("click", p => { if (p.nodes.length) showNode(p.nodes[0]); else if (p.edges.length) showEdge(p.edges[0]); else focus(null); });
  const tip = document.getElementById("tip");
  network.on("hoverNode", p => {
    const n = byId.get(p.node); if (!n) return;
    const lines = [labelOf(n).split("\n")[0], n.info.type, n.info.control ? t("tipControl", {control: n.info.control + (n.info.control_area ? " (" + n.info.control_area + ")" : "")}) : "",
                   n.info.headcount ? t("tipHeadcount", {headcount: fmt(n.info.headcount)}) : "", n.km ? t("kmAway", {km: fmt(n.km)}) : "",
                   (lang === "de" && n.info.subsector_label_de) || n.info.subsector_label || ""].filter(Boolean);
    tip.replaceChildren(...lines.map((t, i) => i ? el("div", t) : el("strong", t)));
    tip.style.left = (p.event.center ? p.event.center.x : p.pointer.DOM.x) + 12 + "px";
    tip.style.top = (p.event.center ? p.event.center.y : p.pointer.DOM.y) + 12 + "px";
    tip.hidden = false;
  });
  network.on("blurNode", () => { tip.hidden = true; });
  network.on("dragStart", () => { tip.hidden = true; });

  // --- search: nodes, and the members of groups
  const names = document.getElementById("names");
  for (const n of DATA.nodes.slice(0, 5000)) { const o = el("option"); o.value = n.label; names.append(o); }
  let lastQuery = "", hit = -1;
  function search(query) {
    const q = String(query).trim().toLowerCase(); const out = document.getElementById("search-result");
    if (!q) { out.textContent = ""; return null; }
    const there = n => !(window.kg.absent && window.kg.absent.has(n.id));  // not a node of another year (timeline.js)
    const matches = DATA.nodes.filter(n => there(n) && [n.label, n.label_de, n.label_en].some(l => l && l.toLowerCase().includes(q))).map(n => [n, null]);
    const inGroups = [];
    for (const n of DATA.nodes.filter(there)) for (const m of n.members || []) if (String(m[1]).toLowerCase().includes(q)) inGroups.push([n, m[0]]);
    const found = matches.concat(inGroups);
    if (!found.length) { out.textContent = t("noMatch"); return null; }
    hit = q === lastQuery ? (hit + 1) % found.length : 0; lastQuery = q;
    const [n, member] = found[hit];
    for (const f of Object.keys(filters)) if (nodes.get(n.id).hidden) applyFilter(f, "");
    network.selectNodes([n.id]); network.focus(n.id, {scale: Math.max(network.getScale(), 1.2), animation: false});
    showNode(n.id, member); relabel();
    const name = member ? (n.members.find(m => m[0] === member) || [, ""])[1] : labelOf(n).split("\n")[0];
    out.textContent = t(member ? "searchHitGroup" : "searchHit", {hit: hit + 1, found: found.length, group: n.label, name});
    return member || n.id;
  }
  document.getElementById("search-form").addEventListener("submit", ev => { ev.preventDefault(); search(document.getElementById("search").value); });
  document.getElementById("reset").addEventListener("click", () => { for (const f of Object.keys(filters)) filters[f] = ""; for (const s of document.querySelectorAll("#controls select[data-facet]")) s.value = ""; focus(null); applyFilter(null); network.unselectAll(); });

  // --- the picture.  A view with a picture to publish (hq) carries it as SVG, drawn in Python
  // (kg.views.picture, the same as kg viz hq --picture svg): "Download SVG" saves it, "Download PNG" draws it on
  // a canvas at its own width (2,400 px: 2× a 1,200 px column).  Other views: the network's canvas at
  // PICTURE_SCALE × its size on screen, whatever the screen's pixel ratio, under the title and the headline and
  // over the legend and the source line, each wrapped to the width by measuring, never clipped.
  const PICTURE_SCALE = 2, FONT = "system-ui, sans-serif";
  let pictureText = [];  // the canvas picture's lines of text and their measured widths (the browser tests read them)
  function wrapText(c, text, width) {  // lines of at most width px; a word wider than that broken where it must
    const lines = []; let line = "";
    for (let word of String(text).split(/\s+/).filter(Boolean)) {
      while (c.measureText(word).width > width && word.length > 1) {
        let cut = word.length - 1; while (cut > 1 && c.measureText(word.slice(0, cut)).width > width) cut--;
        if (line) { lines.push(line); line = ""; }
        lines.push(word.slice(0, cut)); word = word.slice(cut);
      }
      const next = line ? line + " " + word : word;
      if (line && c.measureText(next).width > width) { lines.push(line); line = word; } else line = next;
    }
    if (line) lines.push(line);
    return lines;
  }
  // the network drawn afresh at ``ratio`` device pixels a CSS pixel (vis-network sizes its canvas by the window's
  // devicePixelRatio on a redraw), then ``draw``, then the screen's ratio again: a sharp map on any screen
  function atPixelRatio(ratio, draw) {
    const own = Object.getOwnPropertyDescriptor(window, "devicePixelRatio");
    Object.defineProperty(window, "devicePixelRatio", {configurable: true, get: () => ratio});
    try { network.redraw(); draw(); } finally {
      if (own) Object.defineProperty(window, "devicePixelRatio", own); else delete window.devicePixelRatio;
      network.redraw();
    }
  }
  function canvasPicture() {
    const source = container.querySelector("canvas");
    const width = source.clientWidth, height = source.clientHeight, pad = 16, inner = width - 2 * pad;
    const items = DATA.legend[colorBy] || [], columns = Math.max(1, Math.min(3, Math.floor(inner / 220))), column = inner / columns;
    const out = document.createElement("canvas"), c = out.getContext("2d");
    const block = (font, colour, size, text, wrapWidth) => { c.font = font; return {font, colour, size, lines: wrapText(c, text, wrapWidth)}; };
    const head = [block(`bold 18px ${FONT}`, "#222", 24, document.getElementById("title").textContent, inner),
                  block(`13px ${FONT}`, "#444", 18, (document.querySelector("#headline .big") || {}).textContent || document.getElementById("subtitle").textContent, inner)];
    const keys = items.map(item => block(`12px ${FONT}`, "#222", 16, item.label, column - 24));
    const credit = block(`11px ${FONT}`, "#555", 15, document.getElementById("credits").textContent, inner);
    const rows = [];
    for (let i = 0; i < keys.length; i += columns) rows.push(Math.max(...keys.slice(i, i + columns).map(k => k.lines.length * k.size)));
    const tall = b => b.lines.length * b.size;
    const total = pad + tall(head[0]) + tall(head[1]) + 8 + height + 12 + rows.reduce((a, b) => a + b, 0) + 8 + tall(credit) + pad;
    out.width = Math.round(width * PICTURE_SCALE); out.height = Math.round(total * PICTURE_SCALE);
    c.scale(PICTURE_SCALE, PICTURE_SCALE);
    c.fillStyle = "#fff"; c.fillRect(0, 0, width, total);
    pictureText = [];
    const write = (b, x, y) => { c.font = b.font; c.fillStyle = b.colour;
      b.lines.forEach((line, i) => { c.fillText(line, x, y + (i + 1) * b.size - 5); pictureText.push({text: line, x, width: c.measureText(line).width, limit: x === pad ? inner : column - 24}); });
      return y + tall(b); };
    let y = write(head[1], pad, write(head[0], pad, pad)) + 8;
    atPixelRatio(PICTURE_SCALE, () => c.drawImage(source, 0, 0, source.width, source.height, 0, y, width, height));
    y += height + 12;
    keys.forEach((k, i) => {
      const x = pad + (i % columns) * column;
      c.fillStyle = items[i].color; c.fillRect(x, y + 3, 11, 11); c.strokeStyle = "#333"; c.strokeRect(x, y + 3, 11, 11);
      write(k, x + 16, y);
      if (i % columns === columns - 1 || i === keys.length - 1) y += rows[Math.floor(i / columns)];
    });
    write(credit, pad, y + 8);
    return out.toDataURL("image/png");
  }
  function svgPicture() {  // the SVG drawn on a canvas at its own size (an SVG image from data: does not taint it)
    return new Promise((done, fail) => {
      const image = new Image();
      image.onload = () => {
        const out = document.createElement("canvas"); out.width = image.naturalWidth; out.height = image.naturalHeight;
        out.getContext("2d").drawImage(image, 0, 0); done(out.toDataURL("image/png"));
      };
      image.onerror = () => fail(new Error("the browser could not draw the picture"));
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(DATA.picture);
    });
  }
  function picture() { return DATA.picture ? svgPicture() : Promise.resolve(canvasPicture()); }
  function save(href, extension) {
    const a = document.createElement("a"); a.href = href; a.download = (DATA.name || "view") + "." + extension;
    document.body.append(a); a.click(); a.remove();
  }
  const downloadButton = document.getElementById("download"), svgButton = document.getElementById("download-svg");
  if (DATA.picture) {
    downloadButton.dataset.i18n = "downloadPng"; downloadButton.dataset.i18nTitle = "downloadPngTitle";
    svgButton.hidden = false;
  }
  downloadButton.addEventListener("click", () => picture().then(url => save(url, "png")));
  svgButton.addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([DATA.picture], {type: "image/svg+xml"}));
    save(url, "svg"); setTimeout(() => URL.revokeObjectURL(url), 60_000);  // once the download has read it
  });

  // every interface text in the language shown (the switch turns them all, with the labels)
  function applyInterface() {
    document.documentElement.lang = lang;
    document.title = document.getElementById("title").textContent = viewText("title", DATA.title) || "Graph";
    document.getElementById("subtitle").textContent = viewText("subtitle", DATA.subtitle || "");
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
    for (const [attr, key] of [["placeholder", "i18nPlaceholder"], ["title", "i18nTitle"], ["aria-label", "i18nAriaLabel"]])
      for (const e of document.querySelectorAll(`[data-i18n-${attr}]`)) e.setAttribute(attr, t(e.dataset[key]));
    for (const o of colorSelect.options) o.textContent = t("colorBy." + o.value);
    for (const o of document.querySelectorAll("#filter-subsector option")) if (o.value && DATA.subsectorLabels[o.value])
      o.textContent = (lang === "de" && (DATA.subsectorLabelsDe || {})[o.value]) || DATA.subsectorLabels[o.value];
    for (const o of document.querySelectorAll("#filter-function option")) if (o.value) o.textContent = functionName(o.value);
    showCredits(); showHeadline(headline); showFiltered(); legend(); showCounts();
    if (window.kg && window.kg.onInterface) window.kg.onInterface();  // the slider's year in the title (timeline.js)
    if (shownNow) shownNow();
    if (document.getElementById("search-result").textContent) document.getElementById("search-result").textContent = "";
  }
  applyInterface();
  network.on("afterDrawing", () => {
    if (!window.kg.ready) {
      window.kg.ready = true;
      if (DATA.layout === "geo") setLayout("geo"); else relabel();
      showCounts();
    }
  });
  window.kg = {network, nodes, edges, data: DATA, counts: drawnCounts, filter: applyFilter, search, setLayout,
               labelBoxes: () => labelBoxes, picture, pictureText: () => pictureText, relabel, layout: () => layout, ready: false,
               visNode, visEdge, showHeadline, absent: null, t, lang: () => lang, labelOf, messages: MESSAGES};
})();
