"""The README's first command holds wherever a newcomer's copy lives, on any day.

One throwaway copy of the book is built as `make html` does (tools/build.py) in all the
places a new user's copy really lives at once: a machine with nothing but Python, make and
git; a folder whose name has spaces; a ZIP download without git history; the C locale; a
calendar years past the book's as-of date. Each test checks one of them on that build. No test
reads the clock; the dates used are stated here.
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import AS_OF, BUILD_ENV, ROOT, require_tool

from briefing.chaptermeta import check_metadata
from briefing.dates import commit_bound
from briefing.project import COPY_IGNORE

SYSTEM_TOOLS = ("dot", "xelatex", "pdflatex", "latexmk", "chromium", "chromium-browser", "chromium-headless-shell",
                "pdftotext", "pdftoppm", "faketime", "java")


def copy_book(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE)
    return dest


def build_html(book: Path, env: dict, *prefix: str) -> subprocess.CompletedProcess:
    """tools/build.py html, the command behind `make html`, with output under book/_build."""
    return subprocess.run([*prefix, sys.executable, "tools/build.py", "html", "--", "-W", "-n", "--keep-going", "-q"],
                          cwd=book, env=env, capture_output=True, text=True)


def bare_path(tmp_path: Path) -> str:
    """A PATH holding the base system's commands minus every tool system-packages.txt brings."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for tool in Path(folder).iterdir() if Path(folder).is_dir() else []:
            if tool.name not in SYSTEM_TOOLS and not (bindir / tool.name).exists():
                (bindir / tool.name).symlink_to(tool)
    return str(bindir)


CLOCK = "2031-06-01 12:00:00"  # years after the book's as-of date


@dataclass
class Newcomer:
    book: Path
    path: str
    scaffold: subprocess.CompletedProcess
    build: subprocess.CompletedProcess
    clock_moved: bool


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory) -> Newcomer:
    """One copy of the book where a newcomer's copy really lives, built once: a ZIP download
    without git history, in a folder whose name has spaces, on a PATH with nothing but the base
    system (no Graphviz, TeX, Chromium or Java), in the C locale; `make chapter` has added a
    chapter, and both ran with the clock at CLOCK (when faketime is installed; the test about
    the clock requires it). Each test below checks one of these conditions."""
    tmp = tmp_path_factory.mktemp("newcomer")
    book = copy_book(tmp / "Briefing book (download)" / "turkey s400 f35-main")
    path = bare_path(tmp)
    env = {k: v for k, v in os.environ.items() if k not in {"BRIEFING_COMMIT", "PYTHONUTF8"}}
    env.update(PATH=path, LC_ALL="C", LANG="C", LANGUAGE="C", SOURCE_DATE_EPOCH=BUILD_ENV["SOURCE_DATE_EPOCH"],
               GIT_CEILING_DIRECTORIES=str(tmp))  # never find a repository above the copy
    faketime = shutil.which("faketime")
    prefix = [faketime, CLOCK] if faketime else []
    scaffold = subprocess.run([*prefix, sys.executable, "tools/chapter.py", "Arms sales", "--owner", "A. Analyst"],
                              cwd=book, env=env, capture_output=True, text=True)
    return Newcomer(book, path, scaffold, build_html(book, env, *prefix), clock_moved=bool(faketime))


def test_html_builds_with_only_python_make_and_git_no_graphviz_tex_or_chromium(newcomer):
    for tool in SYSTEM_TOOLS:
        assert shutil.which(tool, path=newcomer.path) is None, tool
    result = newcomer.build
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "file://" in result.stdout and "index.html" in result.stdout, "the build must say which page to open"
    figures = list((newcomer.book / "_build" / "html" / "_images").glob("graphviz-*.svg"))
    assert figures, "the legal-pathway figure was not drawn"
    assert "graphviz-pure" in figures[0].read_text(encoding="utf-8"), "drawn by something other than graphviz-pure"


