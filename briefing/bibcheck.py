"""Check references.bib before sphinxcontrib-bibtex reads it.

Sphinx alone reports a BibTeX syntax error without the file name, and crashes on unknown entry
types. This extension parses every file in ``bibtex_bibfiles`` when the configuration is read
and reports, as ``references.bib:LINE: message``:

* syntax errors and unreadable files (the build stops at once);
* duplicate keys, entry types outside :data:`ALLOWED_TYPES`, missing required fields,
  malformed dates, access dates after the book's as-of date, duplicate URLs, URLs that are
  not plain ``https`` links to a page, and malformed archived-copy URLs (warnings, which
  ``-W`` turns into a failed build).

:func:`check_bibfile` and :func:`url_problems` are plain functions the tests reuse.
"""

import datetime
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

from .dates import commit_bound

logger = logging.getLogger(__name__)

ALLOWED_TYPES = {"misc", "article", "techreport", "book", "manual"}
SOURCE_TYPES = {"primary", "wire", "press", "analysis", "state-media"}
REQUIRED = ("title", "year", "url", "urldate", "sourcetype")
ENTRY_START = re.compile(r"^[ \t]*@\s*([A-Za-z]+)\s*[{(]\s*([^,\s]+)\s*,", re.MULTILINE)
TRACKING_HOSTS = {"t.co", "bit.ly", "tinyurl.com", "ow.ly", "buff.ly", "lnkd.in", "goo.gl",
                  "news.google.com", "l.facebook.com", "out.reddit.com"}
