"""The evidence extension, in a tiny book of its own, built in-process (sphinx.testing).

Each test writes a two-page book (a title page and one chapter citing two sources, with the
chapter's evidence file) into a temporary folder, changes one thing, builds it, and reads the
warnings or the output.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import build_tiny_book

from briefing.evidence import citation_keys, normalise, quote_found, split_target, text_fragment, with_fragment

CONF = """
extensions = ["myst_parser", "sphinxcontrib.bibtex", "briefing.evidence"]
bibtex_bibfiles = ["refs.bib"]
bibtex_default_style = "plain"
exclude_patterns = ["_build"]
"""
BIB = """
@misc{alpha,
  title = {Alpha report},
  publisher = {Alpha Agency},
  year = {2020},
  url = {https://example.org/alpha}
}
@misc{beta,
  title = {Beta haberi},
  publisher = {Beta Gazetesi},
  year = {2021},
  url = {https://example.org/beta#top}
}
"""
INDEX = "# Tiny book\n\n```{toctree}\nchapters/01-one\n```\n"
CHAPTER = """\
# One

The ministry said the system was "ready for duty" in 2020.{footcite}`alpha#ready`
A second claim rests on two sources.{footcite}`alpha#second,beta`

## Notes

```{footbibliography}
```
"""
EVIDENCE = """\
alpha:
  ready:
    text: "The ministry said the system is ready for duty and deployed near Ankara."
  second:
    text: "A second, separate statement from the same report."
beta:
  only:
    lang: tr
    text: "Sistem depoda tutuluyor."
    translation: "The system is kept in storage."
"""


def build(tmp_path: Path, builder: str = "html", chapter: str = CHAPTER, evidence: str | None = EVIDENCE):
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True, exist_ok=True)
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "refs.bib").write_text(BIB, encoding="utf-8")
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "chapters" / "01-one.md").write_text(chapter, encoding="utf-8")
    if evidence is not None:
        (src / "chapters" / "01-one.evidence.yaml").write_text(evidence, encoding="utf-8")
    return build_tiny_book(src, tmp_path / "out", builder)


def test_valid_book_builds_without_warnings(tmp_path):
    _out, warnings = build(tmp_path)
    assert warnings == "", warnings


def test_notes_list_each_passage_and_link_to_the_source_scrolled_to_it(tmp_path):
    out, _w = build(tmp_path)
    page = (out / "chapters" / "01-one.html").read_text(encoding="utf-8")
    notes = page[page.index('class="footnote-list') if 'class="footnote-list' in page else page.index("Notes"):]
    assert "“The ministry said the system is ready for duty and deployed near Ankara.”" in notes
    assert "“A second, separate statement from the same report.”" in notes
    assert 'href="https://example.org/alpha#:~:text=The%20ministry%20said%20the,and%20deployed%20near%20Ankara.' in page
    assert 'href="https://example.org/beta#top:~:text=Sistem%20depoda%20tutuluyor."' in page


def test_non_english_passage_shows_its_translation_marked_as_translated(tmp_path):
    out, _w = build(tmp_path)
    page = (out / "chapters" / "01-one.html").read_text(encoding="utf-8")
    assert "“Sistem depoda tutuluyor.” (translated from Turkish: “The system is kept in storage.”)" in page


def test_each_note_mark_carries_a_tooltip_with_source_and_that_citations_passage_only(tmp_path):
    from bs4 import BeautifulSoup
    out, _w = build(tmp_path)
    soup = BeautifulSoup((out / "chapters" / "01-one.html").read_text(encoding="utf-8"), "lxml")
    tips = soup.select("a.footnote-reference + span.evidence-tip")
    assert len(tips) == 3
    first = tips[0].get_text(" ")
    assert "Alpha report" in first and "ready for duty" in first and "second, separate" not in first
    assert "https://" not in first
    assert soup.find("script", src=re.compile(r"evidence\.js"))


def test_pdf_notes_show_the_passage_and_keep_the_plain_address(tmp_path):
    out, warnings = build(tmp_path, "latex")
    tex = next(out.glob("*.tex")).read_text(encoding="utf-8")
    assert "ready for duty and deployed near Ankara" in tex
    assert ":~:text=" not in tex
    assert "translated from Turkish" in tex


def test_citation_without_a_passage_fails_naming_chapter_line_and_key(tmp_path):
    _out, warnings = build(tmp_path, evidence=EVIDENCE.replace("beta:\n  only:", "delta:\n  only:"))
    assert "chapters/01-one.md:4: WARNING: citation of 'beta' has no passage in 01-one.evidence.yaml" in warnings


def test_citation_of_a_source_with_several_passages_must_name_one(tmp_path):
    _out, warnings = build(tmp_path, chapter=CHAPTER.replace("`alpha#ready`", "`alpha`"))
    assert "chapters/01-one.md:3: WARNING: citation of 'alpha' has 2 passages in 01-one.evidence.yaml" in warnings


def test_citation_naming_an_unknown_passage_fails_with_line_and_key(tmp_path):
    _out, warnings = build(tmp_path, chapter=CHAPTER.replace("alpha#ready", "alpha#redy"))
    assert "chapters/01-one.md:3: WARNING: citation 'alpha#redy': no such passage" in warnings


def test_passage_over_thirty_words_fails_at_the_evidence_file_line(tmp_path):
    long = " ".join(f"word{n}" for n in range(31))
    _out, warnings = build(tmp_path, evidence=EVIDENCE.replace(
        "A second, separate statement from the same report.", long))
    assert "01-one.evidence.yaml:5: WARNING: alpha#second: passage has 31 words (at most 30" in warnings


def test_quotation_not_in_its_passage_fails_and_one_in_it_passes(tmp_path):
    _out, warnings = build(tmp_path, chapter=CHAPTER.replace('"ready for duty"', '"fully ready for duty"'))
    assert "chapters/01-one.md:3: WARNING: quotation “fully ready for duty” is not, word for word" in warnings
    _out, warnings = build(tmp_path, chapter=CHAPTER.replace('"ready for duty"', '"Ready for duty and deployed"'))
    assert warnings == "", warnings


def test_passage_that_no_citation_uses_fails_at_its_line(tmp_path):
    _out, warnings = build(tmp_path, evidence=EVIDENCE + "  spare:\n    text: \"Unused words.\"\n")
    assert "01-one.evidence.yaml:12: WARNING: passage beta#spare is cited nowhere" in warnings


def test_non_english_passage_without_translation_and_unknown_key_fail(tmp_path):
    evidence = EVIDENCE.replace('    translation: "The system is kept in storage."\n', "")
    evidence += "zeta:\n  x:\n    text: \"Words.\"\n"
    chapter = CHAPTER.replace("alpha#second,beta`", "alpha#second,beta`\nMore.{footcite}`alpha#ready,zeta`")
    _out, warnings = build(tmp_path, chapter=chapter, evidence=evidence)
    assert "beta#only: passage in 'tr' needs an English 'translation'" in warnings
    assert "zeta: not a key of the bibliography" in warnings


def test_malformed_evidence_file_fails_naming_it_and_the_line(tmp_path):
    _out, warnings = build(tmp_path, evidence="alpha:\n  ready: [unclosed\n")
    assert re.search(r"01-one\.evidence\.yaml:\d+: WARNING: not valid YAML", warnings), warnings


def test_helpers_split_targets_normalise_and_build_fragments():
    assert split_target("a#x, b") == [("a", "x"), ("b", None)]
    assert citation_keys("a#x,b#y , c") == ["a", "b", "c"]
    assert normalise("It’s  “done” — now") == normalise("it's \"done\" - now")
    assert quote_found("ready … Ankara", [{"text": "ready for duty near Ankara", "translation": ""}])
    assert not quote_found("ready Ankara", [{"text": "ready for duty near Ankara", "translation": ""}])
    assert text_fragment("one two-three") == "text=one%20two%2Dthree"
    assert text_fragment(" ".join(str(n) for n in range(12))) == "text=0%201%202%203,8%209%2010%2011"
    assert with_fragment("https://x.org/a#sec", "hi") == "https://x.org/a#sec:~:text=hi"


def test_evidence_report_counts_citations_passages_and_gaps(tmp_path):
    import evidence_report
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01-one.md").write_text(
        "---\nowner: A\n---\n# One\n\nCited.{footcite}`alpha#ready,beta`\nNot cited at all.\n"
        "Cited but unsupported.{footcite}`gamma`\n", encoding="utf-8")
    (tmp_path / "chapters" / "01-one.evidence.yaml").write_text(EVIDENCE, encoding="utf-8")
    rows = list(evidence_report.chapter_rows(tmp_path))
    assert rows == [("01-one.md", 3, 3, 1, 1, 1, ["gamma"])]


def test_two_passages_of_one_source_in_one_citation_make_one_mark_with_both(tmp_path):
    from bs4 import BeautifulSoup
    chapter = CHAPTER.replace("{footcite}`alpha#ready`\n", "{footcite}`alpha#ready,alpha#second`\n\n")
    out, warnings = build(tmp_path, chapter=chapter)
    assert "WARNING" not in warnings, warnings
    soup = BeautifulSoup((out / "chapters" / "01-one.html").read_text(encoding="utf-8"), "lxml")
    first_sentence = soup.find(string=re.compile("ready for duty")).find_parent("p")
    marks = first_sentence.select("a.footnote-reference")
    assert len(marks) == 1, [m.get_text() for m in marks]  # not "1, 1"
    tip = marks[0].find_next_sibling("span", class_="evidence-tip").get_text(" ")
    assert "ready for duty and deployed" in tip and "second, separate statement" in tip


def test_pdf_gives_each_chapter_its_own_passages_when_two_chapters_cite_one_source(tmp_path):
    """In the PDF's whole-book doctree both chapters have a note "footcite-alpha"; each note must
    list the passage its own chapter cites, and a chapter without evidence lists none."""
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(CONF + 'latex_documents = [("index", "tiny.tex", "Tiny", "A", "manual")]\n',
                                 encoding="utf-8")
    (src / "refs.bib").write_text(BIB, encoding="utf-8")
    (src / "index.md").write_text("# Tiny book\n\n```{toctree}\nchapters/01-one\nchapters/02-two\nchapters/93-annex\n```\n",
                                  encoding="utf-8")
    note = "\n## Notes\n\n```{footbibliography}\n```\n"
    (src / "chapters" / "01-one.md").write_text("# One\n\nFirst.{footcite}`alpha#ready`\n" + note, encoding="utf-8")
    (src / "chapters" / "02-two.md").write_text("# Two\n\nSecond.{footcite}`alpha#second`\n" + note, encoding="utf-8")
    (src / "chapters" / "93-annex.md").write_text("# Annex\n\nThird.{footcite}`alpha`\n" + note, encoding="utf-8")
    one, two = EVIDENCE.split("  second:")[0], "alpha:\n  second:" + EVIDENCE.split("  second:")[1].split("beta:")[0]
    (src / "chapters" / "01-one.evidence.yaml").write_text(one.split("beta:")[0], encoding="utf-8")
    (src / "chapters" / "02-two.evidence.yaml").write_text(two, encoding="utf-8")
    out, warnings = build_tiny_book(src, tmp_path / "out", "latex")
    assert "WARNING" not in warnings, warnings
    tex = (out / "tiny.tex").read_text(encoding="utf-8")
    chapters = re.split(r"\\chapter\{", tex)[1:]
    assert len(chapters) == 3
    assert "ready for duty and deployed" in chapters[0] and "second, separate" not in chapters[0]
    assert "second, separate" in chapters[1] and "ready for duty and deployed" not in chapters[1]
    assert "Passage" not in chapters[2]
