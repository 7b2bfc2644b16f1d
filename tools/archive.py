"""Add archived-copy URLs (``archiveurl``) to references.bib from the Wayback Machine.

Usage: python tools/archive.py [--bib references.bib] [--only KEY ...] [--save] [--dry-run]
                               [--delay 1.5] [--timeout 20] [--max-seconds 600]
                               [--max-retry-after 60] [--as-of YYYY-MM-DD]
                               [--api URL] [--save-api URL]

For every entry that has a ``url`` but no ``archiveurl``, the Wayback Machine availability API
is asked for the snapshot closest to the entry's ``urldate``. Where there is none and ``--save``
is given, Save Page Now is asked for a capture and the snapshot URL it reports is used.

The snapshot URL is written exactly as the archive answered it (only ``http://web.archive.org``
becomes ``https://web.archive.org``); it is never built from a pattern. An answer is rejected
when its timestamp is not 14 digits, is after the book's as-of date (``briefing_as_of`` in conf.py), or
when the URL it embeds is not the entry's ``url`` (the same rules the build checks, from
``briefing/bibcheck.py``).

The new field goes on its own line after the entry's ``urldate`` (or as the entry's last
field), indented and aligned like the entry's other fields; no other byte of the file changes.
The file is written after each entry, so an interrupted run keeps what it found; a re-run asks
again only for entries still without ``archiveurl``.

Politeness: one request at a time, ``--delay`` seconds between requests, a per-request
``--timeout``, a total bound ``--max-seconds``; on HTTP 429 the script waits as Retry-After asks
(at most ``--max-retry-after`` seconds), retries once, then skips the entry as rate limited.

Exit status: 0 when no entry had an error, 1 when one did (malformed answer, rejected snapshot,
timeout, HTTP error), 2 for bad arguments or an unreadable bib file, 3 when the archive cannot be
reached (no network).

Why a hand-written client (about 180 lines) and not the kept libraries: ``savepagenow`` 1.3.1
builds its request from a domain fixed inside ``capture()`` (``"https://web.archive.org"``),
and ``wayback`` 0.5.1 asks the CDX search API at a module constant (``CDX_SEARCH_URL``) and
builds memento URLs from another; neither takes the address it talks to as an argument, so
neither can be pointed at the loopback stand-in the tests run (``tests/test_archive.py``,
``--api`` and ``--save-api`` here) without patching its internals, and the tests would then
test the patch. Both also bring ``requests`` and its retry policy, where this script must
bound every wait itself (Retry-After, ``--max-seconds``). Re-check when either library accepts
a base URL.
"""

import argparse
import datetime
import email.utils
import http.client
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from briefing.bibcheck import ARCHIVE, ENTRY_START, BibProblem, archive_problems, parse_bibfile

ROOT = Path(__file__).resolve().parent.parent


API = "https://archive.org/wayback/available"
SAVE_API = "https://web.archive.org/save"
USER_AGENT = "briefing-book-archive/1.0 (make archive; one request at a time)"
MAX_BODY = 1_000_000
FIELD = "archiveurl"
FIELD_NAME = re.compile(r"\s*([A-Za-z][\w:.+-]*)([ \t]*)=([ \t]*)")


# -- Errors an entry can end with ------------------------------------------------------------

class NoNetwork(Exception):
    """The first request could not connect: no network, or the archive is unreachable."""


class OutOfTime(Exception):
    """--max-seconds is used up."""


class RateLimited(Exception):
    """HTTP 429 again after the one retry."""


class EntryError(Exception):
    """Anything else that ends one entry: malformed answer, timeout, HTTP error."""


# -- HTTP: one request at a time, with delay, timeout, total bound and one 429 retry ------------

@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    url: str


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is returned as an HTTPError, so its Location can be read without following it


