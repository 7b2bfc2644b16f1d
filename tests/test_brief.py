"""The two-page meeting brief (`make brief`) in both paper sizes, and the paper size setting.

Each size of the brief is built once per test run through `tools/build.py brief`, as `make brief`
builds it; the tests read its text, pages, link annotations and word positions back.
"""

import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, build_brief, build_tiny_book, require_tool, shared_brief

from briefing import bibcheck
from briefing.brief import extract_block
from briefing.paper import PAGE_POINTS

pytestmark = pytest.mark.pdf
SIZES = ["letter", "a4"]
SUMMARY = ROOT / "chapters" / "00-summary.md"


@pytest.fixture(scope="session", params=SIZES)
def brief(request, tmp_path_factory, worker_id) -> tuple[str, Path]:
    """The brief in each paper size, built once per test run."""
    return shared_brief(tmp_path_factory, worker_id, request.param)


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def letters(text: str) -> str:
    """Letters and digits only: line breaks, hyphenation and LaTeX's curly quotes do not count."""
    return re.sub(r"\W", "", text.replace("-\n", "").replace("\u00ad", ""))


def plain_markdown(line: str) -> str:
    """A summary line as the brief prints it: no citations, roles reduced to their text."""
    line = re.sub(r"\{footcite\}`[^`]*`", "", line)
    return re.sub(r"\{\w+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", line).lstrip("- ").strip()


def pdfinfo(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def page_size(pdf: Path) -> tuple[float, float]:
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", pdfinfo(pdf))
    return float(match.group(1)), float(match.group(2))


def test_brief_fits_on_two_pages_of_its_paper_size(brief):
    paper, pdf = brief
    pages = int(re.search(r"Pages:\s+(\d+)", pdfinfo(pdf)).group(1))
    assert 1 <= pages <= 2, f"{paper}: {pages} pages"
    assert page_size(pdf) == pytest.approx(PAGE_POINTS[paper], abs=0.5)


def test_brief_shows_title_edition_and_as_of_date_from_conf(brief):
    import conf
    _paper, pdf = brief
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert conf.project in first and conf.edition in first
    assert f"Information as of {conf.as_of_text}" in first


def test_brief_holds_every_key_judgment_bottom_line_point_and_watch_item_of_the_summary(brief):
    _paper, pdf = brief
    text = letters(text_of(pdf))
    summary = SUMMARY.read_text(encoding="utf-8")
    blocks = {"key judgments": extract_block(summary, section="Key judgments", list_only=True)[1],
              "what to watch": extract_block(summary, section="What to watch next", list_only=True)[1],
              "bottom line": extract_block(summary, admonition="Key points")[1]}
    for name, lines in blocks.items():
        items = [plain_markdown(line) for line in lines if line.startswith("- ")]
        assert len(items) >= 3, f"{name}: too few items read from the summary: {items}"
        missing = [item for item in items if letters(item) not in text]
        assert not missing, f"{name} missing from the brief: {missing}"
    assert "footcite" not in text and "{term}" not in text


def brief_source_keys() -> list[str]:
    return re.findall(r'key == "([^"]+)"', (ROOT / "brief.md").read_text(encoding="utf-8"))


def test_key_sources_are_numbered_bib_entries_with_live_links_to_their_addresses(brief):
    from pypdf import PdfReader

    import conf
    _paper, pdf = brief
    data, _ = bibcheck.check_bibfile(ROOT / "references.bib", conf.briefing_as_of)
    keys = brief_source_keys()
    assert 5 <= len(keys) <= 12, keys
    unknown = [key for key in keys if key not in data.entries]
    assert not unknown, f"brief.md names sources missing from references.bib: {unknown}"
    uris = {annot.get_object()["/A"].get("/URI") for page in PdfReader(str(pdf)).pages
            for annot in (page.get("/Annots") or [])
            if annot.get_object().get("/Subtype") == "/Link" and "/A" in annot.get_object()}
    for key in keys:
        assert str(data.entries[key].fields["url"]) in uris, f"{key}: no link to its address in the brief"
    text = text_of(pdf)
    numbers = re.findall(r"^(\d+)\.\s", text, re.MULTILINE)
    assert [int(n) for n in numbers[-len(keys):]] == list(range(1, len(keys) + 1)), numbers


def test_no_word_of_the_brief_runs_into_the_margin_or_off_the_page(brief, tmp_path):
    paper, pdf = brief
    bbox = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True)
    outside = []
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox.read_text(encoding="utf-8"), re.S)
    for number, (width, height, body) in enumerate(pages, 1):
        for x_min, y_min, x_max, y_max, word in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', body):
            if float(x_min) < 36 or float(x_max) > float(width) - 36 or float(y_min) < 36 \
                    or float(y_max) > float(height) - 36:
                outside.append(f"{paper} page {number}: {word[:60]}")
    assert not outside, outside[:20]


def test_brief_pages_render_to_png_for_review(default_brief, artifacts):
    _paper, pdf = default_brief  # the default size is the one reviewed in test-artifacts/
    for page in (1, 2):
        name = f"brief-page-{page}"
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                        str(artifacts / name)], check=True)
        assert (artifacts / f"{name}.png").stat().st_size > 5000


def test_book_pdf_is_letter_by_default(pdf):
    require_tool("pdfinfo")
    assert page_size(pdf) == pytest.approx(PAGE_POINTS["letter"], abs=0.5)


