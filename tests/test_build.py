"""The book builds cleanly, identically twice, offline, and fails loudly on bad set-up."""

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import ROOT, sphinx_build

EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?([^'")\s]+)""", re.IGNORECASE)


def html_pages(outdir: Path):
    return sorted(p for p in outdir.rglob("*.html"))


def test_book_builds_with_zero_warnings_under_nitpicky_strict_mode(html_build):
    assert html_build.returncode == 0 and not html_build.warnings, "\n".join(
        html_build.warnings or [html_build.output[-3000:]])


def test_every_page_footer_shows_edition_and_as_of_date(html_build):
    import conf  # noqa: PLC0415 - the one place the edition and date are set
    for page in html_pages(html_build.outdir):
        if page.name in {"search.html", "genindex.html"}:
            continue
        footer = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").find("footer")
        text = " ".join(footer.get_text(" ").split()) if footer else ""
        assert conf.edition in text and conf.as_of_text in text, f"{page.name}: footer lacks edition/as-of date"


def test_title_page_shows_title_edition_as_of_date_and_a_card_per_chapter(html_build):
    import conf  # noqa: PLC0415
    soup = BeautifulSoup((html_build.outdir / "index.html").read_text(encoding="utf-8"), "lxml")
    text = " ".join(soup.get_text(" ").split())
    assert conf.project in text and conf.edition in text and f"Information as of {conf.as_of_text}" in text
    cards = {a["href"].split("#")[0] for a in soup.select("a.sd-stretched-link")}
    chapters = {f"chapters/{p.stem}.html" for p in (ROOT / "chapters").glob("0*.md")}
    assert chapters <= cards, f"chapters without a card on the title page: {sorted(chapters - cards)}"


def test_built_html_loads_nothing_from_other_hosts(html_build):
    offenders = []
    for page in html_pages(html_build.outdir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        for tag in soup.find_all(src=True):
            if EXTERNAL.match(tag["src"]):
                offenders.append(f"{page.name}: <{tag.name} src={tag['src']}>")
        for tag in soup.find_all("link", href=True):
            if EXTERNAL.match(tag["href"]) and not set(tag.get("rel", [])) <= {"canonical"}:
                offenders.append(f"{page.name}: <link href={tag['href']}>")
        for tag in soup.find_all("style"):
            offenders += [f"{page.name}: <style> {u}" for u in CSS_URL.findall(tag.get_text()) if EXTERNAL.match(u)]
        for tag in soup.find_all(style=True):
            offenders += [f"{page.name}: style= {u}" for u in CSS_URL.findall(tag["style"]) if EXTERNAL.match(u)]
    for css in html_build.outdir.rglob("*.css"):
        offenders += [f"{css.name}: {u}" for u in CSS_URL.findall(css.read_text(encoding="utf-8")) if EXTERNAL.match(u)]
    assert not offenders, "resources loaded from other hosts:\n" + "\n".join(offenders)


def test_two_builds_of_the_same_sources_are_byte_identical(html_build, tmp_path):
    second = sphinx_build(ROOT, tmp_path / "html")
    assert second.returncode == 0, second.output[-2000:]
    compared = filecmp.dircmp(html_build.outdir, second.outdir)
    differing = []

    def walk(cmp, prefix=""):
        differing.extend(prefix + name for name in cmp.diff_files + cmp.left_only + cmp.right_only)
        for name, sub in cmp.subdirs.items():
            walk(sub, prefix + name + "/")
    walk(compared)
    # dircmp compares shallowly (size+mtime); confirm byte equality file by file.
    for path in html_build.outdir.rglob("*"):
        if path.is_file():
            other = second.outdir / path.relative_to(html_build.outdir)
            if other.exists() and path.read_bytes() != other.read_bytes():
                differing.append(str(path.relative_to(html_build.outdir)))
    assert not differing, f"files differ between two builds: {sorted(set(differing))}"


def run_make_html(book: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "tools/build.py", "html", "--", "-W", "-n", "--keep-going", "-q"],
                          cwd=book, capture_output=True, text=True)


def test_broken_conf_value_gives_one_line_error_naming_conf_py(book_copy):
    conf = book_copy / "conf.py"
    conf.write_text(conf.read_text(encoding="utf-8").replace("as_of = datetime.date(", "as_of = datetime.dat("),
                    encoding="utf-8")
    result = run_make_html(book_copy)
    assert result.returncode != 0
    assert "conf.py" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr


def test_missing_bib_file_gives_one_line_error_naming_it(book_copy):
    (book_copy / "references.bib").unlink()
    result = run_make_html(book_copy)
    assert result.returncode != 0
    assert "references.bib" in result.stdout + result.stderr and "file not found" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_epub_export_builds_cleanly(epub_build):
    build = epub_build
    assert build.returncode == 0, "\n".join(build.warnings) or build.output[-2000:]
    assert (build.outdir / "briefing.epub").stat().st_size > 50_000


def test_two_epub_builds_of_the_same_sources_are_byte_identical(html_build, epub_build, tmp_path):
    """The ZIP entries carry SOURCE_DATE_EPOCH, not the time the files were written. The second
    EPUB is written from a copy of the same doctrees (what is read is compared by the two HTML
    builds above); what differs between two writes is what this test is about."""
    doctrees = tmp_path / "doctrees"
    shutil.copytree(html_build.outdir.parent / f"doctrees-{html_build.outdir.name}", doctrees)
    second = sphinx_build(ROOT, tmp_path / "epub", builder="epub", doctrees=doctrees)
    assert second.returncode == 0, second.output[-2000:]
    assert (second.outdir / "briefing.epub").read_bytes() == (epub_build.outdir / "briefing.epub").read_bytes()


def test_no_unreplaced_substitution_or_role_markup_reaches_the_html(html_build):
    leftovers = []
    for page in html_pages(html_build.outdir):
        text = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").get_text(" ")
        for marker in ("{{", "}}", "{footcite}", "{term}", "{ref}", "PLACEHOLDER"):
            if marker in text:
                leftovers.append(f"{page.relative_to(html_build.outdir)}: {marker}")
    assert not leftovers, leftovers