@dataclass
class Client:
    delay: float = 1.5
    timeout: float = 20.0
    max_seconds: float = 600.0
    max_retry_after: float = 60.0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    last: float | None = None

    def remaining(self) -> float:
        return self.max_seconds - (time.monotonic() - self.started)

    def _sleep(self, seconds: float):
        if seconds > 0:
            time.sleep(min(seconds, max(self.remaining(), 0)))

    def get(self, url: str, follow: bool = True) -> Response:
        if self.last is not None:
            self._sleep(self.delay - (time.monotonic() - self.last))
        if self.remaining() <= 0:
            raise OutOfTime()
        first = self.requests == 0
        self.requests += 1
        request = Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json, */*;q=0.5"})
        opener = build_opener() if follow else build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=max(0.1, min(self.timeout, self.remaining()))) as resp:
                return Response(resp.status, dict(resp.headers.items()), resp.read(MAX_BODY), resp.geturl())
        except HTTPError as err:
            try:
                body = err.read(MAX_BODY)
            except (OSError, http.client.HTTPException):
                body = b""
            return Response(err.code, dict(err.headers.items()) if err.headers else {}, body, err.geturl() or url)
        except TimeoutError:
            raise EntryError(f"timeout (no answer within {self.timeout:g} s)") from None
        except URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise EntryError(f"timeout (no answer within {self.timeout:g} s)") from None
            if first:
                raise NoNetwork(f"{urlsplit(url).hostname}: {err.reason}") from None
            raise EntryError(f"cannot connect: {err.reason}") from None
        except (OSError, http.client.HTTPException) as err:
            if first:
                raise NoNetwork(f"{urlsplit(url).hostname}: {err}") from None
            raise EntryError(f"connection failed: {err}") from None
        finally:
            self.last = time.monotonic()

    def get_polite(self, url: str, follow: bool = True) -> Response:
        """GET; on 429 wait as Retry-After asks (capped), retry once, then give up."""
        resp = self.get(url, follow)
        if resp.status != 429:
            return resp
        asked = retry_after(resp.headers.get("Retry-After"))
        wait = self.max_retry_after if asked is None else min(asked, self.max_retry_after)
        print(f"      HTTP 429 (too many requests): waiting {wait:g} s, then one retry", flush=True)
        self._sleep(wait)
        self.last = None  # the Retry-After wait replaces the usual delay
        resp = self.get(url, follow)
        if resp.status == 429:
            raise RateLimited(f"HTTP 429 again after waiting {wait:g} s; try again later")
        return resp


def retry_after(value) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


# -- What the archive answers ------------------------------------------------------------------

def https_for_wayback(url: str) -> str:
    """The archive's URL unchanged, except http://web.archive.org/... becomes https://."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and parts.hostname == "web.archive.org":
        return "https" + url[len(parts.scheme):]
    return url


def snapshot_problems(snapshot: str, original: str, as_of: datetime.date, stamp=None) -> list[str]:
    """Why an answered snapshot URL cannot go into the bib (empty when it can)."""
    problems = archive_problems(snapshot, original, as_of, "the as-of date")
    if re.search(r"[\s{}\\]", snapshot):
        problems.append("snapshot URL contains spaces, braces or backslashes")
    match = ARCHIVE.match(snapshot)
    if match and stamp is not None and str(stamp) != match.group("stamp"):
        problems.append(f"answer's timestamp {stamp} differs from its URL's {match.group('stamp')}")
    return problems


def lookup(client: Client, api: str, url: str, when: str):
    """Closest snapshot to `when` (YYYYMMDD): (snapshot URL, timestamp) or None when there is none."""
    query = urlencode({"url": url, "timestamp": when})
    resp = client.get_polite(api + ("&" if "?" in api else "?") + query)
    if resp.status != 200:
        raise EntryError(f"HTTP {resp.status} from the availability API")
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EntryError("malformed answer (not JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("archived_snapshots"), dict):
        raise EntryError("malformed answer (no archived_snapshots)")
    closest = data["archived_snapshots"].get("closest")
    if closest is None:
        return None
    if not isinstance(closest, dict) or not isinstance(closest.get("url"), str) or not closest["url"]:
        raise EntryError("malformed answer (closest snapshot has no url)")
    if closest.get("available") is False or not str(closest.get("status", "200")).startswith("2"):
        return None
    stamp = closest.get("timestamp")
    return https_for_wayback(closest["url"]), (str(stamp) if stamp is not None else None)


def save(client: Client, save_api: str, url: str) -> str:
    """Ask Save Page Now for a capture; the snapshot URL it reports (Content-Location or redirect)."""
    resp = client.get_polite(save_api.rstrip("/") + "/" + url, follow=False)
    for _hop in range(4):
        location = resp.headers.get("Content-Location")
        if location:
            return https_for_wayback(urljoin(resp.url, location.strip()))
        if resp.status in {301, 302, 303, 307, 308} and resp.headers.get("Location"):
            target = urljoin(resp.url, resp.headers["Location"].strip())
            if ARCHIVE.match(https_for_wayback(target)):
                return https_for_wayback(target)  # the snapshot it redirects to: no need to open it
            resp = client.get_polite(target, follow=False)
            continue
        if 200 <= resp.status < 300:
            if ARCHIVE.match(https_for_wayback(resp.url)):
                return https_for_wayback(resp.url)
            raise EntryError("Save Page Now answered without a snapshot URL")
        raise EntryError(f"HTTP {resp.status} from Save Page Now")
    raise EntryError("Save Page Now redirected too often")


# -- Writing the bib: one line added, every other byte kept -------------------------------------

@dataclass
class Field:
    name: str
    start: int  # index of the field name
    value_end: int  # index just after the value
    comma: int | None  # index of the comma that ends the field, if any
    before_eq: str
    after_eq: str


def _scan_entry(text: str, pos: int, closer: str):
    """Top-level comma positions of an entry body from pos, and the index of its closing char."""
    depth, quoted, commas, i = 0, False, [], pos
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                if closer == "}":
                    return commas, i
                raise ValueError("unbalanced braces")
            depth -= 1
        elif depth == 0 and char == '"':
            quoted = not quoted
        elif depth == 0 and not quoted:
            if char == ",":
                commas.append(i)
            elif char == ")" and closer == ")":
                return commas, i
        i += 1
    raise ValueError("entry is not closed")


def entry_fields(text: str, key: str):
    """The fields of entry `key` (in order) and the index of the entry's closing brace."""
    for match in ENTRY_START.finditer(text):
        if match.group(1).lower() in {"comment", "preamble", "string"} or match.group(2).lower() != key.lower():
            continue
        opener = text[match.end(1):match.end()].lstrip()[0]
        commas, end = _scan_entry(text, match.end(), "}" if opener == "{" else ")")
        fields = []
        bounds = [match.end()] + [c + 1 for c in commas]
        for index, start in enumerate(bounds):
            stop = commas[index] if index < len(commas) else end
            segment = text[start:stop]
            if not segment.strip():
                continue
            name = FIELD_NAME.match(segment)
            if not name:
                raise ValueError(f"cannot read a field of entry '{key}'")
            fields.append(Field(name.group(1), start + name.start(1), start + len(segment.rstrip()),
                                commas[index] if index < len(commas) else None, name.group(2), name.group(3)))
        return fields, end
    raise KeyError(key)


def _column(text: str, index: int) -> int:
    return index - (text.rfind("\n", 0, index) + 1)


def insert_archiveurl(text: str, key: str, snapshot: str) -> str:
    """`text` with `archiveurl = {snapshot}` added to entry `key`, after urldate or as the last field."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text[len(bom):]
    fields, end = entry_fields(text, key)
    if not fields:
        raise ValueError(f"entry '{key}' has no fields")
    if any(f.name.lower() == FIELD for f in fields):
        raise FileExistsError(f"entry '{key}' already has {FIELD}")
    anchor = next((f for f in fields if f.name.lower() == "urldate"), fields[-1])
    line_start = text.rfind("\n", 0, anchor.start) + 1
    indent = text[line_start:anchor.start]
    if indent.strip():  # the field shares its line with something else: add inline after it
        if anchor.comma is not None:
            addition = f" {FIELD}{anchor.before_eq}={anchor.after_eq}{{{snapshot}}},"
            return bom + text[:anchor.comma + 1] + addition + text[anchor.comma + 1:]
        addition = f", {FIELD}{anchor.before_eq}={anchor.after_eq}{{{snapshot}}}"
        return bom + text[:anchor.value_end] + addition + text[anchor.value_end:]
    # Spacing before "=": aligned to the entry's common "=" column when its fields are aligned.
    columns = {_column(text, f.start) + len(f.name) + len(f.before_eq) for f in fields
               if text[text.rfind("\n", 0, f.start) + 1:f.start].strip() == ""}
    names = {len(f.name) for f in fields}
    if len(columns) == 1 and len(names) > 1 and "\t" not in anchor.before_eq:
        pad = " " * max(1, columns.pop() - len(indent) - len(FIELD))
    else:
        pad = anchor.before_eq
    newline_at = text.find("\n", anchor.value_end)
    newline = "\r\n" if newline_at > 0 and text[newline_at - 1] == "\r" else "\n"
    rest = text[anchor.value_end:newline_at - len(newline) + 1] if newline_at != -1 else text[anchor.value_end:]
    if (newline_at != -1 and newline_at < end and re.fullmatch(r"[ \t]*,?[ \t]*", rest)
            and (anchor.comma is None or anchor.comma < newline_at)):
        # Usual layout: the anchor ends its line. Add a line after it; commas follow the entry's rule.
        has_comma = anchor.comma is not None
        line = f"{indent}{FIELD}{pad}={anchor.after_eq}{{{snapshot}}}{',' if has_comma else ''}{newline}"
        head = text[:newline_at + 1]
        if not has_comma:
            head = text[:anchor.value_end] + "," + text[anchor.value_end:newline_at + 1]
        return bom + head + line + text[newline_at + 1:]
    # The closing brace (or more) follows the anchor on its line: break the line after the anchor.
    cut = anchor.comma + 1 if anchor.comma is not None else anchor.value_end
    comma = "" if anchor.comma is not None else ","
    line = f"{comma}{newline}{indent}{FIELD}{pad}={anchor.after_eq}{{{snapshot}}}{',' if anchor.comma is not None else ''}"
    return bom + text[:cut] + line + text[cut:]


def write_archiveurl(bib: Path, key: str, snapshot: str):
    """Add the field to the bib on disk (re-read first), check it parses, then replace atomically."""
    text = bib.read_bytes().decode("utf-8")
    new = insert_archiveurl(text, key, snapshot)
    tmp = bib.with_name(f".{bib.name}.archive-tmp")
    try:
        tmp.write_bytes(new.encode("utf-8"))
        _text, data, _lines = parse_bibfile(tmp)
        entry = next(e for k, e in data.entries.items() if k.lower() == key.lower())
        if entry.fields.get(FIELD) != snapshot:
            raise ValueError(f"after the edit, {key}'s {FIELD} does not read back as written")
        shutil.copymode(bib, tmp)
        os.replace(tmp, bib)
    finally:
        tmp.unlink(missing_ok=True)


# -- The run -----------------------------------------------------------------------------------

def conf_as_of() -> datetime.date:
    from briefing import bookconf
    value = bookconf.load(ROOT).get("briefing_as_of")
    if not isinstance(value, datetime.date):
        sys.exit("error: conf.py has no briefing_as_of date")
    return value


def lookup_date(urldate: str, as_of: datetime.date) -> str:
    try:
        return datetime.date.fromisoformat(urldate.strip()).strftime("%Y%m%d")
    except ValueError:
        return as_of.strftime("%Y%m%d")


def print_summary(rows, dry_run: bool):
    labels = {"added": "would add" if dry_run else "added", "not found": "not found",
              "rate limited": "rate limited", "error": "error", "unfinished": "unfinished"}
    order = list(labels)
    rows = sorted(rows, key=lambda r: order.index(r[0]))
    table = [("result", "key", "timestamp", "detail")] + [(labels[k], key, stamp, detail)
                                                          for k, key, stamp, detail in rows]
    widths = [max(len(r[i]) for r in table) for i in range(3)]
    print()
    print("Summary" + (" (dry run: references.bib not changed)" if dry_run else "") + ":")
    if not rows:
        print("  nothing to do")
        return
    for number, row in enumerate(table):
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
        if number == 0:
            print("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    counts = {k: sum(1 for r in rows if r[0] == k) for k in order}
    print("  " + ", ".join(f"{n} {labels[k]}" for k, n in counts.items() if n) + ".")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Add archived-copy URLs to references.bib from the Wayback "
                                     "Machine (needs the network).")
    parser.add_argument("--bib", default=str(ROOT / "references.bib"))
    parser.add_argument("--only", action="append", metavar="KEY", help="only this entry (repeatable)")
    parser.add_argument("--save", action="store_true", help="request a capture (Save Page Now) when none exists")
    parser.add_argument("--dry-run", action="store_true", help="ask the archive but do not change the bib")
    parser.add_argument("--delay", type=float, default=1.5, help="seconds between requests (default 1.5)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run (default 600)")
    parser.add_argument("--max-retry-after", type=float, default=60.0,
                        help="longest wait after a 429 before the one retry (default 60)")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None,
                        help="newest allowed snapshot date (default: as_of in conf.py)")
    parser.add_argument("--api", default=API, help=f"availability API (default {API})")
    parser.add_argument("--save-api", default=SAVE_API, help=f"Save Page Now endpoint (default {SAVE_API})")
    args = parser.parse_args(argv)
    bib = Path(args.bib)
    as_of = args.as_of or conf_as_of()

    try:
        _text, data, _lines = parse_bibfile(bib)
    except BibProblem as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    entries = {key: {k.lower(): v for k, v in entry.fields.items()} for key, entry in data.entries.items()}
    keys = {key.lower(): key for key in entries}
    only = None
    if args.only:
        unknown = [k for k in args.only if k.lower() not in keys]
        if unknown:
            print(f"error: no entry {', '.join(unknown)} in {bib}", file=sys.stderr)
            return 2
        only = {keys[k.lower()] for k in args.only}
    chosen = [k for k in entries if only is None or k in only]
    with_url = [k for k in chosen if entries[k].get("url", "").strip()]
    todo = [k for k in with_url if not entries[k].get(FIELD, "").strip()]
    done = len(with_url) - len(todo)
    print(f"{bib.name}: {len(todo)} {'entry' if len(todo) == 1 else 'entries'} with a url and no {FIELD} "
          f"({done} already {'has' if done == 1 else 'have'} one). Snapshots up to {as_of} are accepted.", flush=True)

    client = Client(delay=args.delay, timeout=args.timeout, max_seconds=args.max_seconds,
                    max_retry_after=args.max_retry_after)
    rows = []
    for number, key in enumerate(todo, start=1):
        url = entries[key]["url"].strip()
        when = lookup_date(entries[key].get("urldate", ""), as_of)
        prefix = f"[{number}/{len(todo)}] {key}:"
        try:
            answer = lookup(client, args.api, url, when)
            if answer is None and args.save:
                print(f"{prefix} no snapshot; requesting a capture (Save Page Now)", flush=True)
                answer = (save(client, args.save_api, url), None)
            if answer is None:
                rows.append(("not found", key, "", "no snapshot in the archive"
                             + ("" if args.save else " (SAVE=1 / --save requests a capture)")))
                print(f"{prefix} not found", flush=True)
                continue
            snapshot, stamp = answer
            problems = snapshot_problems(snapshot, url, as_of, stamp)
            if problems:
                rows.append(("error", key, "", f"rejected {snapshot}: " + "; ".join(problems)))
                print(f"{prefix} rejected: {'; '.join(problems)}", flush=True)
                continue
            stamp = ARCHIVE.match(snapshot).group("stamp")
            if not args.dry_run:
                try:
                    write_archiveurl(bib, key, snapshot)
                except FileExistsError:
                    print(f"{prefix} {FIELD} was added meanwhile; left as it is", flush=True)
                    continue
                except (ValueError, KeyError, BibProblem) as err:
                    rows.append(("error", key, stamp, f"not written: {err}"))
                    print(f"{prefix} not written: {err}", flush=True)
                    continue
            rows.append(("added", key, stamp, snapshot))
            print(f"{prefix} {'would add' if args.dry_run else 'added'} {snapshot}", flush=True)
        except NoNetwork as err:
            print(f"The archive cannot be reached ({err}). No network? Nothing was changed; "
                  "run `make archive` again when online.", file=sys.stderr)
            return 3
        except RateLimited as err:
            rows.append(("rate limited", key, "", str(err)))
            print(f"{prefix} rate limited, skipped", flush=True)
        except EntryError as err:
            rows.append(("error", key, "", str(err)))
            print(f"{prefix} {err}", flush=True)
        except OutOfTime:
            rows += [("unfinished", k, "", f"--max-seconds {args.max_seconds:g} used up") for k in todo[number - 1:]]
            print(f"Stopped after {args.max_seconds:g} s: {len(todo) - number + 1} entries not looked up.", flush=True)
            break
    print_summary(rows, args.dry_run)
    return 1 if any(r[0] == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