@pytest.mark.parametrize("paper", SIZES)
def test_briefing_paper_sets_the_page_size_of_a_latex_book(tmp_path, paper):
    """The same setting the book uses, in a tiny book compiled by latexmk (cheap: one short page)."""
    for tool in ("latexmk", "xelatex", "pdfinfo"):
        require_tool(tool)
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(f'extensions = ["briefing.paper"]\nbriefing_paper = "{paper}"\n'
                                 'latex_engine = "xelatex"\nproject = "Tiny"\n', encoding="utf-8")
    (src / "index.rst").write_text("Tiny\n====\n\nOne page.\n", encoding="utf-8")
    out, warnings = build_tiny_book(src, tmp_path / "out", builder="latex")
    assert not warnings, warnings
    tex = next(Path(out).glob("*.tex"))
    subprocess.run(["latexmk", "-pdfxe", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=out,
                   capture_output=True, check=True)
    assert page_size(tex.with_suffix(".pdf")) == pytest.approx(PAGE_POINTS[paper], abs=0.5)


def test_an_unknown_paper_size_stops_the_build_naming_the_allowed_ones(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["briefing.paper"]\nbriefing_paper = "legal"\n', encoding="utf-8")
    (src / "index.rst").write_text("Tiny\n====\n", encoding="utf-8")
    from sphinx.errors import ConfigError
    with pytest.raises(ConfigError, match="letter, a4"):
        build_tiny_book(src, tmp_path / "out", builder="latex")


def test_two_builds_give_the_same_brief_bytes(default_brief, tmp_path):
    paper, pdf = default_brief
    assert build_brief(tmp_path, paper).read_bytes() == pdf.read_bytes(), "same commit, different brief bytes"


def test_html_title_page_offers_the_brief_once_it_is_built(default_brief, html_after_pdf_and_brief):
    _paper, pdf = default_brief
    index = (html_after_pdf_and_brief / "index.html").read_text(encoding="utf-8")
    assert 'href="brief.pdf"' in index and "two-page meeting brief" in index
    assert (html_after_pdf_and_brief / "brief.pdf").read_bytes() == pdf.read_bytes()


def tiny_brief_book(src: Path, brief_md: str) -> Path:
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_parser", "briefing.brief"]\nproject = "Tiny"\n'
                                 'include_patterns = ["index.md"]\n', encoding="utf-8")
    (src / "summary.md").write_text("# Summary\n\n```{admonition} Key points\n:class: key-points\n\n- Point one.\n```\n\n"
                                    "## Key judgments\n\n- Judgment one.\n- Judgment two.\n\nA closing paragraph.\n\n"
                                    "## Later\n\nNot in the brief.\n", encoding="utf-8")
    (src / "index.md").write_text(brief_md, encoding="utf-8")
    return src


def test_brief_extract_brings_a_section_list_and_an_admonition_body_and_nothing_else(tmp_path):
    src = tiny_brief_book(tmp_path / "src", "---\norphan: true\n---\n# Brief\n\n"
                          "```{brief-extract} summary.md\n:admonition: Key points\n```\n\n"
                          "```{brief-extract} summary.md\n:section: Key judgments\n:list-only:\n```\n")
    out, warnings = build_tiny_book(src, tmp_path / "out")
    assert "WARNING" not in warnings and "ERROR" not in warnings, warnings
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Point one." in html and "Judgment one." in html and "Judgment two." in html
    assert "A closing paragraph." not in html and "Not in the brief." not in html and ":class:" not in html


def test_brief_extract_of_a_missing_section_fails_at_the_brief_line(tmp_path):
    src = tiny_brief_book(tmp_path / "src", "# Brief\n\n```{brief-extract} summary.md\n:section: Key judgements\n```\n")
    _out, warnings = build_tiny_book(src, tmp_path / "out")
    assert re.search(r"index\.md:3: (ERROR|WARNING).*no section headed 'Key judgements'", warnings), warnings


def test_in_the_brief_run_a_citation_prints_nothing_but_an_unknown_key_fails_naming_it(tmp_path):
    import io

    from sphinx.testing.util import SphinxTestApp

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_parser", "sphinxcontrib.bibtex", "briefing.brief"]\n'
                                 'bibtex_bibfiles = ["refs.bib"]\nproject = "Tiny"\ninclude_patterns = ["index.md"]\n',
                                 encoding="utf-8")
    (src / "refs.bib").write_text("@misc{known2020, title = {A title}, year = {2020}}\n", encoding="utf-8")
    (src / "summary.md").write_text("# Summary\n\n## Key judgments\n\n- Cited.{footcite}`known2020#passage`\n"
                                    "- Miscited.{footcite}`unknown2099`\n", encoding="utf-8")
    (src / "index.md").write_text("# Brief\n\n```{brief-extract} summary.md\n:section: Key judgments\n```\n",
                                  encoding="utf-8")
    warnings = io.StringIO()
    app = SphinxTestApp("html", srcdir=src, builddir=tmp_path / "out", freshenv=True, tags=["brief"],
                        status=io.StringIO(), warning=warnings)
    try:
        app.build()
    finally:
        app.cleanup()
    text = re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())
    assert "citation key 'unknown2099' is not in references.bib" in text and "known2020'" not in text, text
    html = (app.outdir / "index.html").read_text(encoding="utf-8")
    assert "Cited." in html and "footnote" not in html.lower()
