"""The ``{chronology}`` directive: the book's chronology, kept as data.

``data/chronology.yaml`` (path set by ``briefing_chronology`` in conf.py) is a list of events::

    - date: 2019-07-17            # ISO date, or YYYY-MM when the day is not known
      lane: us-executive          # one of LANES
      event: Short description in our own words.
      cite: [whitehouse2019f35]   # at least one key of references.bib
      figure: true                # optional: label it on the timeline figure ...
      short: Turkey suspended     # ... with this text (at most 40 characters)

The directive renders the events, sorted by date, as a table (Date, Strand, Event) with
footnote citations (made by the ``{footcite}`` role itself), so the page that uses it needs a
``{footbibliography}``. The table is built as docutils nodes, as ``list-table`` builds one. Options
``:from:``/``:to:`` (ISO dates) and ``:lanes:`` (comma-separated) select an excerpt for a
chapter. The data file is a dependency of every page that uses it, so editing it rebuilds them.
:func:`load_events` validates the data and is reused by the tests and the timeline figure.
"""

import datetime
import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import directives, roles
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from .dates import iso_text, yaml_with_lines

logger = logging.getLogger(__name__)

LANES = {
    "turkey-russia": "Turkey–Russia",
    "us-executive": "U.S. executive",
    "us-congress": "U.S. Congress",
    "turkey-us-talks": "Turkey–U.S. talks",
    "nato-other": "NATO and others",
}
DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
COLUMN_WIDTHS = (18, 17, 65)  # Date, Strand, Event: per cent of the table


class ChronologyError(ValueError):
    """Invalid chronology data; the message names the file and the event."""


def parse_date(value: str) -> datetime.date:
    """ISO date or year-month (taken as the first of the month) as a date."""
    text = str(value)
    if not DATE.match(text):
        raise ValueError(f"date '{text}' is not ISO (YYYY-MM-DD or YYYY-MM)")
    return datetime.date.fromisoformat(text if len(text) == 10 else text + "-01")


def display_date(value: str) -> str:
    parse_date(value)  # rejects anything that is not ISO
    return iso_text(value)


def load_events(path: Path) -> list[dict]:
    """Read and validate the chronology; return events sorted by date (stable)."""
    try:
        text = path.read_text(encoding="utf-8")
        raw, tree = yaml_with_lines(text)
    except FileNotFoundError:
        raise ChronologyError(f"{path}: file not found") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ChronologyError(f"{path}:{line}: not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, list):
        raise ChronologyError(f"{path}: expected a list of events")
    # Line of each event in the file, so every message points where the mistake is.
    starts = [node.start_mark.line + 1 for node in getattr(tree, "value", [])]
    events = []
    for number, item in enumerate(raw, start=1):
        line = starts[number - 1] if number <= len(starts) else 0
        where = f"{path}:{line}: event {number}"
        if not isinstance(item, dict):
            raise ChronologyError(f"{where}: expected a mapping with date, lane, event, cite")
        # YAML reads 2019-07-17 as a date object; keep the ISO text.
        date = item.get("date")
        date = date.isoformat() if isinstance(date, datetime.date) else str(date or "")
        try:
            parse_date(date)
        except ValueError as err:
            raise ChronologyError(f"{where}: {err}") from None
        if item.get("lane") not in LANES:
            raise ChronologyError(f"{where} ({date}): lane '{item.get('lane')}' is not one of {', '.join(LANES)}")
        if not str(item.get("event") or "").strip():
            raise ChronologyError(f"{where} ({date}): empty event text")
        cite = item.get("cite")
        if isinstance(cite, str):
            cite = [cite]
        if not cite or not all(isinstance(k, str) and k.strip() for k in cite):
            raise ChronologyError(f"{where} ({date}): needs at least one citation key in 'cite'")
        event = {"date": date, "lane": item["lane"], "event": str(item["event"]).strip(),
                 "cite": [k.strip() for k in cite], "line": line}
        if item.get("figure"):  # labelled on the timeline figure, with its short text
            event["figure"] = True
            event["short"] = str(item.get("short") or "").strip()
            if not event["short"] or len(event["short"]) > 40:
                raise ChronologyError(f"{where} ({date}): an event with 'figure: true' needs 'short' (1-40 characters)")
        events.append(event)
    events.sort(key=lambda e: parse_date(e["date"]))
    return events


class ChronologyDirective(SphinxDirective):
    """Render the chronology (or an excerpt) as a table with footnote citations."""

    option_spec = {"from": directives.unchanged, "to": directives.unchanged,
                   "lanes": directives.unchanged, "caption": directives.unchanged,
                   "name": directives.unchanged}

    def run(self):
        relpath = self.config.briefing_chronology
        path = Path(self.env.srcdir) / relpath
        self.env.note_dependency(str(path))
        try:
            events = load_events(path)
            start = parse_date(self.options["from"]) if "from" in self.options else None
            end = parse_date(self.options["to"]) if "to" in self.options else None
        except (ChronologyError, ValueError) as err:
            logger.warning(str(err), location=self.get_location(), type="chronology")
            return []
        lanes = [x.strip() for x in self.options.get("lanes", "").split(",") if x.strip()]
        for lane in lanes:
            if lane not in LANES:
                logger.warning(f"unknown lane '{lane}'", location=self.get_location(), type="chronology")
        known = self.env.get_domain("cite").bibdata.data.entries
        for event in events:
            unknown = [key for key in event["cite"] if key not in known]
            for key in unknown:
                logger.warning(f'could not find bibtex key "{key}" (event of {event["date"]})',
                               location=f"{path}:{event['line']}", type="chronology")
            event["cite"] = [key for key in event["cite"] if key in known]
        rows = [e for e in events
                if (start is None or parse_date(e["date"]) >= start)
                and (end is None or parse_date(e["date"]) <= end)
                and (not lanes or e["lane"] in lanes)]
        return [self.table(rows)]

    def table(self, rows: list[dict]) -> nodes.table:
        """The events as a docutils table (what ``list-table`` would make), built node by node."""
        caption = self.options.get("caption", "Chronology")
        table = nodes.table(classes=["chronology", "longtable", "colwidths-given"])
        table += nodes.title(caption, caption)
        group = nodes.tgroup(cols=3)
        table += group
        for width in COLUMN_WIDTHS:
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += self.row([[nodes.Text("Date")], [nodes.Text("Strand")], [nodes.Text("Event")]])
        body = nodes.tbody()
        for event in rows:
            text = " ".join(event["event"].split())
            cells = [[nodes.Text(display_date(event["date"]))], [nodes.Text(LANES[event["lane"]])], [nodes.Text(text)]]
            if event["cite"]:
                cells[2] += self.footcite(event["cite"])
            body += self.row(cells)
        group += head
        group += body
        self.add_name(table)
        return table

    @staticmethod
    def row(cells: list[list[nodes.Node]]) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", *content)
            row += entry
        return row

    def footcite(self, keys: list[str]) -> list[nodes.Node]:
        """The footnote marks of ``{footcite}`key,...``, made by the book's own footcite role."""
        text = ",".join(keys)
        role, _messages = roles.role("footcite", self.state_machine.language, self.lineno, self.state.reporter)
        made, problems = role("footcite", f"{{footcite}}`{text}`", text, self.lineno, self.state.inliner, {}, [])
        return [*made, *problems]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_chronology", "data/chronology.yaml", "env", types=frozenset({str}))
    app.add_directive("chronology", ChronologyDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
