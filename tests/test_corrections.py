"""The corrections log: data/corrections.yaml rendered by the {corrections} directive (tiny book)."""


from conftest import build_tiny_book

CONF = """
extensions = ["myst_parser", "sphinxcontrib.bibtex", "briefing.corrections"]
bibtex_bibfiles = ["refs.bib"]
"""
BIB = "@misc{alpha,\n  title = {Alpha contract notice},\n  year = {2020},\n  url = {https://example.org/alpha}\n}\n"
DATA = """\
- date: 2026-12-01
  chapter: chapters/02-two
  was: "Eight jets built for Turkey went to the U.S. Air Force."
  now: "The July 2020 modification covered 14 Lot 14 F-35As, eight of them repositioned slots."
  cite: [alpha]
- date: 2026-12-02
  chapter: chapters/02-two
  was: "Newer."
  now: "Newest correction."
  cite: [alpha]
"""


def build(tmp_path, data=DATA):
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "data").mkdir()
    (src / "conf.py").write_text(CONF)
    (src / "refs.bib").write_text(BIB)
    (src / "index.md").write_text("# Book\n\n```{toctree}\nchapters/02-two\nchapters/94-log\n```\n")
    (src / "chapters" / "02-two.md").write_text("# Two\n\nText.\n")
    (src / "chapters" / "94-log.md").write_text("# Corrections\n\n```{corrections}\n```\n")
    (src / "data" / "corrections.yaml").write_text(data)
    return build_tiny_book(src, tmp_path / "out")


def test_corrections_are_listed_newest_first_with_chapter_link_and_linked_sources(tmp_path):
    from bs4 import BeautifulSoup
    out, warnings = build(tmp_path)
    assert warnings == "", warnings
    soup = BeautifulSoup((out / "chapters" / "94-log.html").read_text(encoding="utf-8"), "lxml")
    rows = soup.select("table.corrections tbody tr")
    assert [r.find("td").get_text(strip=True) for r in rows] == ["2 December 2026", "1 December 2026"]
    second = rows[1]
    assert second.find("a", href="02-two.html") is not None
    assert "14 Lot 14 F-35As" in second.get_text() and "Eight jets" in second.get_text()
    assert second.find("a", href="https://example.org/alpha").get_text() == "Alpha contract notice"


def test_bad_correction_entries_fail_at_the_data_file_line(tmp_path):
    data = DATA.replace("chapters/02-two\n  was: \"Newer.", "chapters/09-none\n  was: \"Newer.")
    data = data.replace("cite: [alpha]\n- date", "cite: [nosuchkey]\n- date")
    data += "- date: 2026-13-01\n  chapter: chapters/02-two\n  was: x\n  now: y\n  cite: [alpha]\n"
    data += "- date: 2026-12-03\n  chapter: chapters/02-two\n  was: x\n"
    _out, warnings = build(tmp_path, data)
    assert "corrections.yaml:1: WARNING: could not find bibtex key \"nosuchkey\"" in warnings
    assert "corrections.yaml:6: WARNING: chapter 'chapters/09-none' is not a page of the book" in warnings
    assert "corrections.yaml:11: WARNING: date '2026-13-01' is not ISO" in warnings
    assert "corrections.yaml:16: WARNING: correction lacks now, cite" in warnings
