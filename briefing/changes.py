"""The "Changes in this edition" page: sentences added, removed and changed, per chapter.

Design, and why: the HTML must build from nothing but Python and the repository's files (a
newcomer's folder without git, Read the Docs' shallow clone), so the build never asks git.
``make changes`` (``tools/changes.py``) runs :func:`compute`, which reads the previous
edition's chapters from git (its commit is in ``data/editions.yaml``) and today's from the
working tree, and writes ``data/changes.json``, which is committed. The ``{changes}`` directive
only renders that file. A test recomputes it from git (the CI checkout has the whole history:
``fetch-depth: 0``) and fails when the committed file is stale, and the directive warns when
the file compares another edition than the editions file names.

Comparison: the house style is one sentence per line, so lines are sentences. Prose lines of
each chapter (front matter, fences, directive options, labels and tables left out) are
compared with :class:`difflib.SequenceMatcher`; in a replaced block, a removed and an added
line are paired as "changed" when their text (markup stripped) is similar (ratio >= 0.6,
best pairs first), and a sentence that only moved is not a change. Chapters are paired by
file name, then by their label (``(ch-x)=``), then by their title, so a renamed file is
compared with its old self. difflib is the standard library's; the pairing rule is a few
lines of our own because no library pairs sentences across a replaced block this way.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from .dates import day_text
from .editions import EditionsError, load_editions, previous_edition
from .project import TOCTREE_ENTRY

logger = logging.getLogger(__name__)
SIMILAR = 0.6
NOT_PROSE = re.compile(r"^\s*($|```|:::|:[\w-]+:|\(\S+\)=\s*$|<!--|-->|\||%)")
ROLE = re.compile(r"\{(footcite|cite[pt]?)\}`[^`]*`")
NAMED_ROLE = re.compile(r"\{([\w:-]+)\}`([^`<]*?)\s*(<[^`]*>)?`")
HEADING_LABEL = re.compile(r"^\((\S+)\)=\s*\n+#+ (.+)$", re.MULTILINE)
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
LABEL = re.compile(r"^\((\S+)\)=\s*$", re.MULTILINE)
TITLE = re.compile(r"^# (.+)$", re.MULTILINE)


def sentences(text: str) -> list[str]:
    """The prose lines of a MyST chapter (one sentence each, house style)."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        text = text[text.find("\n", end + 1) + 1:] if end > 0 else text
    lines, fence = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith("```") and re.match(r"```\{(chronology|corrections|changes|"
                                                                        r"timeline|graphviz|footbibliography|"
                                                                        r"bibliography|toctree)", stripped):
            fence = "```"  # generated content: its text is data, not the chapter's sentences
            continue
        if fence and stripped.startswith(fence):
            fence = None
            continue
        if fence or NOT_PROSE.match(line):
            continue
        lines.append(stripped)
    return lines


def plain(line: str, labels: dict[str, str] | None = None) -> str:
    """A sentence without MyST markup, as a reader sees it (citations dropped)."""
    text = ROLE.sub("", line)
    # {ref}`ch-talks` shows the heading it points to; {ref}`text <label>` and {term}`X` their text.
    text = NAMED_ROLE.sub(lambda m: (labels or {}).get(m.group(2), m.group(2))
                          if m.group(1) == "ref" and not m.group(3) else m.group(2), text)
    text = LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"^(#+|-|\d+\.)\s+", "", text)
    return re.sub(r"\*\*?|`", "", text).strip()


def compare(old: list[str], new: list[str]) -> dict:
    """Sentences added, removed and changed between two versions of a chapter."""
    added, removed, changed = [], [], []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone, came = list(old[i1:i2]), list(new[j1:j2])
        pairs = sorted(((difflib.SequenceMatcher(a=plain(a), b=plain(b)).ratio(), x, y)
                        for x, a in enumerate(gone) for y, b in enumerate(came)), reverse=True)
        used_old, used_new = set(), set()
        for ratio, x, y in pairs:
            if ratio < SIMILAR:
                break
            if x in used_old or y in used_new:
                continue
            used_old.add(x)
            used_new.add(y)
            changed.append((j1 + y, {"was": gone[x], "now": came[y]}))
        removed += [line for x, line in enumerate(gone) if x not in used_old]
        added += [line for y, line in enumerate(came) if y not in used_new]
    moved = set(removed) & set(added)  # a sentence that only moved is not a change
    return {"added": [s for s in added if s not in moved], "removed": [s for s in removed if s not in moved],
            "changed": [c for _, c in sorted(changed, key=lambda item: item[0])]}


def _heading(text: str, pattern: re.Pattern) -> str | None:
    match = pattern.search(text)
    return match.group(1).strip() if match else None


