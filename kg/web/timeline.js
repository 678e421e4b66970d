// The time slider (kg/timeline.py): the network and the headline at each year the data has, as
// kg viz --as-of YEAR draws them.  Each stop names what differs from the page as drawn: the nodes and lines
// not there that year (hidden), the extra ones there that year only (from data.timeline.extra), what differs
// of the others (colours, jobs, sizes, panel facts) and the year's headline and legend.  Moving the slider updates the vis data sets and the headline; the page is not redrawn.
(function () {
  "use strict";
  const kg = window.kg, T = kg && kg.data.timeline;
  if (!T || !T.stops || T.stops.length < 2) return;
  const box = document.getElementById("timeline"), input = document.getElementById("year"), shown = document.getElementById("year-shown");
  const extraNodes = new Map(T.extra.nodes.map(n => [n.id, n]));
  kg.nodes.add(T.extra.nodes.map(n => Object.assign(kg.visNode(n), {hidden: true})));
  kg.edges.add(T.extra.edges.map(e => Object.assign(kg.visEdge(e), {hidden: true})));
  let current = -1;
  // a year's changes are written into the page's own node and line objects (what the legend, the panel and
  // the colours read), each field's value as drawn kept to put back
  const byId = new Map(kg.data.nodes.map(n => [n.id, n])), edgeById = new Map(kg.data.edges.map(e => [String(e.id), e]));
  const drawnAs = new Map(), legend = kg.data.legend, title = document.getElementById("title");
  let titled = title.textContent;  // the title in the language shown (app.js's switch sets it anew: onInterface)
  let changed = {nodes: {}, edges: {}};
  function apply(table, changes) {
    for (const [id, fields] of Object.entries(changes)) {
      const item = table.get(id);
      drawnAs.set(item, Object.fromEntries(Object.keys(fields).map(f => [f, item[f]])));
      Object.assign(item, fields);
    }
  }
  function change(next) {
    const touched = new Set([...Object.keys(changed.nodes), ...Object.keys(next.nodes)]);
    const touchedEdges = new Set([...Object.keys(changed.edges), ...Object.keys(next.edges)]);
    for (const [item, kept] of drawnAs) Object.assign(item, kept);  // back to the page as drawn
    drawnAs.clear();
    apply(byId, next.nodes); apply(edgeById, next.edges);
    changed = next;
    kg.nodes.update([...touched].map(id => { const v = kg.visNode(byId.get(id)); return {id, color: v.color, shape: v.shape, borderWidth: v.borderWidth}; }));
    kg.edges.update([...touchedEdges].map(id => { const e = edgeById.get(id), v = kg.visEdge(e); return {id: e.id, width: v.width, dashes: v.dashes, color: v.color}; }));
  }
  // an extra node stands where the layout shown puts it (its own view's positions)
  function place(ids) {
    const geo = kg.layout() === "geo";
    kg.nodes.update(ids.map(id => { const n = extraNodes.get(id); return {id, x: geo ? n.gx : n.x, y: geo ? n.gy : n.y}; }));
  }
  function showTitle() {
    title.textContent = current === T.start ? titled : kg.t("asOfYear", {title: titled, year: T.stops[current].label});
  }
  function showYear(index) {
    const i = Math.max(0, Math.min(T.stops.length - 1, Number(index)));
    const stop = T.stops[i];
    input.value = String(i);
    input.setAttribute("aria-valuetext", stop.label);
    shown.textContent = stop.label;
    if (i === current) return stop.label;
    current = i;
    kg.absent = new Set(stop.absent);  // app.js's filters leave these hidden
    const absentEdges = new Set(stop.absentEdges), extra = new Set(stop.extra), extraEdges = new Set(stop.extraEdges);
    kg.edges.update(kg.data.edges.map(e => ({id: e.id, hidden: absentEdges.has(e.id)})));
    kg.nodes.update(T.extra.nodes.map(n => ({id: n.id, hidden: !extra.has(n.id)})));
    kg.edges.update(T.extra.edges.map(e => ({id: e.id, hidden: !extraEdges.has(e.id)})));
    place(stop.extra);
    change(T.changes[stop.changed]);
    kg.data.legend = T.legends[stop.legend] || legend;
    kg.showHeadline(T.headlines[stop.headline]);
    // the title names the year (the network's name and the downloaded picture's title): the page as built has none
    showTitle();
    kg.filter(null, undefined, true);  // counts, legend and the picture in words of what is there, the view kept
    kg.relabel();  // the sizes of the year
    return stop.label;
  }
  input.max = String(T.stops.length - 1);
  input.addEventListener("input", () => showYear(input.value));
  document.querySelectorAll("input[name=layout]").forEach(r => r.addEventListener("change", () => place([...extraNodes.keys()])));
  box.hidden = false;
  showYear(T.start);
  kg.onInterface = () => { titled = title.textContent; showTitle(); };
  kg.timeline = {stops: T.stops.map(s => s.label), show: showYear, year: () => T.stops[current].label};
})();
