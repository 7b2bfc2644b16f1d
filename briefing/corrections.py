"""The ``{corrections}`` directive: the book's corrections log, kept as data.

``data/corrections.yaml`` (path in ``briefing_corrections``) lists each correction of fact made
since the first edition, as newspapers of record keep them::

    - date: 2026-12-02                     # the day the correction was made
      chapter: chapters/02-expulsion-2019  # the page corrected
      was: What the text said.
      now: What the sources say.
      cite: [defense2020contract]          # keys of references.bib that settle it

The directive renders them, newest first, as a table (Date, Chapter, What was wrong, What the
sources say) built from docutils nodes: chapter titles link to the chapter, and each source is
named by its title and linked to its address. A malformed entry, an unknown chapter or an
unknown key is reported at the data file's line.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from .dates import day_text, yaml_with_lines

logger = logging.getLogger(__name__)
FIELDS = ("date", "chapter", "was", "now", "cite")


def load_corrections(path: Path) -> tuple[list[dict], list[tuple[int, str]]]:
    """Entries (with their line) and (line, problem) pairs."""
    try:
        text = path.read_text(encoding="utf-8")
        raw, tree = yaml_with_lines(text)
        raw = raw or []
    except FileNotFoundError:
        return [], [(0, "file not found")]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        return [], [((mark.line + 1) if mark else 1, f"not valid YAML: {getattr(err, 'problem', err)}")]
    if not isinstance(raw, list):
        return [], [(1, "expected a list of corrections")]
    lines = [node.start_mark.line + 1 for node in getattr(tree, "value", [])]
    entries, problems = [], []
    for index, item in enumerate(raw):
        line = lines[index] if index < len(lines) else 1
        if not isinstance(item, dict):
            problems.append((line, "expected a mapping with " + ", ".join(FIELDS)))
            continue
        missing = [name for name in FIELDS if not item.get(name)]
        if missing:
            problems.append((line, "correction lacks " + ", ".join(missing)))
            continue
        date = item["date"]
        if not isinstance(date, datetime.date):
            try:
                date = datetime.date.fromisoformat(str(date))
            except ValueError:
                problems.append((line, f"date '{date}' is not ISO (YYYY-MM-DD)"))
                continue
        cite = [item["cite"]] if isinstance(item["cite"], str) else list(item["cite"])
        entries.append({"date": date, "chapter": str(item["chapter"]).removesuffix(".md"),
                        "was": " ".join(str(item["was"]).split()), "now": " ".join(str(item["now"]).split()),
                        "cite": [str(k).strip() for k in cite], "line": line})
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries, problems


class CorrectionsDirective(SphinxDirective):
    """Render data/corrections.yaml as a table of corrections, newest first."""

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / self.config.briefing_corrections
        self.env.note_dependency(str(path))
        entries, problems = load_corrections(path)
        for line, problem in problems:
            logger.warning(problem, location=f"{path}:{line}", type="corrections")
        bib = self.env.get_domain("cite").bibdata.data.entries
        table = nodes.table(classes=["corrections"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (14, 18, 34, 34):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self.row([nodes.Text(t) for t in ("Date", "Chapter", "What was wrong", "What the sources say")])
        body = nodes.tbody()
        group += body
        for entry in entries:
            where = f"{path}:{entry['line']}"
            if entry["chapter"] not in self.env.found_docs:
                logger.warning(f"chapter '{entry['chapter']}' is not a page of the book", location=where,
                               type="corrections")
                continue
            chapter = addnodes.pending_xref("", nodes.inline(text=entry["chapter"].split("/")[-1]),
                                            refdomain="std", reftype="doc", reftarget="/" + entry["chapter"],
                                            refexplicit=False, refwarn=True)
            now = [nodes.Text(entry["now"] + " Sources: ")]
            for index, key in enumerate(entry["cite"]):
                if key not in bib:
                    logger.warning(f'could not find bibtex key "{key}"', location=where, type="corrections")
                    continue
                fields = bib[key].fields
                title = str(fields.get("title", key)).replace("{", "").replace("}", "")
                if index:
                    now.append(nodes.Text("; "))
                now.append(nodes.reference("", title, refuri=fields.get("url", "")))
            now.append(nodes.Text("."))
            body += self.row([nodes.Text(day_text(entry["date"])), chapter, nodes.Text(entry["was"]), *[now]])
        return [table]

    @staticmethod
    def row(cells) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para.extend(cell if isinstance(cell, list) else [cell])
            entry += para
            row += entry
        return row


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_corrections", "data/corrections.yaml", "env", types=frozenset({str}))
    app.add_directive("corrections", CorrectionsDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
