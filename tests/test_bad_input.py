"""Each kind of bad input fails the build with a message naming the file and the line.

All source-level mistakes are planted in one throwaway copy of the book and built once, as
`make html` builds (tools/build.py); each test then checks its own message. Bib-file mistakes stop the build before Sphinx reads any
page, so they get a copy each. The working tree is never touched.
"""

import hashlib
import os
import shutil
import subprocess
import sys

import pytest
from conftest import BUILD_ENV, ROOT, Build

from briefing.project import COPY_IGNORE, core_chapters

PLANTED = {
    "missing_key": "A claim.{footcite}`nosuchkey2099`\n",
    "missing_label": "See {ref}`no-such-label`.\n",
    "missing_file": "See [the annex](no-such-file.md).\n",
    "missing_anchor": "See [the section](01-background.md#no-such-section).\n",
}


def tree_digest() -> dict[str, str]:
    """Each source file of the working tree with the hash of its bytes."""
    digests = {}
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if path.is_file() and not COPY_IGNORE(str(path.parent), [path.name]) and not any(
                part in {".git", ".venv", "_build", "__pycache__", ".pytest_cache", "test-artifacts",
                         ".linkcheck-cache", "node_modules"} for part in rel.parts):
            digests[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    """One copy of the book with every source-level mistake planted; returns (build, lines)."""
    before = tree_digest()
    book = tmp_path_factory.mktemp("broken") / "book"
    shutil.copytree(ROOT, book, ignore=COPY_IGNORE)
    target = book / "chapters" / "02-expulsion-2019.md"
    text = target.read_text(encoding="utf-8")
    lines = {}
    notes = text.index("## Notes")
    head = text[:notes]
    for name, snippet in PLANTED.items():
        lines[name] = head.count("\n") + 2
        head += "\n" + snippet
    target.write_text(head + "\n" + text[notes:], encoding="utf-8")
    # A chapter left out of the toctree.
    (book / "chapters" / "06-stray.md").write_text(
        "---\nowner: X\nstatus: draft\nlast_reviewed: 2026-01-01\n---\n# Stray chapter\n\nText.\n", encoding="utf-8")
    # A chapter without front matter (listed in the toctree, so only the metadata is wrong).
    (book / "chapters" / "07-no-front-matter.md").write_text("# No front matter\n\nText.\n", encoding="utf-8")
    index = book / "index.md"
    last = core_chapters(book)[-1]
    index.write_text(index.read_text(encoding="utf-8").replace(
        f"{last}\n", f"{last}\nchapters/07-no-front-matter\n", 1), encoding="utf-8")
    # A page with a footnote citation but no footbibliography (crashes LaTeX upstream).
    import re
    key = re.search(r"@\w+\{([^,]+),", (book / "references.bib").read_text(encoding="utf-8")).group(1)
    (book / "chapters" / "00-summary.md").write_text(
        "---\nowner: X\nstatus: draft\nlast_reviewed: 2026-01-01\n---\n(ch-summary)=\n# Summary\n\n"
        f"A cited claim.{{footcite}}`{key}`\n", encoding="utf-8")
    # An http:// source URL in the bib.
    bib = book / "references.bib"
    b = bib.read_text(encoding="utf-8")
    first_url = b.index("url")
    http_line = b.count("\n", 0, b.rindex("@", 0, first_url)) + 1
    b = b[:first_url] + b[first_url:].replace("https://", "http://", 1)
    bib.write_text(b, encoding="utf-8")
    lines["http_url"] = http_line
    # A syntax error in the figure description, on a known line.
    dot = book / "figures" / "legal-pathway.dot"
    dot_lines = dot.read_text(encoding="utf-8").splitlines()
    lines["dot"] = len(dot_lines) - 1
    dot_lines.insert(lines["dot"] - 1, "  broken -> ;")
    dot.write_text("\n".join(dot_lines) + "\n", encoding="utf-8")
    # An unknown citation key in the chronology data, on a known line.
    data = book / "data" / "chronology.yaml"
    chron = data.read_text(encoding="utf-8")
    first = chron.index("\n- date:") + 1
    lines["chronology"] = chron.count("\n", 0, first) + 1
    data.write_text(chron[:first] + "- date: 2001-01-01\n  lane: nato-other\n  event: \"Planted.\"\n"
                    "  cite: [nosuchkey2098]\n\n" + chron[first:], encoding="utf-8")
    lines["book"] = book
    build = make_html(book)
    yield build, lines
    after = tree_digest()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert not changed, f"the working tree changed during a failing build: {changed}"


def make_html(book) -> Build:
    """`make html` on the copy (tools/build.py, -W -n --keep-going), output captured."""
    result = subprocess.run([sys.executable, "tools/build.py", "html", "--", "-W", "-n", "--keep-going", "-q"],
                            cwd=book, capture_output=True, text=True, env=dict(os.environ, **BUILD_ENV))
    return Build(result.returncode, result.stdout + result.stderr, book / "_build" / "html", book)


def test_failed_build_exits_nonzero_and_leaves_no_complete_looking_output(broken_build):
    build, lines = broken_build
    assert build.returncode != 0
    assert "BUILD FAILED" in build.output
    assert not (lines["book"] / "_build" / "html" / "index.html").exists()
    assert not (lines["book"] / "_build" / "doctrees" / "environment.pickle").exists()


def test_missing_citation_key_fails_with_file_and_line(broken_build):
    build, lines = broken_build
    assert build.returncode != 0
    assert f"02-expulsion-2019.md:{lines['missing_key']}: WARNING: could not find bibtex key \"nosuchkey2099\"" in build.output


def test_ref_to_missing_label_fails_with_file_and_line(broken_build):
    build, lines = broken_build
    assert f"02-expulsion-2019.md:{lines['missing_label']}: WARNING: undefined label: 'no-such-label'" in build.output


def test_markdown_link_to_missing_file_fails_with_file_and_line(broken_build):
    build, lines = broken_build
    hits = [w for w in build.warnings if f"02-expulsion-2019.md:{lines['missing_file']}:" in w]
    assert hits and "no-such-file" in hits[0], build.output


def test_markdown_link_to_missing_anchor_fails_with_file_and_line(broken_build):
    build, lines = broken_build
    hits = [w for w in build.warnings if f"02-expulsion-2019.md:{lines['missing_anchor']}:" in w]
    assert hits and "no-such-section" in hits[0], build.output


def test_figure_syntax_error_fails_naming_the_dot_file_and_line_not_stdin(broken_build):
    build, lines = broken_build
    assert f"figures/legal-pathway.dot:{lines['dot']}: WARNING: figure cannot be drawn: syntax error" in build.output
    assert "<stdin>" not in build.output and "digraph" not in build.output, build.output


def test_figure_syntax_error_keeps_failing_on_the_next_build(broken_build):
    build, lines = broken_build
    again = make_html(lines["book"])
    assert again.returncode != 0
    assert f"figures/legal-pathway.dot:{lines['dot']}: WARNING" in again.output, again.output


def test_unknown_key_in_chronology_data_fails_naming_the_data_file_and_line(broken_build):
    build, lines = broken_build
    assert (f"data/chronology.yaml:{lines['chronology']}: WARNING: could not find bibtex key \"nosuchkey2098\""
            in build.output), build.output
    assert "91-chronology.md" not in " ".join(w for w in build.warnings if "nosuchkey2098" in w)


def test_chapter_left_out_of_the_toctree_fails_naming_the_file(broken_build):
    build, _lines = broken_build
    assert "06-stray.md: WARNING: document isn't included in any toctree" in build.output


def test_chapter_without_front_matter_fails_naming_the_file_and_the_missing_fields(broken_build):
    build, _lines = broken_build
    for field in ("owner", "status"):
        assert f"07-no-front-matter.md:1: WARNING: front matter lacks '{field}'" in build.output, build.output


def test_footcite_without_footbibliography_fails_with_file_and_line(broken_build):
    build, _lines = broken_build
    hits = [w for w in build.warnings if "00-summary.md:9:" in w and "footbibliography" in w]
    assert hits, build.output


def test_http_source_url_fails_with_bib_file_and_line(broken_build):
    build, lines = broken_build
    assert f"references.bib:{lines['http_url']}: WARNING:" in build.output
    assert "is not https (http)" in build.output


def build_with_bib(book, bib_text):
    (book / "references.bib").write_text(bib_text, encoding="utf-8")
    return subprocess.run([sys.executable, "tools/build.py", "html", "--", "-W", "-n", "-q"],
                          cwd=book, capture_output=True, text=True)


@pytest.mark.parametrize("mistake, expected", [
    ("missing_comma", "references.bib:{next_line}: '}' expected"),
    ("unclosed_brace", "references.bib:1: unbalanced braces in entry"),
    ("duplicate_key", "references.bib:"),
])
def test_malformed_bib_stops_the_build_with_bib_file_and_line(book_copy, mistake, expected):
    bib = (book_copy / "references.bib").read_text(encoding="utf-8")
    first = bib.index("@")
    entry_end = bib.index("\n}\n", first) + 3
    entry = bib[first:entry_end]
    if mistake == "missing_comma":
        broken = bib[:first] + entry.replace("},\n", "}\n", 1) + bib[entry_end:]
        expected = expected.replace("{next_line}", str(bib.count("\n", 0, first + entry.index("},\n")) + 2))
    elif mistake == "unclosed_brace":
        broken = bib[:first] + entry.replace("},\n", ",\n", 1) + bib[entry_end:]
        expected = expected.replace(":1:", f":{bib.count(chr(10), 0, first) + 1}:")
    else:
        broken = bib + "\n" + entry
    result = build_with_bib(book_copy, broken)
    assert result.returncode != 0
    message = result.stderr + result.stdout
    assert expected in message, message
    if mistake == "duplicate_key":
        assert "duplicate key" in message
    assert "Traceback" not in message