def test_html_builds_in_a_folder_with_spaces_from_a_zip_download_without_git_history(newcomer):
    assert " " in str(newcomer.book) and not (newcomer.book / ".git").exists()
    assert newcomer.build.returncode == 0, newcomer.build.stdout[-3000:] + newcomer.build.stderr[-3000:]
    title_page = (newcomer.book / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    assert "without git history" in title_page and "Built from commit" not in title_page


def test_html_builds_in_the_c_locale(newcomer):
    assert newcomer.build.returncode == 0, newcomer.build.stdout[-3000:] + newcomer.build.stderr[-3000:]
    words = ("Türkiye", "Erdoğan")  # a core chapter whose text has both, read back from its HTML
    chapter = next(p for p in sorted((newcomer.book / "chapters").glob("0*.md"))
                   if all(w in p.read_text(encoding="utf-8") for w in words))
    page = (newcomer.book / "_build" / "html" / "chapters" / f"{chapter.stem}.html").read_text(encoding="utf-8")
    assert all(w in page for w in words)


def test_make_chapter_years_after_the_as_of_date_gives_a_chapter_that_builds(newcomer):
    """The clock is moved to CLOCK (years after as_of) for the scaffold and the build."""
    require_tool("faketime")
    assert newcomer.clock_moved
    assert newcomer.scaffold.returncode == 0, newcomer.scaffold.stderr
    chapter = next((newcomer.book / "chapters").glob("0[6-9]-arms-sales.md"))
    assert "2031" not in chapter.read_text(encoding="utf-8"), "the scaffold must not carry the day it was made"
    assert newcomer.build.returncode == 0, newcomer.build.stdout[-3000:] + newcomer.build.stderr[-3000:]
    assert (newcomer.book / "_build" / "html" / "chapters" / f"{chapter.stem}.html").exists()


def test_review_after_the_information_date_is_normal_but_a_review_after_its_commit_is_an_error():
    as_of = datetime.date(2026, 11, 26)
    meta = {"owner": "A", "status": "reviewed", "last_reviewed": "2026-12-02", "as_of": "2026-11-20"}
    assert check_metadata(meta, as_of, bound=datetime.date(2026, 12, 2)) == []
    assert check_metadata(meta, as_of, bound=None) == []  # uncommitted edit or no git: no bound yet
    future = check_metadata(meta, as_of, bound=datetime.date(2026, 12, 1))
    assert any("in the future" in p for p in future), future
    assert any("after the book's as-of" in p for p in check_metadata(dict(meta, as_of="2026-12-01"), as_of))
    assert any("lacks 'last_reviewed'" in p for p in check_metadata({"owner": "A", "status": "reviewed"}, as_of))
    assert check_metadata({"owner": "A", "status": "draft"}, as_of) == []


def test_commit_bound_is_the_commit_date_and_lifts_while_the_file_has_uncommitted_edits(tmp_path):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    env = dict(os.environ, GIT_COMMITTER_DATE="2026-12-01T12:00:00+00:00", GIT_AUTHOR_DATE="2026-12-01T12:00:00+00:00")
    (tmp_path / "page.md").write_text("one\n")
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=tmp_path, check=True, env=env)
    assert commit_bound(tmp_path, "page.md") == datetime.date(2026, 12, 1)
    (tmp_path / "page.md").write_text("two\n")
    assert commit_bound(tmp_path, "page.md") is None
    plain = tmp_path.parent / f"{tmp_path.name}-no-git"
    plain.mkdir()
    (plain / "page.md").write_text("one\n")
    assert commit_bound(plain, "page.md") is None  # a ZIP download: no history, no bound


def test_build_date_comes_from_the_as_of_date_in_conf_py():
    stamp = int(BUILD_ENV["SOURCE_DATE_EPOCH"])
    assert datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc).date() == AS_OF


def test_nothing_in_the_build_tools_or_tests_reads_the_wall_clock():
    import re
    clock = re.compile(r"date\.today\(|datetime\.now\(|datetime\.utcnow\(|time\.time\(|time\.localtime\(")
    # tools/linkcheck.py and tools/archive.py measure the web (cache age, a server's Retry-After),
    # not the book: they alone may ask the time.
    allowed = {ROOT / "tools" / "linkcheck.py", ROOT / "tools" / "archive.py"}
    offenders = [f"{p.relative_to(ROOT)}:{n}" for folder in ("briefing", "tools", "tests")
                 for p in sorted((ROOT / folder).rglob("*.py")) if p not in allowed and p.name != "test_newcomer.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if clock.search(line)]
    offenders += [f"conf.py:{n}" for n, line in enumerate((ROOT / "conf.py").read_text().splitlines(), 1)
                  if clock.search(line)]
    assert not offenders, offenders


@pytest.mark.parametrize("page", ["chapters/02-expulsion-2019.html", "index.html"])
def test_open_graph_and_description_tags_are_plain_text(html_build, page):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup((html_build.outdir / page).read_text(encoding="utf-8"), "lxml")
    tags = {m.get("property") or m.get("name"): m["content"] for m in soup.find_all("meta")
            if (m.get("property") or "").startswith("og:") or m.get("name") == "description"}
    assert {"og:title", "og:description", "description"} <= set(tags)
    for name, content in tags.items():
        assert "<" not in content and "&lt;" not in content and "section-number" not in content, (name, content)
    if page.startswith("chapters/02"):  # the chapter's own title, as plain text, without its number
        heading = re.search(r"^# (.+)$", (ROOT / page.replace(".html", ".md")).read_text(encoding="utf-8"), re.M).group(1)
        assert tags["og:title"].startswith(heading), tags["og:title"]


def test_every_pin_installs_on_the_oldest_python_the_readme_allows():
    """README: "Python 3.11 or newer". Debian 12 ships 3.11.2; a pin needing 3.11.5 breaks `make html`."""
    from importlib.metadata import distribution

    from packaging.specifiers import SpecifierSet
    pins = [line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    too_new = []
    for name, version in pins:
        try:
            requires = distribution(name).metadata.get("Requires-Python")
        except Exception:  # noqa: BLE001 - a pin not installed here is checked by the venv build
            continue
        if requires and "3.11.0" not in SpecifierSet(requires):
            too_new.append(f"{name}=={version} requires Python {requires}")
    assert not too_new, too_new
