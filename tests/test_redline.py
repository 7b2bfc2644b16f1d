"""Editions, the redline PDF and the "Changes in this edition" page.

The redline and the changes page are proved on a throwaway git repository built in tmp_path
(a tiny book whose commits delete one sentence and insert another); the real book's edition
history and committed changes data are checked against conf.py and git.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, build_tiny_book, require_tool

from briefing import bookconf
from briefing.changes import compute, dump
from briefing.editions import EditionsError, load_editions, previous_edition

KEEP = "Falcons nest above the harbour of Izmir every spring."
DELETED = "Zebras graze quietly beside the Oslo fjord at dawn."
INSERTED = "Penguins march bravely across the plaza of Lima."
BEFORE_CHANGE = "The committee met on Tuesday and adopted the report without a vote."
AFTER_CHANGE = "The committee met on Thursday and adopted the report without a vote."


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
               GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def tiny_repo(tmp_path: Path, conf: str) -> Path:
    repo = tmp_path / "book"
    (repo / "chapters").mkdir(parents=True)
    (repo / "conf.py").write_text(conf)
    (repo / "index.md").write_text("# Tiny book\n\n```{toctree}\nchapters/01-one\n```\n")
    (repo / "chapters" / "01-one.md").write_text(f"# One\n\n{KEEP}\n{DELETED}\n{BEFORE_CHANGE}\n")
    git(repo, "init", "-q")
    return repo


def redline_repo(tmp_path: Path) -> tuple[Path, str]:
    """A tiny book: a first commit, one that deletes a sentence, one that inserts another."""
    for tool in ("git", "latexdiff", "latexmk", "xelatex", "pdftotext"):
        require_tool(tool)
    conf = ('extensions = ["myst_parser"]\nproject = "Tiny"\nlatex_engine = "xelatex"\n'
            'latex_documents = [("index", "tiny.tex", "Tiny", "Editors", "manual")]\n')
    repo = tiny_repo(tmp_path, conf)
    first = commit_all(repo, "first")
    chapter = repo / "chapters" / "01-one.md"
    chapter.write_text(chapter.read_text().replace(DELETED + "\n", ""))
    commit_all(repo, "delete a sentence")
    chapter.write_text(chapter.read_text() + INSERTED + "\n")
    commit_all(repo, "insert a sentence")
    return repo, first


def run_redline(repo: Path, first: str, out: Path) -> Path:
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "redline.py"), "--repo", str(repo),
                             "--from", first, "--to", "HEAD", "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def first_redline(tmp_path_factory) -> tuple[Path, str, Path]:
    """The tiny repository and its redline from the first commit to HEAD, made once for the
    tests that read it (conftest.ONE_WORKER keeps them on one worker)."""
    tmp_path = tmp_path_factory.mktemp("redline")
    repo, first = redline_repo(tmp_path)
    return repo, first, run_redline(repo, first, tmp_path / "out" / "redline.pdf")


def test_redline_strikes_the_deleted_sentence_and_underlines_the_inserted_one(first_redline):
    _repo, first, out = first_redline
    tex = out.with_suffix(".tex").read_text(encoding="utf-8")
    marked = {kind: " ".join(" ".join(re.findall(rf"\\DIF{kind}\{{([^}}]*)\}}", tex)).split()) for kind in ("add", "del")}
    # latexdiff compares words: a full stop shared by neighbouring sentences may stay outside the mark.
    deleted, inserted = DELETED.rstrip("."), INSERTED.rstrip(".")
    assert deleted in marked["del"] and deleted not in marked["add"]
    assert inserted in marked["add"] and inserted not in marked["del"]
    assert "Falcons" not in marked["add"] + marked["del"]  # unchanged text is not marked
    assert r"\sout" in tex and r"\uline" in tex  # struck through / underlined
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.split())
    assert deleted in text and inserted in text and KEEP in text
    assert f"Redline: {first[:7]}" in text  # the legend names what is compared


def test_two_redlines_of_the_same_commits_are_byte_identical(first_redline, tmp_path):
    repo, first, one = first_redline
    two = run_redline(repo, first, tmp_path / "two" / "redline.pdf")
    assert one.read_bytes() == two.read_bytes()


def changes_book(tmp_path: Path) -> Path:
    conf = 'extensions = ["myst_parser", "sphinx_design", "briefing.changes"]\nproject = "Tiny"\n'
    repo = tiny_repo(tmp_path, conf)
    first = commit_all(repo, "first edition")
    (repo / "data").mkdir()
    (repo / "data" / "editions.yaml").write_text(
        f"- edition: First edition\n  date: 2026-01-01\n  commit: {first}\n- edition: Second edition\n  date: 2026-02-01\n")
    (repo / "index.md").write_text("# Tiny book\n\n```{toctree}\nchapters/01-one\nchapters/95-changes\n```\n")
    (repo / "chapters" / "95-changes.md").write_text("# Changes in this edition\n\n```{changes}\n```\n")
    (repo / "chapters" / "01-one.md").write_text(f"# One\n\n{KEEP}\n{INSERTED}\n{AFTER_CHANGE}\n")
    return repo


def test_changes_page_lists_added_removed_and_changed_sentences_per_chapter(tmp_path):
    from bs4 import BeautifulSoup
    require_tool("git")
    repo = changes_book(tmp_path)
    data = compute(repo)
    one = next(c for c in data["chapters"] if c["docname"] == "chapters/01-one")
    assert one["added"] == [INSERTED] and one["removed"] == [DELETED]
    assert one["changed"] == [{"was": BEFORE_CHANGE, "now": AFTER_CHANGE}]
    (repo / "data" / "changes.json").write_text(dump(data), encoding="utf-8")
    out, warnings = build_tiny_book(repo, tmp_path / "out")
    assert warnings == "", warnings
    soup = BeautifulSoup((out / "chapters" / "95-changes.html").read_text(encoding="utf-8"), "lxml")
    dropdown = soup.select_one("details")
    assert "One: 1 added, 1 removed, 1 changed" in dropdown.summary.get_text(" ", strip=True)
    sections = {}
    for strong in dropdown.select("p > strong"):
        items = strong.find_parent("p").find_next_sibling("ul")
        sections[strong.get_text()] = " ".join(items.get_text(" ", strip=True).split())
    assert INSERTED in sections["Added"] and DELETED in sections["Removed"]
    assert f"Was: {BEFORE_CHANGE} Now: {AFTER_CHANGE}" in sections["Changed"]
    assert KEEP not in dropdown.get_text()
    assert "First edition" in soup.get_text()


def test_changes_page_warns_when_its_data_compares_another_edition(tmp_path):
    require_tool("git")
    repo = changes_book(tmp_path)
    data = compute(repo)
    data["from"]["commit"] = "0" * 40
    (repo / "data" / "changes.json").write_text(dump(data), encoding="utf-8")
    _out, warnings = build_tiny_book(repo, tmp_path / "out")
    assert "changes.json:1: WARNING: changes.json does not compare the editions" in warnings


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("- edition: First\n  date: 2026-01-01\n  commit: abc\n- edition: Second\n  date: 2026-02-01\n",
     1, "is not a full 40-character"),
    (f"- edition: First\n  date: 2026-01-01\n  commit: {'a' * 40}\n- edition: Second\n  date: 2026-13-01\n",
     4, "is not ISO"),
    (f"- edition: First\n  date: 2026-03-01\n  commit: {'a' * 40}\n- edition: Second\n  date: 2026-02-01\n",
     4, "is not after the previous edition"),
    (f"- edition: First\n  date: 2026-01-01\n  commit: {'a' * 40}\n- edition: Second\n  date: 2026-02-01\n"
     f"  commit: {'b' * 40}\n", 4, "has no commit yet"),
    ("- edition: First\n  date: 2026-01-01\n  comit: x\n", 1, "unknown key(s) comit"),
    ("- edition: First\n  date: [2026\n", 3, "not valid YAML"),
])
def test_bad_edition_history_fails_with_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "editions.yaml"
    path.write_text(text)
    with pytest.raises(EditionsError) as err:
        load_editions(path)
    assert str(err.value).startswith(f"{path}:{line}: ") and problem in str(err.value), str(err.value)


def test_edition_history_ends_with_the_edition_conf_py_builds():
    editions = load_editions(ROOT / "data" / "editions.yaml")
    conf = bookconf.load(ROOT)
    assert (editions[-1].name, editions[-1].date, editions[-1].commit) == (conf["edition"], conf["briefing_as_of"], None)
    assert previous_edition(editions).name == "First edition"


def test_committed_changes_data_is_what_git_gives_for_the_previous_edition():
    require_tool("git")
    previous = previous_edition(load_editions(ROOT / "data" / "editions.yaml"))
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{previous.commit}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:
        message = f"git history lacks the previous edition's commit {previous.commit[:7]} (shallow clone)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI checks out with fetch-depth: 0")
        pytest.skip(message)
    committed = json.loads((ROOT / "data" / "changes.json").read_text(encoding="utf-8"))
    assert committed == compute(ROOT), "data/changes.json is out of date: run make changes"


def test_build_warns_at_the_editions_line_when_conf_py_names_another_edition(tmp_path):
    require_tool("git")
    repo = changes_book(tmp_path)
    (repo / "data" / "changes.json").write_text(dump(compute(repo)), encoding="utf-8")
    with (repo / "conf.py").open("a") as conf:
        conf.write('myst_substitutions = {"edition": "Third edition"}\n')
    _out, warnings = build_tiny_book(repo, tmp_path / "out")
    assert "editions.yaml:4: WARNING: the last edition is 'Second edition' but conf.py's edition is 'Third edition'" \
        in warnings, warnings


def test_a_chapter_renamed_since_the_previous_edition_is_compared_with_its_old_file(tmp_path):
    require_tool("git")
    repo = changes_book(tmp_path)
    (repo / "chapters" / "01-one.md").rename(repo / "chapters" / "01-first.md")
    index = repo / "index.md"
    index.write_text(index.read_text().replace("chapters/01-one", "chapters/01-first"))
    first = next(c for c in compute(repo)["chapters"] if c["docname"] == "chapters/01-first")
    assert first["previous"] == "chapters/01-one"  # paired by its title ("# One")
    assert (first["added"], first["removed"]) == ([INSERTED], [DELETED])


def test_changes_page_shows_sentences_as_read_with_citations_dropped_and_references_titled():
    from briefing.changes import plain
    line = ("As {ref}`ch-talks` and {ref}`the log <ch-log>` say, the {term}`S-400` stayed "
            "([source](https://example.org)).{footcite}`key#passage`")
    assert plain(line, {"ch-talks": "The current talks"}) == \
        "As The current talks and the log say, the S-400 stayed (source)."
