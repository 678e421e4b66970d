// The inset of the hq page: the crowded part of the map (DATA.inset, chosen in Python by
// kg.views.layout.inset_area, or kg.toml's inset) drawn enlarged in the side panel, every site and place in it
// named -- beside it where the name fits, else by a number that the list under the picture names; a firm where its
// name fits -- and no name over another (the same placement as the publication picture's, kg/views/picture.py: _Labels).  Its area is framed
// on the map.  Runs after app.js, through window.kg.
(function () {
  "use strict";
  const kg = window.kg, DATA = kg.data, inset = DATA.inset;
  if (!inset) return;
  const [x0, y0, x1, y1] = inset.box, FONT = 11, NEUTRAL = "#B0B0B0";
  const panel = document.getElementById("panel");
  const section = document.createElement("section"), heading = document.createElement("h2");
  const canvas = document.createElement("canvas"), key = document.createElement("ol");
  section.id = "inset"; key.className = "inset-key";
  canvas.setAttribute("role", "img");
  section.append(heading, canvas, key);
  panel.insertBefore(section, document.getElementById("details"));
  const byId = new Map(DATA.nodes.map(n => [n.id, n]));
  const inBox = n => n.gx >= x0 && n.gx <= x1 && n.gy >= y0 && n.gy <= y1;
  let placed = [], numbered = [];

  // where a label goes: beside its point (right, left, below, above), else farther out in eight directions
  function placer(width, height) {
    const boxes = [];
    const free = b => b[0] >= 0 && b[1] >= 0 && b[2] <= width && b[3] <= height &&
      !boxes.some(o => b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]);
    return {
      claim(x, y, r) { boxes.push([x - r, y - r, x + r, y + r]); },
      place(x, y, r, w, reach, steps) {
        const h = FONT + 2, sides = [[x + r + 3, y - h / 2], [x - r - 3 - w, y - h / 2], [x - w / 2, y + r + 1], [x - w / 2, y - r - 1 - h]];
        for (let s = 1; s <= steps; s++) for (let i = 0; i < 8; i++) {
          const a = i * Math.PI / 4, d = r + s * reach;
          sides.push([x + d * Math.cos(a) - w * (1 - Math.cos(a)) / 2, y + d * Math.sin(a) - h / 2]);
        }
        for (const [bx, by] of sides) { const b = [bx, by, bx + w, by + h]; if (free(b)) { boxes.push(b); return b; } }
        return null;
      }
    };
  }

  function draw() {
    const t = kg.t || (k => k), width = Math.max(160, Math.floor(section.clientWidth || panel.clientWidth - 24));
    const k = Math.min(width / (x1 - x0), 1.15 * width / (y1 - y0)), height = Math.round((y1 - y0) * k);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px"; canvas.style.height = height + "px";
    const c = canvas.getContext("2d"), at = (x, y) => [(x - x0) * k, (y - y0) * k];
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    c.fillStyle = "#fff"; c.fillRect(0, 0, width, height);
    const name = kg.lang() === "de" ? inset.label_de : inset.label_en;
    heading.textContent = t("insetHeading").replace("{place}", name).replace("{sites}", Number(inset.sites).toLocaleString(kg.lang()));
    canvas.setAttribute("aria-label", heading.textContent);
    for (const a of DATA.areas) for (const ring of a.rings || []) {  // the Länder outlines, as on the map
      c.beginPath(); ring.forEach(([x, y], i) => { const p = at(x, y); i ? c.lineTo(p[0], p[1]) : c.moveTo(p[0], p[1]); });
      c.closePath(); c.fillStyle = a.kind === "region" ? "rgba(0,120,80,0.06)" : "rgba(120,120,120,0.07)"; c.fill();
      c.strokeStyle = a.kind === "region" ? "#7a9" : "#aaa"; c.lineWidth = 1; c.stroke();
    }
    const shown = DATA.nodes.filter(n => inBox(n) && !kg.nodes.get(n.id).hidden);
    const ids = new Set(shown.map(n => n.id));
    for (const e of DATA.edges) {
      if (!ids.has(e.from) && !ids.has(e.to)) continue;
      const a = byId.get(e.from), b = byId.get(e.to), p = at(a.gx, a.gy), q = at(b.gx, b.gy);
      c.beginPath(); c.moveTo(p[0], p[1]); c.lineTo(q[0], q[1]);
      c.globalAlpha = 0.5; c.strokeStyle = e.color || "#999"; c.lineWidth = Math.min(e.width || 1, 6); c.stroke(); c.globalAlpha = 1;
    }
    // places first, then sites, then the rest; larger first
    const rank = n => n.type === "place" ? 0 : n.type === "site" ? 1 : 2;
    shown.sort((a, b) => rank(a) - rank(b) || (b.size || 0) - (a.size || 0) || String(a.label).localeCompare(String(b.label)));
    const spots = shown.map(n => { const [x, y] = at(n.gx, n.gy); return {n, x, y, r: Math.max(2.5, Math.min(n.size || 8, 28) * 0.35)}; });
    const labels = placer(width, height);
    for (const s of spots) {
      const v = kg.nodes.get(s.n.id), fill = (v.color && v.color.background) || NEUTRAL;
      c.beginPath(); c.arc(s.x, s.y, s.r, 0, 2 * Math.PI); c.fillStyle = fill; c.fill();
      c.strokeStyle = "#333"; c.lineWidth = 0.8; c.stroke();
      labels.claim(s.x, s.y, s.r);
    }
    placed = []; numbered = [];
    for (const s of spots) {
      const text = kg.labelOf(s.n).split("\n")[0];
      c.font = `${s.n.type === "place" ? "bold " : ""}${FONT}px system-ui, sans-serif`;
      let shown = text, box = labels.place(s.x, s.y, s.r, c.measureText(text).width, 9, 2);
      if (!box && (s.n.type === "site" || s.n.type === "place")) {  // a firm is named at its sites already
        shown = String(numbered.length + 1);
        box = labels.place(s.x, s.y, s.r, c.measureText(shown).width, 7, 12);
        if (box) numbered.push(s.n.key || text);  // a site's key names its firm (kg.views.nodes.named_with_firm)
      }
      if (!box) continue;
      const far = Math.hypot((box[0] + box[2]) / 2 - s.x, (box[1] + box[3]) / 2 - s.y) > s.r + (box[2] - box[0]) / 2 + 14;
      if (far) { c.beginPath(); c.moveTo(s.x, s.y); c.lineTo((box[0] + box[2]) / 2, (box[1] + box[3]) / 2); c.strokeStyle = "#777"; c.lineWidth = 0.7; c.stroke(); }
      c.lineWidth = 3; c.strokeStyle = "#fff"; c.fillStyle = "#222"; c.textBaseline = "top";
      c.strokeText(shown, box[0], box[1] + 1); c.fillText(shown, box[0], box[1] + 1);
      placed.push({id: s.n.id, text: shown, box});
    }
    c.strokeStyle = "#000"; c.lineWidth = 1; c.strokeRect(0.5, 0.5, width - 1, height - 1);
    key.replaceChildren(...numbered.map(text => { const li = document.createElement("li"); li.textContent = text; return li; }));
    key.hidden = !numbered.length;
  }

  // the inset's area framed on the map (geographic layout)
  kg.network.on("afterDrawing", ctx => {
    if (kg.layout() !== "geo") return;
    ctx.save(); ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5 / kg.network.getScale();
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0); ctx.restore();
  });
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(draw, 60); };
  document.getElementById("controls").addEventListener("change", draw);  // after app.js has redrawn (bubbling)
  document.getElementById("reset").addEventListener("click", later);
  window.addEventListener("resize", later);
  draw();
  kg.inset = {draw, labels: () => placed, numbered: () => numbered, canvas};
})();
