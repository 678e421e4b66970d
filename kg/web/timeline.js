// The time slider (kg/timeline.py): the network and the headline at each year the data has, as
// kg viz --as-of YEAR draws them.  Each stop names what differs from the page as drawn: the nodes and lines
// not there that year (hidden), the extra ones there that year only (from data.timeline.extra), and the
// year's headline.  Moving the slider updates the vis data sets and the headline; the page is not redrawn.
(function () {
  "use strict";
  const kg = window.kg, T = kg && kg.data.timeline;
  if (!T || !T.stops || T.stops.length < 2) return;
  const box = document.getElementById("timeline"), input = document.getElementById("year"), shown = document.getElementById("year-shown");
  const extraNodes = new Map(T.extra.nodes.map(n => [n.id, n]));
  kg.nodes.add(T.extra.nodes.map(n => Object.assign(kg.visNode(n), {hidden: true})));
  kg.edges.add(T.extra.edges.map(e => Object.assign(kg.visEdge(e), {hidden: true})));
  let current = -1;
  // an extra node stands where the layout shown puts it (its own view's positions)
  function place(ids) {
    const geo = kg.layout() === "geo";
    kg.nodes.update(ids.map(id => { const n = extraNodes.get(id); return {id, x: geo ? n.gx : n.x, y: geo ? n.gy : n.y}; }));
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
    kg.showHeadline(T.headlines[stop.headline]);
    kg.filter(null, undefined, true);  // counts, legend and the picture in words of what is there, the view kept
    return stop.label;
  }
  input.max = String(T.stops.length - 1);
  input.addEventListener("input", () => showYear(input.value));
  document.querySelectorAll("input[name=layout]").forEach(r => r.addEventListener("change", () => place([...extraNodes.keys()])));
  box.hidden = false;
  showYear(T.start);
  kg.timeline = {stops: T.stops.map(s => s.label), show: showYear, year: () => T.stops[current].label};
})();
