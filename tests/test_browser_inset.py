"""The hq page in a real browser (Debian's Chromium through Playwright): the inset that draws the crowded part of
the map enlarged with its sites named, and the interface in one language at a time (``kg/web/messages.json``)."""
from __future__ import annotations

import re

import pytest

from kg.html import write_page
from kg.messages import messages
from kg.views import build_views
from tests.conftest import TEST_OUTPUT
from tests.test_browser import Opened, screenshot

DESKTOP, PHONE = (1440, 900), (390, 844)


@pytest.fixture(scope="module")
def hq(built):
    return build_views(built.store, ["hq"])["hq"]


@pytest.fixture(scope="module")
def hq_page(hq, tmp_path_factory):
    return write_page(hq, tmp_path_factory.mktemp("inset") / "hq.html")


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_(path, viewport=DESKTOP) -> Opened:
        pages.append(Opened(browser, path, viewport))
        return pages[-1]
    yield open_
    for p in pages:
        p.close()


INSET_STATE = """() => {
  const canvas = kg.inset.canvas, c = canvas.getContext("2d");
  const px = c.getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0; const colours = new Set();
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] < 245 || px[i + 1] < 245 || px[i + 2] < 245) inked++;
    colours.add((px[i] >> 4) + "," + (px[i + 1] >> 4) + "," + (px[i + 2] >> 4));
  }
  const [x0, y0, x1, y1] = kg.data.inset.box;
  const inside = kg.data.nodes.filter(n => n.gx >= x0 && n.gx <= x1 && n.gy >= y0 && n.gy <= y1);
  const rect = canvas.getBoundingClientRect();
  return {inked: inked / (px.length / 4), colours: colours.size, width: rect.width, height: rect.height,
          labels: kg.inset.labels(), numbered: kg.inset.numbered(),
          key: [...document.querySelectorAll("#inset .inset-key li")].map(li => li.textContent),
          named: inside.filter(n => n.type === "site" || n.type === "place").map(n => kg.labelOf(n).split("\\n")[0]),
          heading: document.querySelector("#inset h2").textContent};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_inset_draws_the_crowded_place_enlarged_with_every_site_named_and_no_label_over_another(
        opened, hq_page, hq, viewport):
    o = opened(hq_page, viewport)
    o.next_frames()
    state = o.js(INSET_STATE)
    assert hq.graph["inset"]["label_en"] in state["heading"]
    assert state["width"] >= 300 and state["height"] >= 200  # enlarged: the place is about 135 px on the map
    assert state["inked"] > 0.2 and state["colours"] > 10  # drawn, not blank
    boxes = [label["box"] for label in state["labels"]]
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= state["width"] + 0.5 and b[3] <= state["height"] + 0.5
               for b in boxes)
    overlapping = [(a, b) for i, a in enumerate(state["labels"]) for b in state["labels"][i + 1:]
                   if a["box"][0] < b["box"][2] and b["box"][0] < a["box"][2]
                   and a["box"][1] < b["box"][3] and b["box"][1] < a["box"][3]]
    assert overlapping == []
    # every site and place is named: beside it, or by its number in the key under the picture (a site
    # with its firm's name where its own does not say it: "Kone Berlin (Kone)")
    written = {label["text"] for label in state["labels"]}
    keyed = {entry.split(" (")[0] for entry in state["key"]} | set(state["key"])
    assert [n for n in state["named"] if n not in written and n not in keyed] == []
    assert all(entry.endswith(")") for entry in state["key"] if entry not in state["named"])
    assert state["key"] == state["numbered"]
    assert {str(i) for i in range(1, len(state["key"]) + 1)} <= written
    assert len(state["named"]) >= 10 and o.errors == []
    screenshot(o, f"browser-hq-inset-page-{viewport[0]}")
    TEST_OUTPUT.mkdir(exist_ok=True)
    o.page.locator("#inset").screenshot(path=str(TEST_OUTPUT / f"browser-hq-inset-{viewport[0]}.png"))


VISIBLE_TEXT = """() => {
  const shown = e => e.getClientRects().length > 0;
  const attributes = [...document.querySelectorAll("[placeholder], [title], [aria-label]")].filter(shown)
    .flatMap(e => ["placeholder", "title", "aria-label"].map(a => e.getAttribute(a) || ""));
  return [document.body.innerText, document.title, ...attributes].join("\\n");
}"""


def _left_over(text: str, language: str, other: str) -> list[str]:
    """The words of ``other``'s messages (those that differ from ``language``'s) that ``text`` shows, as whole
    words: each part of a message between its ``{name}``s of at least two words or eight letters."""
    found = []
    for key, words in messages()[other].items():
        if words == messages()[language][key]:
            continue
        for part in re.split(r"\{\w+\}", words):
            part = part.strip(" .,;:()—·")
            if (len(part) >= 8 or " " in part) and re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text):
                found.append(f"{key}: {part}")
    return found


def test_the_switch_turns_every_interface_text_to_the_other_language(opened, hq_page, hq, tmp_path):
    o = opened(hq_page)
    assert o.js("() => document.documentElement.lang") == "en"  # kg.toml's first language
    # a node's details and a filter open: their words too
    o.js("() => { kg.search(kg.data.nodes.find(n => n.type === 'site').label); }")
    o.js("() => kg.filter('subsector', kg.data.facets.subsector[0])")
    assert _left_over(o.js(VISIBLE_TEXT), "en", "de") == []
    o.page.check("input[name=lang][value=de]")
    o.next_frames()
    german = o.js(VISIBLE_TEXT)
    assert _left_over(german, "de", "en") == []
    for words in ("Zurücksetzen", messages()["de"]["centresHeading"], hq.graph["headline"]["sentences"]["de"][:40]):
        assert words in german
    o.page.check("input[name=lang][value=en]")
    o.next_frames()
    assert _left_over(o.js(VISIBLE_TEXT), "en", "de") == []
    # a project whose first language is German opens with its interface in German
    graph = hq.copy()
    graph.graph["language"] = "de"
    german_first = opened(write_page(graph, tmp_path / "hq-de.html"))
    assert german_first.js("() => document.documentElement.lang") == "de"
    assert _left_over(german_first.js(VISIBLE_TEXT), "de", "en") == []
    assert o.errors == [] and german_first.errors == []
