// The report page (kg/report.py). The charts are SVG already in the page; this script adds, per chart, its
// rows as a table (the saved query's answer) and a button that saves the chart as an SVG picture. Every
// text from the data is set with textContent, never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);

  function element(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function table(rows) {
    const columns = rows.length ? Object.keys(rows[0]) : [];
    const t = element("table");
    const head = t.createTHead().insertRow();
    columns.forEach(c => head.appendChild(element("th", c)));
    const body = t.createTBody();
    rows.forEach(r => {
      const tr = body.insertRow();
      columns.forEach(c => tr.appendChild(element("td", r[c] === null || r[c] === undefined ? "" : String(r[c]))));
    });
    return t;
  }

  function savePicture(svg, name) {
    const text = new XMLSerializer().serializeToString(svg);
    const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
    const a = element("a");
    a.href = url;
    a.download = name + ".svg";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  data.charts.forEach(chart => {
    const figure = document.getElementById("chart-" + chart.key);
    if (!figure || !chart.rows.length) return;
    const tools = element("div", undefined, "tools");
    const svg = figure.querySelector("svg");
    if (svg) {
      const save = element("button", "Save picture (SVG)");
      save.type = "button";
      save.addEventListener("click", () => savePicture(svg, chart.key));
      tools.appendChild(save);
    }
    const details = element("details");
    const rows = chart.rows.length === 1 ? "1 row" : chart.rows.length + " rows";
    details.appendChild(element("summary", "The figures: " + rows + " of kg query " + chart.query));
    const wrap = element("div", undefined, "rows");
    wrap.appendChild(table(chart.rows));
    details.appendChild(wrap);
    tools.appendChild(details);
    figure.appendChild(tools);
  });
  // ready, as every page of kg says it (window.kg.ready): a script or a test waits for the same signal
  window.report = window.kg = { data: data, ready: true };
})();
