"""Chapter metadata from front matter, shown under the chapter title and checked.

Every page under ``chapters/`` starts with YAML front matter::

    ---
    owner: Briefing book editors
    status: draft          # draft or reviewed
    last_reviewed: 2026-11-26
    ---

The extension inserts a line "Status: draft · Owner: ... · Last reviewed: 26 November 2026"
right after the page title (HTML and PDF), and warns, with the file and line, when a field is
missing, the status is unknown, or the date is not ISO or lies after the book's as-of date.
"""

import datetime

from docutils import nodes
from sphinx.util import logging

from dates import iso_text

logger = logging.getLogger(__name__)

FIELDS = ("owner", "status", "last_reviewed")
STATUSES = ("draft", "reviewed")


def check_metadata(meta: dict, as_of: datetime.date) -> list[str]:
    """Problems with one chapter's front matter (empty when valid)."""
    problems = [f"front matter lacks '{name}'" for name in FIELDS if not str(meta.get(name) or "").strip()]
    status = str(meta.get("status") or "").strip()
    if status and status not in STATUSES:
        problems.append(f"status '{status}' is not one of {', '.join(STATUSES)}")
    reviewed = str(meta.get("last_reviewed") or "").strip()
    if reviewed:
        try:
            day = datetime.date.fromisoformat(reviewed)
        except ValueError:
            problems.append(f"last_reviewed '{reviewed}' is not an ISO date (YYYY-MM-DD)")
        else:
            if day > as_of:
                problems.append(f"last_reviewed {reviewed} is after the book's as-of date {as_of}")
    return problems


def add_meta_line(app, doctree):
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    meta = app.env.metadata.get(docname, {})
    as_of = app.config.as_of or datetime.date.today()
    for problem in check_metadata(meta, as_of):
        logger.warning(problem, location=(docname, 1), type="chaptermeta")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not meta.get("last_reviewed"):
        return
    reviewed = iso_text(str(meta["last_reviewed"]))
    text = f"Status: {meta.get('status', '?')} · Owner: {meta.get('owner', '?')} · Last reviewed: {reviewed}"
    para = nodes.paragraph(text, text, classes=["chapter-meta"])
    title_index = section.first_child_matching_class(nodes.title)
    section.insert((title_index or 0) + 1, para)


def setup(app):
    app.connect("doctree-read", add_meta_line)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
