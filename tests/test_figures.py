"""Figures are built from the book's data, captioned, described, numbered and deterministic."""

import re

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT


def soup_of(build, page):
    return BeautifulSoup((build.outdir / page).read_text(encoding="utf-8"), "lxml")


def test_timeline_figure_has_number_caption_and_alt_text_stating_what_it_shows(html_build):
    soup = soup_of(html_build, "chapters/91-chronology.html")
    figure = soup.select_one("figure.timeline")
    assert figure is not None
    img = figure.find("img")
    assert img["src"].endswith(".svg") and (html_build.outdir / "chapters" / img["src"]).resolve().exists()
    assert img["alt"].startswith("Timeline of") and "Labelled events:" in img["alt"]
    # valid HTML sizes (whole pixels, the drawing's own proportions), not width="100%"
    svg = (html_build.outdir / "chapters" / img["src"]).resolve().read_text(encoding="utf-8")[:2000]
    points = [float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()]
    assert [int(img["width"]), int(img["height"])] == [round(v * 4 / 3) for v in points]
    caption = figure.find("figcaption").get_text(" ")
    assert re.search(r"Fig\. \d", caption) and "at a glance" in caption


def test_legal_pathway_diagram_has_number_caption_and_alt_text(html_build):
    pages = [p for p in sorted((html_build.outdir / "chapters").glob("*.html")) if "<object" in p.read_text(encoding="utf-8")]
    assert pages, "no page holds the legal pathway diagram"
    soup = soup_of(html_build, f"chapters/{pages[0].name}")
    figure = soup.find(id="fig-legal-pathway") or soup.select_one("figure:has(div.graphviz)")
    assert figure is not None
    svg = figure.find("object")
    assert svg is not None and svg["data"].endswith(".svg")
    alt = svg.get_text(" ").strip()
    assert len(alt) > 40, f"alt text too short: {alt!r}"
    assert re.search(r"Fig\. [\d.]+", figure.find("figcaption").get_text(" "))


def test_options_are_compared_in_a_numbered_table_with_a_caption(html_build):
    soup = soup_of(html_build, "chapters/05-options-outlook.html")
    tables = [t for t in soup.find_all("table") if t.find("caption")]
    assert tables, "chapter 5 has no captioned table"
    caption = tables[0].find("caption").get_text(" ")
    assert re.search(r"Table [\d.]+", caption)
    headers = [th.get_text(" ").strip() for th in tables[0].find_all("th")]
    assert len(headers) >= 4


def test_adding_an_event_to_the_data_changes_the_timeline(html_build, contribution):
    """The contributor's copy adds an event to data/chronology.yaml; its rebuild redraws the figure."""
    build = contribution.build
    assert build.returncode == 0, "\n".join(build.warnings)
    before = soup_of(html_build, "chapters/91-chronology.html").select_one("figure.timeline img")
    after = soup_of(build, "chapters/91-chronology.html").select_one("figure.timeline img")
    assert after["src"] != before["src"]
    assert "Test event" in after["alt"] and "Test event" not in before["alt"]
    old = (html_build.outdir / "chapters" / before["src"]).resolve().read_bytes()
    new = (build.outdir / "chapters" / after["src"]).resolve().read_bytes()
    assert old != new and b"Test event" in new


def test_same_data_gives_the_same_figure_bytes(tmp_path):
    import datetime

    from briefing import timeline
    from briefing.chronology import load_events
    events = load_events(ROOT / "data" / "chronology.yaml")
    for fmt in ("svg", "pdf"):
        first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        timeline.draw(events, datetime.date(2017, 1, 1), first, fmt)
        timeline.draw(events, datetime.date(2017, 1, 1), second, fmt)
        assert first.read_bytes() == second.read_bytes(), fmt


@pytest.mark.pdf
def test_pdf_lists_the_figures_and_contains_their_captions(pdf_text):
    assert "List of Figures" in pdf_text
    flat = re.sub(r"\s+", " ", pdf_text)
    assert "The dispute at a glance" in flat
    assert "What stands between Turkey and" in flat


TINY_CHRONOLOGY = """- date: 2019-07-17
  lane: us-executive
  event: First event.
  cite: [alpha]
  figure: true
  short: First
- date: 2020-12-14
  lane: us-congress
  event: Second event.
  cite: [alpha]
"""


def timeline_book(tmp_path, name, cache: str):
    from test_extensions import build
    return build(tmp_path / name, ["briefing.timeline"],
                 {"index.md": "# Tiny book\n\n```{timeline} The tiny timeline\n```\n",
                  "data/chronology.yaml": TINY_CHRONOLOGY},
                 conf=f"briefing_figure_cache = {cache!r}\n")


def test_a_drawn_figure_is_kept_by_its_content_name_and_reused_by_a_fresh_build(tmp_path):
    cache = tmp_path / "cache"
    out, warnings = timeline_book(tmp_path, "first", str(cache))
    assert not warnings.strip(), warnings
    drawn = sorted((out / "_images").glob("timeline-*.svg"))
    assert len(drawn) == 1 and (cache / drawn[0].name).read_bytes() == drawn[0].read_bytes()
    # A fresh build folder copies the kept figure instead of drawing: the copy it finds is what it uses.
    (cache / drawn[0].name).write_text('<svg width="1pt" height="1pt">kept</svg>', encoding="utf-8")
    again, _ = timeline_book(tmp_path, "second", str(cache))
    assert (again / "_images" / drawn[0].name).read_text(encoding="utf-8").endswith("kept</svg>")


def test_figure_cache_off_draws_every_time_and_keeps_nothing(tmp_path):
    out, warnings = timeline_book(tmp_path, "off", "off")
    assert not warnings.strip(), warnings
    assert len(list((out / "_images").glob("timeline-*.svg"))) == 1
    assert not (tmp_path / "cache").exists()