def compute(root: Path, git_dir: Path | None = None) -> dict:
    """Compare the working tree's chapters with the previous edition's (read from git)."""
    editions = load_editions(root / "data" / "editions.yaml")
    previous, current = previous_edition(editions), editions[-1]
    if previous is None:
        raise EditionsError(root / "data" / "editions.yaml", 1, "only one edition: nothing to compare with")
    repo = git_dir or root

    def show(path: str) -> str:
        return subprocess.run(["git", "-C", str(repo), "show", f"{previous.commit}:{path}"],
                              capture_output=True, text=True, check=True).stdout

    old_docs = TOCTREE_ENTRY.findall(show("index.md"))
    old_text = {doc: show(f"{doc}.md") for doc in old_docs}
    new_docs = TOCTREE_ENTRY.findall((root / "index.md").read_text(encoding="utf-8"))
    new_text = {doc: (root / f"{doc}.md").read_text(encoding="utf-8") for doc in new_docs}
    unmatched = dict(old_text)
    chapters = []
    for doc in new_docs:
        text = new_text[doc]
        match = doc if doc in unmatched else None
        for pattern in (LABEL, TITLE):
            if match is None and _heading(text, pattern):
                match = next((o for o, t in unmatched.items() if _heading(t, pattern) == _heading(text, pattern)),
                             None)
        before = unmatched.pop(match) if match else ""
        diff = compare(sentences(before), sentences(text))
        chapters.append({"docname": doc, "title": plain(_heading(text, TITLE) or doc), "previous": match, **diff})
    for doc, text in unmatched.items():  # chapters the new edition dropped
        chapters.append({"docname": None, "title": plain(_heading(text, TITLE) or doc), "previous": doc,
                         "added": [], "removed": sentences(text), "changed": []})
    labels = {label: plain(title) for text in [*old_text.values(), *new_text.values()]
              for label, title in HEADING_LABEL.findall(text)}
    return {"labels": dict(sorted(labels.items())),
            "from": {"edition": previous.name, "date": previous.date.isoformat(), "commit": previous.commit},
            "to": {"edition": current.name, "date": current.date.isoformat()}, "chapters": chapters}


def dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def escape(text: str) -> str:
    """Plain text as MyST that renders as itself."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~$:=-])", r"\\\1", text)


class ChangesDirective(SphinxDirective):
    """Render data/changes.json: a count per chapter, the sentences in a dropdown each."""

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / self.config.briefing_changes
        self.env.note_dependency(str(path))
        self.env.note_dependency(str(Path(self.env.srcdir) / self.config.briefing_editions))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            logger.warning(f"cannot read the changes data ({err}); run make changes", location=str(path),
                           type="changes")
            return []
        try:
            editions = load_editions(Path(self.env.srcdir) / self.config.briefing_editions)
            previous = previous_edition(editions)
            if previous is None or data["from"]["commit"] != previous.commit or data["to"]["edition"] != editions[-1].name:
                logger.warning(f"{path.name} does not compare the editions of {self.config.briefing_editions}; "
                               "run make changes", location=f"{path}:1", type="changes")
        except EditionsError:
            pass  # briefing.editions reports it with its line
        origin, labels = data["from"], data.get("labels", {})
        intro = (f"Compared with the {origin['edition']} ({day_text(datetime.date.fromisoformat(origin['date']))}, "
                 f"commit {origin['commit'][:7]}), the {data['to']['edition']} adds, removes or changes these sentences.")
        web = [intro + " Open a chapter to read them.", ""]
        print_ = [intro, ""]  # the PDF lists the counts; the redline shows every change in place
        for chapter in data["chapters"]:
            counts = f"{len(chapter['added'])} added, {len(chapter['removed'])} removed, {len(chapter['changed'])} changed"
            if chapter["docname"] is None:
                title = f"{escape(chapter['title'])} (dropped in this edition)"
            else:
                title = escape(chapter["title"]) + ("" if chapter["previous"] else " (new in this edition)")
            if not (chapter["added"] or chapter["removed"] or chapter["changed"]):
                web += [f"- {title}: no change", ""]
                print_ += [f"- {title}: no change", ""]
                continue
            print_ += [f"- {title}: {counts}", ""]
            web += [f"```{{dropdown}} {title}: {counts}", ":class-container: changes", ""]
            for name in ("added", "removed"):
                if chapter[name]:
                    web += [f"**{name.capitalize()}**", ""] + [f"- {escape(plain(s, labels))}" for s in chapter[name]] + [""]
            if chapter["changed"]:
                web += ["**Changed**", ""]
                for pair in chapter["changed"]:
                    was, now = plain(pair["was"], labels), plain(pair["now"], labels)
                    note = " (sources changed)" if was == now else ""
                    web += [f"- Was: {escape(was)}", "", f"  Now: {escape(now)}{note}", ""]
            web += ["```", ""]
        print_ += ["The sentences are listed in the web edition, and every change is shown in place in the redline "
                   "(make redline).", ""]
        # sphinx-design's dropdowns carry inline SVG that EPUB 3 forbids there: the EPUB, like the PDF, counts.
        lines = ["````{only} html and not epub", "", *web, "````", "", "````{only} not html or epub", "", *print_, "````"]
        container = nodes.container(classes=["edition-changes"])
        self.state.nested_parse(StringList(lines, source=str(path)), self.content_offset, container)
        return [container]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("briefing.editions")
    app.add_config_value("briefing_changes", "data/changes.json", "env", types=frozenset({str}))
    app.add_directive("changes", ChangesDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