TRACKING_PARAMS = {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                   "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "ito"}
SEARCH_PATHS = re.compile(r"/(search|suche|ara)(/|$|\?)|[?&](q|query|s|search)=", re.IGNORECASE)
ARCHIVE = re.compile(
    r"^https://(web\.archive\.org/web|archive\.(today|ph|is|md)|archive\.org/wayback)"
    r"/(?P<stamp>\d{14})(id_|if_)?/(?P<original>https?://.+)$"
)


class BibProblem(Exception):
    """A bib file that cannot be parsed: carries file and line."""

    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def url_problems(url: str) -> list[str]:
    """Why a web-source URL is not acceptable (empty list when it is fine)."""
    problems = []
    if url != url.strip() or re.search(r"\s", url):
        problems.append("contains spaces")
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        problems.append(f"is not https ({parts.scheme or 'no scheme'})")
    if not parts.hostname or "." not in parts.hostname:
        problems.append("has no host name")
    if re.search(r"[\"'<>\\^`{|}]|[.,;:)\]]$", url.strip()):
        problems.append("has stray punctuation")
    if parts.hostname in TRACKING_HOSTS:
        problems.append(f"is a shortener or tracking redirect ({parts.hostname})")
    params = set(parse_qs(parts.query))
    if params & TRACKING_PARAMS:
        problems.append("carries tracking parameters (" + ", ".join(sorted(params & TRACKING_PARAMS)) + ")")
    if SEARCH_PATHS.search(parts.path + ("?" + parts.query if parts.query else "")):
        problems.append("is a search page, not a source")
    return problems


def archive_problems(archive: str, original: str, bound: datetime.date | None,
                     bound_name: str = "the date of its commit") -> list[str]:
    """Why an archived-copy URL is malformed (archive host, 14-digit timestamp, original URL)."""
    match = ARCHIVE.match(archive.strip())
    if not match:
        return ["archiveurl is not a web.archive.org or archive.today snapshot URL with a 14-digit timestamp"]
    problems = []
    stamp = match.group("stamp")
    try:
        taken = datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S").date()
    except ValueError:
        return [f"archiveurl timestamp {stamp} is not a real date"]
    if bound is not None and taken > bound:
        problems.append(f"archiveurl timestamp {stamp} is after {bound_name} {bound}")
    def norm(u):
        return re.sub(r"^https?://(www\.)?", "", u).rstrip("/")
    if original and norm(match.group("original")) != norm(original):
        problems.append("archiveurl does not embed the entry's url")
    return problems


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_bibfile(path: Path):
    """Parse with pybtex; raise BibProblem naming the file and line on any syntax error."""
    import pybtex.errors
    from pybtex.database.input.bibtex import Parser
    from pybtex.scanner import PybtexSyntaxError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BibProblem(path, 0, "file not found (listed in bibtex_bibfiles in conf.py)") from None
    except UnicodeDecodeError as err:
        raise BibProblem(path, _line_of(err.object.decode("latin-1"), err.start), "not valid UTF-8") from None
    # Duplicate keys first: pybtex would stop at the second one without a line number.
    seen = {}
    for match in ENTRY_START.finditer(text):
        kind, key = match.group(1).lower(), match.group(2)
        if kind in {"comment", "preamble", "string"}:
            continue
        line = _line_of(text, match.start())
        if key.lower() in seen:
            raise BibProblem(path, line, f"duplicate key '{key}' (first defined on line {seen[key.lower()]})")
        seen[key.lower()] = line
    # Unbalanced braces: pybtex only reports "premature end of file"; name the entry instead.
    starts = [m for m in ENTRY_START.finditer(text)]
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        chunk = re.sub(r"\\[{}]", "", text[match.start():end])
        depth = chunk.count("{") - chunk.count("}")
        if depth:
            what = "a '{' is never closed" if depth > 0 else "a '}' has no opening brace"
            raise BibProblem(path, _line_of(text, match.start()),
                             f"unbalanced braces in entry '{match.group(2)}' ({what})")
    old_strict = pybtex.errors.strict
    pybtex.errors.set_strict_mode(True)
    try:
        data = Parser(encoding="utf-8").parse_stream(io.StringIO(text))
    except PybtexSyntaxError as err:
        message = str(err).split(": ", 1)[-1].strip()
        if "expected" in message:
            message += " (a missing comma at the end of the previous field, or an unclosed brace?)"
        raise BibProblem(path, err.lineno, message) from None
    except Exception as err:  # pybtex raises several error classes for bad input
        line = getattr(err, "lineno", None) or 0
        raise BibProblem(path, line, f"cannot parse: {err}") from None
    finally:
        pybtex.errors.set_strict_mode(old_strict)
    # Unbalanced braces can swallow following entries without a syntax error: compare counts.
    if len(data.entries) != len(seen):
        missing = [k for k in seen if k not in {e.lower() for e in data.entries}]
        where = seen[missing[0]] if missing else 1
        raise BibProblem(path, where, "entry is malformed (unbalanced braces or a missing comma?); "
                         f"{len(seen)} entries start but pybtex read {len(data.entries)}")
    return text, data, seen


def check_bibfile(path: Path, as_of: datetime.date, bound: datetime.date | None = None):
    """Return (entries, problems) where problems are (line, message) for each rule broken.

    Dates: a source published after the book's as-of date is information newer than the book
    claims to hold, so the contributor who adds it moves ``as_of`` in conf.py in the same pull
    request (CONTRIBUTING.md). ``urldate`` and archive timestamps are the days someone read or
    saved the page: any day up to ``bound`` (the commit's date, see ``dates.commit_bound``) is
    fine, whatever the as-of date; with no bound (uncommitted edits, no git) only the format
    is checked. Nothing here reads the clock.
    """
    text, data, lines = parse_bibfile(path)
    problems = []
    urls = {}
    for key, entry in data.entries.items():
        line = lines.get(key.lower(), 0)
        fields = {k.lower(): v for k, v in entry.fields.items()}
        if entry.type.lower() not in ALLOWED_TYPES:
            problems.append((line, f"{key}: entry type @{entry.type} is not one of "
                             + ", ".join("@" + t for t in sorted(ALLOWED_TYPES))))
        for name in REQUIRED:
            if not fields.get(name, "").strip():
                problems.append((line, f"{key}: missing field '{name}'"))
        if not (fields.get("publisher") or fields.get("institution") or fields.get("organization")
                or fields.get("journal")):
            problems.append((line, f"{key}: missing field 'publisher' (the site or organisation)"))
        year = fields.get("year", "").strip()
        if year and not re.fullmatch(r"(19|20)\d\d", year):
            problems.append((line, f"{key}: year '{year}' is not a four-digit year"))
        month = fields.get("month", "").strip()
        if month and not (month.isdigit() and 1 <= int(month) <= 12):
            problems.append((line, f"{key}: month '{month}' is not a number from 1 to 12"))
        day = fields.get("day", "").strip()
        if day:
            try:
                datetime.date(int(year), int(month), int(day))
            except ValueError:
                problems.append((line, f"{key}: year/month/day {year}-{month}-{day} is not a real date"))
        published = None
        if year.isdigit():
            published = datetime.date(int(year), int(month) if month.isdigit() and 1 <= int(month) <= 12 else 1,
                                      int(day) if day.isdigit() else 1)
            if published > as_of:
                problems.append((line, f"{key}: published {published} is after the book's as-of date {as_of} "
                                 "(information newer than the book: move briefing_as_of in conf.py)"))
        urldate = fields.get("urldate", "").strip()
        if urldate:
            try:
                visited = datetime.date.fromisoformat(urldate)
            except ValueError:
                problems.append((line, f"{key}: urldate '{urldate}' is not an ISO date (YYYY-MM-DD)"))
            else:
                if bound is not None and visited > bound:
                    problems.append((line, f"{key}: urldate {urldate} is in the future (after {bound}, "
                                     "the date of the commit)"))
        kind = fields.get("sourcetype", "").strip()
        if kind and kind not in SOURCE_TYPES:
            problems.append((line, f"{key}: sourcetype '{kind}' is not one of {', '.join(sorted(SOURCE_TYPES))}"))
        url = fields.get("url", "")
        if url:
            for problem in url_problems(url):
                problems.append((line, f"{key}: url {problem}: {url}"))
            norm = url.strip().rstrip("/").lower()
            if norm in urls:
                problems.append((line, f"{key}: same url as '{urls[norm]}'"))
            urls.setdefault(norm, key)
        if fields.get("archiveurl"):
            for problem in archive_problems(fields["archiveurl"], url, bound):
                problems.append((line, f"{key}: {problem}"))
    return data, problems


def _check(app, config):
    as_of = config.briefing_as_of
    if not isinstance(as_of, datetime.date):
        raise ConfigError("conf.py must set briefing_as_of to a datetime.date (the book's information date)")
    for name in config.bibtex_bibfiles or []:
        path = Path(app.confdir) / name
        try:
            _data, problems = check_bibfile(path, as_of, commit_bound(app.confdir, name))
        except BibProblem as err:
            raise ConfigError(f"{name}:{err.line}: {err.message}") from None
        for line, message in problems:
            logger.warning(message, location=f"{name}:{line}", type="bibtex", subtype="check")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_as_of", None, "env", types=frozenset({datetime.date}))
    app.connect("config-inited", _check, priority=100)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
