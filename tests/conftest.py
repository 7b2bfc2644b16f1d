"""Shared fixtures: the book is built once per test run into a temporary folder.

`make test` runs the tests on every core (pytest-xdist). A session fixture would run once per
worker, so the whole-book builds go through ``shared_build``: the first worker to ask builds
under a file lock, the others wait and read the same result. Tests never modify the working
tree: behaviour that needs broken input builds a throwaway copy of the book (``book_copy``)
and edits that.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from briefing import bookconf
from briefing.dates import source_date_epoch
from briefing.project import COPY_IGNORE

ROOT = Path(__file__).resolve().parent.parent

ARTIFACTS = ROOT / "test-artifacts"

# Builds take their time from the book's as-of date (conf.py), as `make html` does: never
# from the clock, and never from a date written into the tests.
AS_OF = bookconf.load(ROOT)["briefing_as_of"]
BUILD_ENV = {"SOURCE_DATE_EPOCH": source_date_epoch(AS_OF), "BRIEFING_COMMIT": "test"}


@dataclass
class Build:
    returncode: int
    output: str
    outdir: Path
    srcdir: Path

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.output.splitlines() if "WARNING" in line or "ERROR" in line]


def sphinx_build(srcdir: Path, outdir: Path, builder: str = "html", extra=(), doctrees: Path | None = None) -> Build:
    """Run sphinx-build the way `make html` does (-W -n --keep-going) and capture everything."""
    env = dict(os.environ, **BUILD_ENV)
    doctrees = doctrees or outdir.parent / f"doctrees-{outdir.name}"
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-W", "-n", "--keep-going", "-q",
           "-d", str(doctrees), str(srcdir), str(outdir), *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=srcdir)
    return Build(result.returncode, result.stdout + result.stderr, outdir, srcdir)


def build_tiny_book(src: Path, out: Path, builder: str = "html") -> tuple[Path, str]:
    """Build a small test book in-process (sphinx.testing); return its output folder and its
    warnings as plain text. Each extension's own tests use one of these, not the whole book."""
    from sphinx.testing.util import SphinxTestApp

    warnings = io.StringIO()
    app = SphinxTestApp(builder, srcdir=src, builddir=out, freshenv=True, status=io.StringIO(), warning=warnings)
    try:
        app.build()
    finally:
        app.cleanup()
    return app.outdir, re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())


def require_tool(name: str) -> str:
    """Path of a system tool; skip without it, but fail in CI where nothing may be skipped."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (see system-packages.txt)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    return path


def shared_build(tmp_path_factory, worker_id: str, name: str, make) -> Build:
    """``make(folder)`` run once for the whole test run, however many workers ask for it.

    The folder lives in the run's common temporary directory; a file lock makes the other
    workers wait for the first, and the Build is kept as JSON beside the folder for them.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # pytest-N/, shared by the workers popen-gw0, popen-gw1, ...
    record = root / f"{name}.json"
    with FileLock(str(root / f"{name}.lock")):
        if not record.exists():
            build = make(root / name)
            record.write_text(json.dumps({"returncode": build.returncode, "output": build.output,
                                          "outdir": str(build.outdir), "srcdir": str(build.srcdir)}))
    data = json.loads(record.read_text())
    return Build(data["returncode"], data["output"], Path(data["outdir"]), Path(data["srcdir"]))


@pytest.fixture(scope="session")
def html_build(tmp_path_factory, worker_id) -> Build:
    """The real book, built once per test run as `make html` builds it."""
    return shared_build(tmp_path_factory, worker_id, "book-html", lambda folder: sphinx_build(ROOT, folder / "html"))


@pytest.fixture(scope="session")
def epub_build(tmp_path_factory, worker_id, html_build) -> Build:
    """The real book as an EPUB, built once per test run from the HTML build's doctrees, as
    `sphinx-build -M` shares them between builders (the pages are not read twice)."""
    doctrees = html_build.outdir.parent / f"doctrees-{html_build.outdir.name}"
    return shared_build(tmp_path_factory, worker_id, "book-epub",
                        lambda folder: sphinx_build(ROOT, folder / "epub", builder="epub", doctrees=doctrees))


