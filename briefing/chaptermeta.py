"""Chapter metadata from front matter, shown under the chapter title and checked.

Every page under ``chapters/`` starts with YAML front matter::

    ---
    owner: Briefing book editors
    status: reviewed       # draft or reviewed
    last_reviewed: 2026-12-02
    as_of: 2026-11-26      # optional: the chapter's own information date
    ---

The extension inserts a line "Status: reviewed · Owner: ... · Last reviewed: 2 December 2026
· Information as of 26 November 2026" right after the page title (HTML and PDF), and warns,
with the file and line, when a field is missing or malformed.

What the dates mean (nothing here reads the clock):

* ``as_of`` is the date of the newest information the chapter holds; it may not be later
  than the book's ``as_of`` in conf.py, which is the book's promise to its reader.
* ``last_reviewed`` is the day a second person checked the chapter. Reviewing after the
  information date is normal work, so it is not compared with ``as_of``. It is required once
  the status is ``reviewed``; a draft (what ``make chapter`` writes) has none. A review date
  later than the commit that holds it cannot be true and is an error (see
  ``dates.commit_bound``: no bound outside git or while the chapter has uncommitted edits).
"""

import datetime

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

from .dates import commit_bound, iso_text

logger = logging.getLogger(__name__)

FIELDS = ("owner", "status")
STATUSES = ("draft", "reviewed")


def _date(meta: dict, name: str, problems: list[str]):
    value = str(meta.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} '{value}' is not an ISO date (YYYY-MM-DD)")
        return None


def check_metadata(meta: dict, as_of: datetime.date, bound: datetime.date | None = None) -> list[str]:
    """Problems with one chapter's front matter (empty when valid)."""
    problems = [f"front matter lacks '{name}'" for name in FIELDS if not str(meta.get(name) or "").strip()]
    status = str(meta.get("status") or "").strip()
    if status and status not in STATUSES:
        problems.append(f"status '{status}' is not one of {', '.join(STATUSES)}")
    reviewed = _date(meta, "last_reviewed", problems)
    if status == "reviewed" and not str(meta.get("last_reviewed") or "").strip():
        problems.append("front matter lacks 'last_reviewed' (required once the status is reviewed)")
    if reviewed and bound is not None and reviewed > bound:
        problems.append(f"last_reviewed {reviewed} is in the future (after {bound}, the date of the commit)")
    chapter_as_of = _date(meta, "as_of", problems)
    if chapter_as_of and chapter_as_of > as_of:
        problems.append(f"as_of {chapter_as_of} is after the book's as-of date {as_of} (conf.py)")
    return problems


def meta_line(meta: dict) -> str:
    parts = [f"Status: {meta.get('status', '?')}", f"Owner: {meta.get('owner', '?')}"]
    if meta.get("last_reviewed"):
        parts.append(f"Last reviewed: {iso_text(str(meta['last_reviewed']))}")
    else:
        parts.append("Not yet reviewed")
    if meta.get("as_of"):
        parts.append(f"Information as of {iso_text(str(meta['as_of']))}")
    return " · ".join(parts)


def add_meta_line(app, doctree):
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    meta = app.env.metadata.get(docname, {})
    bound = commit_bound(app.srcdir, str(app.env.doc2path(docname, False)))
    for problem in check_metadata(meta, app.config.briefing_as_of, bound):
        logger.warning(problem, location=(docname, 1), type="chaptermeta")
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    text = meta_line(meta)
    para = nodes.paragraph(text, text, classes=["chapter-meta"])
    title_index = section.first_child_matching_class(nodes.title)
    section.insert((title_index or 0) + 1, para)


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("briefing.bibcheck")  # registers and checks the book's as_of
    app.connect("doctree-read", add_meta_line)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
