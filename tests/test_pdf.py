"""The PDF export: built once per session with `tools/build.py pdf`, then read back."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUILD_ENV, ROOT, Build, build_pdf, shared_build

from briefing import bibcheck

pytestmark = pytest.mark.pdf
TURKISH = ["Erdoğan", "Türkiye", "İsmail Demir", "Savunma Sanayii Başkanlığı", "Mürted"]


def flat(text):
    return re.sub(r"\s+", "", text.replace("-\n", "").replace("\u00ad", ""))


def chapter_titles():
    index = (ROOT / "index.md").read_text(encoding="utf-8")
    docs = re.findall(r"^(chapters/[\w-]+)$", index, flags=re.MULTILINE)
    titles = []
    for doc in docs:
        match = re.search(r"^# (.+)$", (ROOT / f"{doc}.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
        titles.append(match.group(1).strip())
    return titles


def outline_titles(pdf):
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    return reader, [item for item in reader.outline if not isinstance(item, list)]


def test_every_chapter_is_in_the_outline_and_text_in_reading_order(pdf, pdf_text):
    _reader, items = outline_titles(pdf)
    titles = [re.sub(r"^([0-9]+|[A-Z]) ", "", item.title) for item in items]
    expected = chapter_titles()
    assert [t for t in titles if t in expected] == expected, titles
    for title in expected:
        assert flat(title) in flat(pdf_text), f"chapter title missing from the text: {title}"


def test_title_page_shows_title_edition_as_of_date_and_commit(pdf):
    import conf
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True).stdout
    assert conf.project in page1 and conf.edition in page1
    assert f"Information as of {conf.as_of_text}" in page1 and "commit test" in page1


def test_turkish_names_extract_intact(pdf_text):
    for name in TURKISH:
        assert name in pdf_text, f"{name!r} not found intact in the PDF text"
    assert "TÜRKIYE" not in pdf_text, "a heading was upper-cased"


def test_no_unresolved_references_or_empty_citations(pdf_text):
    for bad in ("??", "[?]", "[]", "[ ]"):
        assert bad not in pdf_text, f"{bad!r} in the PDF text"


def test_no_character_is_missing_from_the_fonts(pdf):
    log = (pdf.parent.parent / "latex" / "briefing.log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    assert not missing, f"characters the PDF fonts cannot draw: {missing}"


def test_bibliography_holds_every_entry_under_one_references_heading(pdf, pdf_text):
    from pypdf import PdfReader

    import conf
    data, _ = bibcheck.check_bibfile(ROOT / "references.bib", conf.briefing_as_of)
    def letters(value):  # LaTeX turns -- into a dash and ' into a curly quote: compare letters only
        return re.sub(r"\W", "", value)
    text = letters(pdf_text)
    missing = [key for key, entry in data.entries.items() if letters(str(entry.fields["title"]))[:40] not in text]
    assert not missing, f"bib entries missing from the PDF: {missing}"
    outline = [re.sub(r"^[A-Z0-9]+ ", "", item.title) for item in PdfReader(str(pdf)).outline
               if not isinstance(item, list)]
    assert outline.count("References") == 1 and "Bibliography" not in outline, outline
    assert "Bibliography" not in pdf_text


def test_page_count_links_outline_and_metadata(pdf):
    from pypdf import PdfReader
    reader = PdfReader(str(pdf))
    assert 25 <= len(reader.pages) <= 400, len(reader.pages)
    links = sum(1 for page in reader.pages for annot in (page.get("/Annots") or [])
                if annot.get_object().get("/Subtype") == "/Link")
    assert links > 100, f"only {links} link annotations"
    assert len(reader.outline) >= 8
    meta = reader.metadata
    assert meta.title and meta.author and meta.subject and "/Keywords" in meta


def test_pages_render_to_png_for_review(pdf, artifacts):
    reader, items = outline_titles(pdf)
    first_chapter = next(item for item in items if item.title.startswith("1 "))
    chapter_page = reader.get_destination_page_number(first_chapter) + 1
    for page, name in ((1, "pdf-title-page"), (chapter_page, "pdf-chapter-page")):
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                        str(artifacts / name)], check=True)
        assert (artifacts / f"{name}.png").stat().st_size > 5000
    shutil.copy(pdf, artifacts / "briefing.pdf")


def test_make_pdf_without_tex_stops_at_once_naming_the_packages(tmp_path):
    import os
    env = dict(os.environ, PATH=str(tmp_path))  # no latexmk, no xelatex
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build.py"), "pdf", "--builddir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "latexmk" in result.stderr and "texlive-xetex" in result.stderr and "apt-get install" in result.stderr


def test_html_title_page_offers_the_pdf_once_it_is_built(pdf, html_after_pdf_and_brief):
    index = (html_after_pdf_and_brief / "index.html").read_text(encoding="utf-8")
    assert 'href="briefing.pdf"' in index and "Download the PDF" in index
    assert (html_after_pdf_and_brief / "briefing.pdf").read_bytes() == pdf.read_bytes()


def _front_list(pdf, heading: str, next_heading: str) -> str:
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "10", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    start = text.index(heading)
    return text[start:text.index(next_heading, start + len(heading))]


def test_list_of_figures_and_list_of_tables_hold_their_entries_with_numbers_and_pages(pdf):
    """Sphinx writes tocdepth 0 for a :maxdepth: 1 toctree; the lists must not go empty."""
    figures = _front_list(pdf, "List of Figures", "List of Tables")
    tables = _front_list(pdf, "List of Tables", "Summary")
    number_and_page = re.compile(r"^\s*(\d+|[A-Z])\.\d+\s+\S.*?(\n.*?)?\.\s*\.[ .]*\d+\s*$", re.MULTILINE)
    assert len(number_and_page.findall(figures)) >= 2, figures
    assert len(number_and_page.findall(tables)) >= 2, tables
    assert "Chronology" in tables and "A.1" in figures


@pytest.fixture(scope="module")
def latexpdf(tmp_path_factory):
    """The book built by plain `sphinx-build -M latexpdf` (Sphinx's own make mode, no
    tools/build.py), in another folder, with the latexmk option the README gives for it
    (`-xelatex`: one xdvipdfmx run, as `make pdf` does; without it the text is the same but the
    PDF's /ID differs). Not with -q, which makes Sphinx replace LATEXMKOPTS."""
    out = tmp_path_factory.mktemp("latexpdf")
    env = dict(os.environ, **BUILD_ENV, LATEXMKOPTS="-xelatex -interaction=nonstopmode -halt-on-error")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-M", "latexpdf", str(ROOT), str(out)],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "latex" / "briefing.pdf"


def test_sphinx_build_latexpdf_gives_the_same_pdf_text_as_make_pdf(latexpdf, pdf_text):
    """Read the Docs runs plain `sphinx-build -M latexpdf`; nothing may depend on tools/build.py."""
    plain = subprocess.run(["pdftotext", "-enc", "UTF-8", str(latexpdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert plain == pdf_text
    # and the layout the extension gives both: the summary unnumbered, no bare "Notes" headings
    assert re.search(r"^Summary[ \t]*$", plain, re.MULTILINE)
    assert not re.search(r"^\d+(\.\d+)*[ \t]+Summary", plain, re.MULTILINE)
    assert not re.search(r"^(\d+(\.\d+)*[ \t]+)?Notes[ \t]*$", plain, re.MULTILINE)


def test_two_builds_give_the_same_pdf_bytes(pdf, latexpdf):
    """Two builds of the same commit, in two folders, by `make pdf` and by `sphinx-build -M
    latexpdf`: one file, byte for byte (dates from SOURCE_DATE_EPOCH, ids from the content)."""
    from pypdf import PdfReader
    assert dict(PdfReader(str(latexpdf)).metadata) == dict(PdfReader(str(pdf)).metadata)
    assert latexpdf.read_bytes() == pdf.read_bytes(), "same commit and SOURCE_DATE_EPOCH, different PDF bytes"


@pytest.fixture(scope="session")
def pdf_a4(tmp_path_factory, worker_id, pdf):
    """The book as `make pdf PAPER=a4` builds it after `make pdf` (the default is Letter), once
    per test run. As in a user's _build, the LaTeX doctrees of the first run are there: the paper
    size changes only what the LaTeX builder writes, so Sphinx does not read the pages again."""
    def make(folder: Path) -> Build:
        shutil.copytree(pdf.parent.parent / "doctrees-latex", folder / "doctrees-latex")
        return Build(0, "", build_pdf(folder, "a4"), ROOT)
    return shared_build(tmp_path_factory, worker_id, "book-pdf-a4", make).outdir


def test_make_pdf_paper_a4_gives_a4_pages(pdf_a4):
    info = subprocess.run(["pdfinfo", str(pdf_a4)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.28 x 841\.89 pts", info), info


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_no_word_runs_into_the_margin_or_off_the_page(request, paper, tmp_path):
    """Long URLs in notes and references must break (xurl), not run past the paper's edge, in
    both paper sizes."""
    pdf = request.getfixturevalue("pdf" if paper == "letter" else "pdf_a4")
    bbox = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(bbox)], check=True)
    text = bbox.read_text(encoding="utf-8")
    outside = []
    for number, (width, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', text, re.S), 1):
        limit = float(width) - 36  # half an inch: the least any printer leaves
        words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', body)
        for x_min, x_max, word in words:
            if float(x_max) > limit or float(x_min) < 36:
                outside.append(f"page {number}: {word[:60]}")
    assert not outside, outside[:20]


def test_pdf_carries_xmp_metadata_title_author_date_and_language_from_conf(pdf):
    import conf
    xmp = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True, text=True, check=True).stdout
    def field(name):
        block = re.search(rf"<dc:{name}>(.*?)</dc:{name}>", xmp, re.S)
        assert block, f"no dc:{name} in the XMP stream"
        return " ".join(re.findall(r"<rdf:li[^>]*>([^<]*)</rdf:li>", block.group(1)))
    assert field("title") == conf.project
    assert field("creator") == conf.author
    assert field("date") == conf.briefing_as_of.isoformat()  # the book's date, never the clock
    assert field("language") == conf.language
    assert f"<xmp:CreateDate>{conf.briefing_as_of.isoformat()}T00:00:00Z</xmp:CreateDate>" in xmp
