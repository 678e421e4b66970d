// graphology and its GEXF parser (the one Gephi Lite opens files with), for the tests' browser check
const Graph = require("graphology");
const gexf = require("graphology-gexf/browser");
window.graphologyGexf = {Graph, parse: gexf.parse};
