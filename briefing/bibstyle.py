"""Citation style "briefing" for sphinxcontrib-bibtex.

Pybtex's stock styles sentence-case titles (mangling acronyms and Turkish letters) and print
"URL: ... (visited on ...)". This style renders every entry type the same readable way::

    Authors (or publisher). "Title as written". Publisher, 17 July 2019.
    https://... (accessed 26 November 2026). Archived copy, 2 March 2024.

Titles keep their case. ``archiveurl`` (a Wayback Machine or archive.today snapshot URL) is
shown as a second link dated from its 14-digit timestamp. Registered as the pybtex formatting
style ``briefing``; select it with ``bibtex_default_style = "briefing"``.

Also registers the footnote reference style ``briefingfoot``: like the stock ``foot`` style,
but several sources cited at one point are separated by commas ("12,13"), so that in the PDF
two superscript note numbers never run together into what reads as one ("1213").
"""

import functools
import re

import pybtex.plugin
from pybtex.richtext import HRef, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels.number import LabelStyle as NumberLabelStyle
from pybtex.style.names.plain import NameStyle as PlainNameStyle
from pybtex.style.sorting.none import SortingStyle as NoSortingStyle
from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

from .dates import MONTHS, iso_text, month_text


@functools.lru_cache(maxsize=None)
def _plain(value: str) -> str:
    """BibTeX field text without protective braces.

    Cached: sphinxcontrib-bibtex formats an entry once per citation, and decoding LaTeX
    (latexcodec) is slow enough to cost seconds a build; the result depends on the text alone.
    """
    return str(Text.from_latex(value)) if value else ""


def month_number(value: str):
    """Month as 1-12 from "7", "07", "jul" or "July"; None if unreadable."""
    value = (value or "").strip().lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    for index, name in enumerate(MONTHS, start=1):
        if value and name.lower().startswith(value[:3]):
            return index
    return None


def entry_date(fields) -> str:
    """Human date ("17 July 2019", "July 2019" or "2019") from year, month and day."""
    year = fields.get("year", "").strip()
    month = month_number(fields.get("month", ""))
    day = fields.get("day", "").strip()
    if year and month and day.isdigit():
        return f"{int(day)} {month_text(int(year), month)}"
    if year and month:
        return month_text(int(year), month)
    return year or "n.d."


def archive_date(url: str) -> str:
    """Date of a web-archive snapshot from the 14-digit timestamp in its URL."""
    match = re.search(r"/(\d{14})", url)
    if not match:
        return ""
    stamp = match.group(1)
    return iso_text(f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}")


def person_name(person) -> str:
    parts = person.first_names + person.middle_names + person.prelast_names + person.last_names
    name = " ".join(_plain(p) for p in parts)
    if person.lineage_names:
        name += ", " + " ".join(_plain(p) for p in person.lineage_names)
    return name


class BriefingStyle(UnsrtStyle):
    """One uniform, case-preserving layout for every entry type.

    The name, label and sorting styles are pybtex's defaults, given as classes rather than left
    to pybtex to look up by name: sphinxcontrib-bibtex creates a style object for every
    citation (1,200 in this book), and each name lookup scans every installed package's entry
    points (``importlib.metadata.entry_points``), which took more than half of a cold build.
    ``pybtex.plugin.find_plugin`` returns a plugin class it is given unchanged.
    """

    default_name_style = PlainNameStyle
    default_label_style = NumberLabelStyle
    default_sorting_style = NoSortingStyle

    def format_entry(self, label, entry, bib_data=None):
        fields = entry.fields
        publisher = _plain(fields.get("publisher") or fields.get("institution")
                           or fields.get("organization") or fields.get("journal") or "")
        authors = [person_name(p) for p in entry.persons.get("author", [])]
        if len(authors) > 2:
            who = ", ".join(authors[:-1]) + " and " + authors[-1]
        else:
            who = " and ".join(authors)
        parts = []
        parts.append(Text(who or publisher or "Anonymous", ". "))
        parts.append(Text("\u201c", _plain(fields.get("title", "Untitled")), "\u201d. "))
        tail = []
        if who and publisher:
            tail.append(Tag("em", publisher))
        if fields.get("number"):
            tail.append(Text(_plain(fields.get("type", "Report")), " ", _plain(fields["number"])))
        tail.append(Text(entry_date(fields)))
        parts.append(Text(", ").join(tail))
        parts.append(Text(". "))
        if fields.get("note"):
            parts.append(Text(_plain(fields["note"]).rstrip("."), ". "))
        url = fields.get("url", "").strip()
        if url:
            parts.append(HRef(url, url))
            if fields.get("urldate"):
                parts.append(Text(" (accessed ", iso_text(fields["urldate"]), ")"))
            parts.append(Text("."))
        archive = fields.get("archiveurl", "").strip()
        if archive:
            when = archive_date(archive)
            parts.append(Text(" "))
            parts.append(HRef(archive, "Archived copy" + (f", {when}" if when else "")))
            parts.append(Text("."))
        return FormattedEntry(entry.key, Text(*parts), label)


def _foot_style():
    """The ``briefingfoot`` reference style class (imported lazily: it needs Sphinx loaded)."""
    from dataclasses import dataclass

    from sphinxcontrib.bibtex.style.referencing import GroupReferenceStyle
    from sphinxcontrib.bibtex.style.referencing.basic_foot import (
        BasicFootParentheticalReferenceStyle,
        BasicFootTextualReferenceStyle,
    )
    from sphinxcontrib.bibtex.style.referencing.foot import FootReferenceStyle
    from sphinxcontrib.bibtex.style.template import join

    class SeparatedFootParenthetical(BasicFootParentheticalReferenceStyle):
        def outer(self, role_name, children):
            return join(sep=",")[children]

    @dataclass
    class BriefingFootReferenceStyle(FootReferenceStyle):
        def __post_init__(self):
            self.styles.extend([
                SeparatedFootParenthetical(),
                BasicFootTextualReferenceStyle(bracket=self.bracket_textual, person=self.person,
                                               text_reference_sep=self.text_reference_sep),
            ])
            GroupReferenceStyle.__post_init__(self)

    return BriefingFootReferenceStyle


def setup(app: Sphinx) -> ExtensionMetadata:
    import sphinxcontrib.bibtex.plugin

    pybtex.plugin.register_plugin("pybtex.style.formatting", "briefing", BriefingStyle)
    sphinxcontrib.bibtex.plugin.register_plugin("sphinxcontrib.bibtex.style.referencing", "briefingfoot",
                                                _foot_style())
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