AFTER_ANY_CLOCK = 4102444800  # 2100-01-01 UTC: later than the real clock and faketime's 2030


@dataclass
class Contribution:
    scaffold: Build  # the copy built right after `make chapter`
    scaffold_text: str  # the new chapter as `make chapter` wrote it
    build: Build  # the copy built again after the contributor's edits
    chapter: Path


@pytest.fixture(scope="session")
def contribution(tmp_path_factory, worker_id) -> Contribution:
    """A contributor following CONTRIBUTING.md on a copy of the book, built once per test run:
    `make chapter`, build (placeholders reported, build green); then replace the placeholders,
    cite two sources with their passages, add an event to the chronology data, and build again
    (incrementally, as a contributor's second `make html` does)."""
    name = "06-arms-sales-to-the-region"

    def make(folder: Path) -> Build:
        book = folder / "book"
        shutil.copytree(ROOT, book, ignore=COPY_IGNORE)
        made = subprocess.run([sys.executable, "tools/chapter.py", "Arms sales to the region", "--owner", "A. Analyst"],
                              cwd=book, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        new = book / "chapters" / f"{name}.md"
        text = new.read_text(encoding="utf-8")
        (folder / "scaffold.md").write_text(text, encoding="utf-8")
        first = sphinx_build(book, book / "_build" / "html")
        (folder / "scaffold.json").write_text(json.dumps([first.returncode, first.output]))
        bib = (book / "references.bib").read_text(encoding="utf-8")
        keys = re.findall(r"^@\w+\{([^,]+),", bib, re.MULTILINE)[:2]
        text = re.sub(r"- PLACEHOLDER: [^\n]*", "- A summary of a cited section below.", text)
        text = text.replace("## PLACEHOLDER: first section heading", "## First section")
        text = text.replace("## PLACEHOLDER: second section heading", "## Second section")
        text = re.sub(r"PLACEHOLDER: write one sentence per line\.\n[^\n]*\n",
                      f"A sourced statement made in 2019.{{footcite}}`{keys[0]}#first`\n", text)
        text = re.sub(r"PLACEHOLDER: attribute[^\n]*\n", f"Another sourced statement.{{footcite}}`{keys[1]}#second`\n", text)
        new.write_text(text, encoding="utf-8")
        evidence = new.with_suffix(".evidence.yaml")  # written by make chapter, next to the chapter
        evidence.write_text(evidence.read_text(encoding="utf-8") + f'{keys[0]}:\n  first:\n    text: "the first passage"\n'
                            f'{keys[1]}:\n  second:\n    text: "the second passage"\n', encoding="utf-8")
        data = book / "data" / "chronology.yaml"
        key = re.findall(r"cite: \[([^\],]+)", data.read_text(encoding="utf-8"))[-1]
        with data.open("a", encoding="utf-8") as stream:
            stream.write(f'\n- date: 2026-11-01\n  lane: us-congress\n  event: "Test event added by the test suite."\n'
                         f'  cite: [{key}]\n  figure: true\n  short: "Test event"\n')
        # Sphinx re-reads a page whose file (or data it depends on) is newer than the time it
        # read it. CI runs the suite a second time under faketime (2030), where that read time
        # is later than any real file time: the edited files get a fixed stamp after both clocks.
        for edited in (new, evidence, data):
            os.utime(edited, (AFTER_ANY_CLOCK, AFTER_ANY_CLOCK))
        return sphinx_build(book, book / "_build" / "html")

    build = shared_build(tmp_path_factory, worker_id, "contribution", make)
    folder = build.srcdir.parent
    code, output = json.loads((folder / "scaffold.json").read_text())
    return Contribution(Build(code, output, build.outdir, build.srcdir), (folder / "scaffold.md").read_text(encoding="utf-8"),
                        build, build.srcdir / "chapters" / f"{name}.md")


@pytest.fixture
def book_copy(tmp_path) -> Path:
    """A throwaway copy of the book's sources to break on purpose."""
    dest = tmp_path / "book"
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    return dest


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def build_pdf(builddir, paper: str | None = None):
    """`make pdf` (tools/build.py pdf) into builddir; paper as `make pdf PAPER=...` (None: the default)."""
    env = dict(os.environ, **BUILD_ENV)
    extra = ["-D", f"briefing_paper={paper}"] if paper else []
    result = subprocess.run([sys.executable, "tools/build.py", "pdf", "--builddir", str(builddir), "--",
                             "-W", "-n", "--keep-going", "-q", *extra], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return builddir / "pdf" / "briefing.pdf"


def title_page_after_make_html(builddir: Path) -> str:
    """`make html` into a build folder that already holds a PDF (book or brief), as a user runs
    it after `make pdf` or `make brief`; returns the title page's HTML."""
    env = dict(os.environ, **BUILD_ENV)
    result = subprocess.run([sys.executable, "tools/build.py", "html", "--builddir", str(builddir), "--", "-W", "-n",
                             "-q"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return (builddir / "html" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def pdf(tmp_path_factory, worker_id):
    for tool in ("latexmk", "xelatex", "pdftotext", "pdftoppm"):
        require_tool(tool)
    def make(folder):
        path = build_pdf(folder)
        return Build(0, "", path, ROOT)
    return shared_build(tmp_path_factory, worker_id, "book-pdf", make).outdir


def build_brief(builddir: Path, paper: str) -> Path:
    """`make brief PAPER=paper` (tools/build.py brief) into builddir."""
    env = dict(os.environ, **BUILD_ENV)
    result = subprocess.run([sys.executable, "tools/build.py", "brief", "--builddir", str(builddir), "--",
                             "-W", "-n", "--keep-going", "-q", "-D", f"briefing_paper={paper}"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return builddir / "brief" / "brief.pdf"


def shared_brief(tmp_path_factory, worker_id, paper: str) -> tuple[str, Path]:
    """The brief in one paper size, built once per test run."""
    for tool in ("latexmk", "xelatex", "pdftotext", "pdfinfo", "pdftoppm"):
        require_tool(tool)
    built = shared_build(tmp_path_factory, worker_id, f"brief-{paper}",
                         lambda folder: Build(0, "", build_brief(folder, paper), ROOT))
    return paper, built.outdir


@pytest.fixture(scope="session")
def default_brief(tmp_path_factory, worker_id) -> tuple[str, Path]:
    """The brief in the default size (Letter): for what does not depend on the paper."""
    return shared_brief(tmp_path_factory, worker_id, "letter")


@pytest.fixture(scope="session")
def html_after_pdf_and_brief(tmp_path_factory, worker_id, html_build, pdf, default_brief) -> Path:
    """The HTML output of `make html` run in a build folder that holds the book's PDF and the
    brief (as after `make html`, `make pdf` and `make brief`), built once per test run. The first
    `make html` left its doctrees there: the tags that offer the downloads change what is
    written, not what is read (``{only}`` is resolved at write time)."""
    def make(folder: Path) -> Build:
        shutil.copytree(html_build.outdir.parent / f"doctrees-{html_build.outdir.name}", folder / "doctrees")
        for built, target in ((pdf, folder / "pdf" / "briefing.pdf"), (default_brief[1], folder / "brief" / "brief.pdf")):
            target.parent.mkdir(parents=True)
            shutil.copyfile(built, target)
        title_page_after_make_html(folder)
        return Build(0, "", folder / "html", ROOT)
    return shared_build(tmp_path_factory, worker_id, "html-after-pdf-and-brief", make).outdir


@pytest.fixture(scope="session")
def pdf_text(pdf):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# Module-scoped fixtures run once per worker that needs them. With `--dist loadgroup` (the
# Makefile's `make test`), the tests that share one of these costly fixtures go to one worker,
# so it runs once per test run; every other test is handed to whichever worker is free.
ONE_WORKER = {"broken_build": "bad-input", "newcomer": "newcomer", "report": "linkcheck",
              "content_report": "linkcheck-content", "first_redline": "redline"}


def pytest_itemcollected(item):
    """Mark as soon as a test is collected: xdist reads the marks in its collection hook."""
    groups = [ONE_WORKER[name] for name in getattr(item, "fixturenames", ()) if name in ONE_WORKER]
    if groups:
        item.add_marker(pytest.mark.xdist_group(groups[0]))
