"""The chapters keep the book's structure and sourcing rules."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from briefing import bibcheck
from briefing.chaptermeta import check_metadata
from briefing.evidence import citation_keys
from briefing.project import front_matter

CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))
CORE = [p for p in CHAPTERS if re.match(r"0[1-4]-", p.name)]
CITE = re.compile(r"\{footcite(?::[a-z]+)?\}`([^`]+)`")
FACT = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\$|£|€|\b(billion|million|percent|per cent)\b|\b\d[\d,.]*\b|"
                  r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
PLACEHOLDER = re.compile(r"PLACEHOLDER")
UNSAFE_HTML = re.compile(r"<\s*(script|iframe|object|embed)\b|\son[a-z]+\s*=", re.IGNORECASE)


def segments(path: Path):
    """Paragraphs and list items outside front matter, headings and directives: (kind, line, text)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fence, current, in_front = None, None, lines[:1] == ["---"]
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if in_front:
            in_front = not (number > 1 and line == "---")
            continue
        if fence:
            fence = None if stripped == fence else fence
            continue
        opener = re.match(r"^(`{3,}|:{3,})\{", stripped)
        item = re.match(r"^([-*]|\d+\.) ", stripped)
        label = re.match(r"^\([\w-]+\)=$", stripped)
        if opener or not stripped or stripped.startswith(("#", "|")) or label or item:
            if current:
                yield current
            current = ["item", number, stripped] if item else None
            if opener:
                fence = re.match(r"^(`{3,}|:{3,})", stripped).group(1)
            continue
        if current:
            current[2] += " " + stripped
        else:
            current = ["para", number, stripped]
    if current:
        yield current


def paragraphs(path: Path):
    """Units that must carry a citation: a paragraph, a list item, or a lead-in ending in ':'
    together with the list it introduces."""
    units = []
    for kind, number, text in segments(path):
        lead_in = units and units[-1][2] and CITE.sub("", units[-1][1]).rstrip().endswith(":")
        if kind == "item" and units and (units[-1][2] == "lead" or lead_in):
            units[-1][1] += " " + text
            units[-1][2] = "lead"
            continue
        units.append([number, text, kind == "para"])
    for number, text, _kind in units:
        yield number, text


@pytest.mark.parametrize("path", [p for p in CHAPTERS if p.name != "99-references.md"], ids=lambda p: p.name)
def test_chapter_opens_with_a_key_points_box_of_three_to_five_bullets(path):
    text = path.read_text(encoding="utf-8")
    match = re.search(r"```\{admonition\} Key points\n:class: key-points\n(.*?)```", text, re.DOTALL)
    assert match, f"{path.name}: no 'Key points' admonition with :class: key-points"
    bullets = [line for line in match.group(1).splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 5, f"{path.name}: {len(bullets)} key points (want 3 to 5)"
    first_section = text.find("\n## ")
    if first_section != -1:  # an annex such as the corrections log may have no sections
        assert text.index("Key points") < first_section, f"{path.name}: key points must come before the first section"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_valid_front_matter_and_ends_with_its_notes(path):
    import conf
    meta = front_matter(path)
    problems = check_metadata({k: str(v) for k, v in meta.items()}, conf.briefing_as_of)
    assert not problems, f"{path.relative_to(ROOT)}:1: " + "; ".join(problems)
    if path.name not in {"94-corrections.md", "95-changes.md", "99-references.md"}:  # these pages cite nothing in notes
        assert re.search(r"## Notes\s*\n+```\{footbibliography\}\n```\s*$", path.read_text(encoding="utf-8")), \
            f"{path.name}: must end with '## Notes' and a footbibliography"


def test_no_template_placeholder_is_left_in_any_chapter():
    left = [f"{p.relative_to(ROOT)}:{n}: replace the placeholder: {line.strip()[:80]}"
            for p in CHAPTERS for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if PLACEHOLDER.search(line)]
    assert not left, "\n".join(left)


def test_chapters_embed_no_script_iframe_or_inline_event_handlers():
    found = [f"{p.relative_to(ROOT)}:{n}: unsafe HTML: {line.strip()[:80]}"
             for p in CHAPTERS for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if UNSAFE_HTML.search(line)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_every_core_paragraph_stating_a_date_sum_or_count_is_cited(path):
    uncited = [f"{path.relative_to(ROOT)}:{n}: {text[:90]}..." for n, text in paragraphs(path)
               if FACT.search(CITE.sub("", text)) and not CITE.search(text)]
    assert not uncited, "paragraphs with facts but no citation:\n" + "\n".join(uncited)


def words(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.DOTALL)
    text = CITE.sub("", text)
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return len(re.findall(r"[\w’'-]+", text))


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_chapter_has_1200_to_3000_words_and_at_least_8_sources(path):
    keys = {k for m in CITE.finditer(path.read_text(encoding="utf-8")) for k in citation_keys(m.group(1))}
    assert 1200 <= words(path) <= 3000, f"{path.name}: {words(path)} words"
    assert len(keys) >= 8, f"{path.name}: {len(keys)} distinct sources"


def test_book_cites_at_least_45_sources_and_a_third_are_primary():
    import conf
    data, _problems = bibcheck.check_bibfile(ROOT / "references.bib", conf.briefing_as_of)
    kinds = [e.fields.get("sourcetype", "") for e in data.entries.values()]
    assert len(kinds) >= 45, f"{len(kinds)} sources"
    assert kinds.count("primary") * 3 >= len(kinds), f"{kinds.count('primary')} primary of {len(kinds)}"


def test_make_chapter_scaffolds_a_buildable_chapter_whose_placeholders_are_reported(contribution):
    book = contribution.build.srcdir
    assert contribution.chapter.exists() and "chapters/06-arms-sales-to-the-region" in (book / "index.md").read_text()
    assert contribution.scaffold.returncode == 0, "\n".join(contribution.scaffold.warnings)
    flagged = [n for n, line in enumerate(contribution.scaffold_text.splitlines(), 1) if PLACEHOLDER.search(line)]
    assert len(flagged) >= 5


def test_contributor_following_contributing_md_gets_a_green_check(contribution):
    """make chapter, replace the placeholders, cite two sources: build and checks pass."""
    book_copy = contribution.build.srcdir
    assert "PLACEHOLDER" not in contribution.chapter.read_text(encoding="utf-8")
    assert contribution.build.returncode == 0, "\n".join(contribution.build.warnings)
    checks = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_content.py",
                             "tests/test_citations.py", "tests/test_links.py", "-k",
                             "not scaffold and not contributor and not primary and not internal_link"],
                            cwd=book_copy, capture_output=True, text=True)
    assert checks.returncode == 0, checks.stdout[-3000:]
