"""Each small extension of the briefing package, built in-process on a tiny book of its own.

The whole-book builds (test_build.py and the rest) prove the extensions together; these prove
one behaviour each, in well under a second, with nothing else loaded that could hide a fault.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from conftest import build_tiny_book

BIB = "@misc{alpha,\n  title = {Alpha report},\n  year = {2020},\n  url = {https://example.org/alpha}\n}\n"


def build(tmp_path, extensions, files, builder="html", conf=""):
    src = tmp_path / "src"
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    (src / "conf.py").write_text(f"extensions = {['myst_parser', *extensions]!r}\n"
                                 'project = "Tiny book"\nexclude_patterns = ["_build"]\n' + conf)
    return build_tiny_book(src, tmp_path / "out", builder)


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


# -- briefing.a11y --------------------------------------------------------------------------

A11Y_INDEX = """# Tiny book

```{toctree}
:caption: Chapters

one
```

```{bibliography}
:all:
```
"""
A11Y_ONE = """# One

```{graphviz}
:alt: Two boxes, A pointing to B.

digraph { A -> B }
```
"""


def test_toctree_captions_get_a_heading_level_and_bibliography_entries_are_list_items(tmp_path):
    out, warnings = build(tmp_path, ["sphinxcontrib.bibtex", "briefing.dotfigures", "briefing.a11y"],
                          {"index.md": A11Y_INDEX, "one.md": A11Y_ONE, "refs.bib": BIB},
                          conf='bibtex_bibfiles = ["refs.bib"]\ngraphviz_output_format = "svg"\n')
    assert warnings == "", warnings
    page = soup(out / "index.html")
    caption = page.select_one("p.caption")
    assert caption["role"] == "heading" and caption["aria-level"] == "2"
    entries = page.select("div.citation-list > div.citation")
    assert entries and all(e["role"] == "listitem" for e in entries)
    assert page.select_one("div.citation-list")["role"] == "list"
    assert "doc-biblioentry" not in str(page)


def test_graphviz_figure_object_carries_its_text_alternative_as_label(tmp_path):
    out, warnings = build(tmp_path, ["briefing.dotfigures", "briefing.a11y"],
                          {"index.md": "# Tiny book\n\n```{toctree}\none\n```\n", "one.md": A11Y_ONE},
                          conf='graphviz_output_format = "svg"\n')
    assert warnings == "", warnings
    figure = soup(out / "one.html").select_one("object.graphviz")
    assert figure["role"] == "img" and figure["aria-label"] == "Two boxes, A pointing to B."
    assert (out / figure["data"]).exists()


# -- briefing.opengraph ---------------------------------------------------------------------

OG_ONE = """# Numbered *chapter* & co

```{admonition} Key points
:class: key-points

- The first key point, with <angle> brackets & an ampersand.
- The second.
```

Text.
"""


def test_open_graph_tags_are_plain_text_from_the_title_and_the_first_key_point(tmp_path):
    out, warnings = build(tmp_path, ["briefing.opengraph"],
                          {"index.md": "# Tiny book\n\n```{toctree}\n:numbered:\none\n```\n", "one.md": OG_ONE})
    assert warnings == "", warnings
    page = soup(out / "one.html")
    meta = {m.get("property") or m.get("name"): m["content"] for m in page.select("meta[content]")}
    assert meta["og:title"] == "Numbered chapter & co | Tiny book"
    assert meta["og:description"] == "The first key point, with <angle> brackets & an ampersand."
    assert meta["description"] == meta["og:description"]
    assert meta["og:site_name"] == "Tiny book" and meta["og:type"] == "article"
    assert "<span" not in meta["og:title"]


# -- briefing.latexlayout -------------------------------------------------------------------

LATEX_INDEX = "# Tiny book\n\n```{toctree}\nsummary\none\n```\n"
LATEX_CHAPTER = """# {title}

Cited.{{footcite}}`alpha`

## Notes

```{{footbibliography}}
```
"""


def test_latex_summary_is_unnumbered_and_empty_notes_sections_are_dropped(tmp_path):
    out, warnings = build(tmp_path, ["sphinxcontrib.bibtex", "briefing.latexlayout"],
                          {"index.md": LATEX_INDEX, "refs.bib": BIB,
                           "summary.md": LATEX_CHAPTER.format(title="Summary"),
                           "one.md": LATEX_CHAPTER.format(title="Background")},
                          builder="latex",
                          conf='bibtex_bibfiles = ["refs.bib"]\nlatex_toplevel_sectioning = "chapter"\n'
                               'briefing_latex_unnumbered_docs = ["summary"]\n'
                               'latex_documents = [("index", "tiny.tex", "Tiny", "A", "manual")]\n')
    assert warnings == "", warnings
    tex = (out / "tiny.tex").read_text(encoding="utf-8")
    off, summary, on, background = (tex.index(r"\setcounter{secnumdepth}{-1}"), tex.index(r"\chapter{Summary}"),
                                    tex.index(r"\setcounter{secnumdepth}{\briefingsecnumdepth}"),
                                    tex.index(r"\chapter{Background}"))
    assert off < summary < on < background  # numbering off for the summary only
    assert r"\section{Notes}" not in tex
    assert tex.count(r"\begin{footnote}") == 2  # the notes themselves are kept, at their marks


def test_a_named_table_keeps_its_id_once_although_the_theme_wraps_it(tmp_path):
    table = "```{list-table} Caption\n:name: tbl-named\n:header-rows: 1\n\n* - A\n  - B\n* - 1\n  - 2\n```\n"
    out, warnings = build(tmp_path, ["briefing.a11y"], {"index.md": "# Tiny book\n\n" + table},
                          conf='html_theme = "furo"\n')
    assert warnings == "", warnings
    page = soup(out / "index.html")
    assert [tag.name for tag in page.select("[id='tbl-named']")] == ["table"]
    assert page.select_one("div.table-wrapper > table#tbl-named") is not None
