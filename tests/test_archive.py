"""`make archive` (tools/archive.py), run against a stand-in Wayback Machine on 127.0.0.1.

The stand-in plays the availability API (``/wayback/available``) and Save Page Now
(``/save/<url>``); each test says what it answers for which source. The tool works on a small
bib in tmp_path, written in the format of references.bib. No request leaves this machine.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import archive
import pytest
from conftest import ROOT

from briefing.bibcheck import check_bibfile

AS_OF = "2026-11-26"
ALPHA = "https://www.example.org/news/alpha"
BETA = "https://www.example.org/reports/beta"
GAMMA = "https://example.net/gamma"
DELTA = "https://example.com/delta"
EPSILON = "https://www.example.org/news/epsilon"

BIB = f"""@misc{{alpha2026,
  title      = {{Alpha: Türkiye and the S-400}},
  publisher  = {{Example Agency}},
  year       = {{2026}},
  month      = {{3}},
  day        = {{2}},
  url        = {{{ALPHA}}},
  urldate    = {{2026-11-20}},
  sourcetype = {{press}}
}}

@techreport{{beta2025,
  author      = {{Doe, Jane}},
  title       = {{Beta: F-35 programme costs}},
  institution = {{Example Institute}},
  year        = {{2025}},
  url         = {{{BETA}}},
  urldate     = {{2026-10-01}},
  sourcetype  = {{analysis}}
}}

@misc{{gamma2024,
  title      = {{Gamma statement}},
  publisher  = {{Example Ministry}},
  year       = {{2024}},
  sourcetype = {{primary}},
  url        = {{{GAMMA}}},
  urldate    = {{2026-11-01}}
}}

@misc{{delta2023,
  title      = {{Delta, already archived}},
  publisher  = {{Example Wire}},
  year       = {{2023}},
  url        = {{{DELTA}}},
  urldate    = {{2026-11-26}},
  archiveurl = {{https://web.archive.org/web/20231005120000/{DELTA}}},
  sourcetype = {{wire}}
}}

@misc{{epsilon2026,
  title      = {{Epsilon}},
  publisher  = {{Example Agency}},
  year       = {{2026}},
  url        = {{{EPSILON}}},
  urldate    = {{2026-11-26}},
  sourcetype = {{press}}
}}
"""


def found(original, stamp="20261120101500", scheme="http", embedded=None):
    """The availability API's answer when a snapshot exists (the real API answers http://)."""
    snapshot = f"{scheme}://web.archive.org/web/{stamp}/{embedded or original}"
    body = {"url": original, "archived_snapshots": {"closest": {
        "status": "200", "available": True, "url": snapshot, "timestamp": stamp}}}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode(), 0


NONE = (200, {"Content-Type": "application/json"}, b'{"url": "x", "archived_snapshots": {}}', 0)


class StandIn(BaseHTTPRequestHandler):
    answers: dict = {}  # original url -> (status, headers, body, seconds to sleep first)
    saves: dict = {}  # original url -> the same, for Save Page Now
    log: list = []  # (endpoint, original url, timestamp)
    bib: Path | None = None
    bib_seen: dict = {}  # original url -> the bib's text when the request for it arrived

    def log_message(self, *args):
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/wayback/available":
            query = parse_qs(parts.query)
            original, table = query["url"][0], StandIn.answers
            StandIn.log.append(("available", original, query.get("timestamp", [""])[0]))
            default = NONE
        elif parts.path.startswith("/save/"):
            original, table = self.path[len("/save/"):], StandIn.saves
            StandIn.log.append(("save", original, ""))
            default = (502, {}, b"capture failed", 0)
        else:
            original, table, default = "", {}, (404, {}, b"", 0)
        if StandIn.bib is not None:
            StandIn.bib_seen[original] = StandIn.bib.read_text(encoding="utf-8")
        status, headers, body, sleep = table.get(original, default)
        time.sleep(sleep)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout test)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def api(server):
    StandIn.answers, StandIn.saves, StandIn.log, StandIn.bib, StandIn.bib_seen = {}, {}, [], None, {}
    return StandIn


@pytest.fixture
def bib(tmp_path) -> Path:
    path = tmp_path / "references.bib"
    path.write_bytes(BIB.encode("utf-8"))
    return path


@pytest.fixture
def run(server, bib, capsys):
    def run(*args, target=None):
        code = archive.main(["--bib", str(target or bib), "--api", f"{server}/wayback/available",
                             "--save-api", f"{server}/save", "--as-of", AS_OF, "--delay", "0",
                             "--timeout", "2", *args])
        return code, capsys.readouterr().out
    return run


def archive_line(original, stamp="20261120101500", comma=","):
    return f"  archiveurl = {{https://web.archive.org/web/{stamp}/{original}}}{comma}\n".encode()


def test_found_snapshot_is_added_after_urldate_and_no_other_byte_changes(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = found(ALPHA)
    code, out = run()
    after = bib.read_bytes()
    line = archive_line(ALPHA)
    assert code == 0, out
    assert after.count(line) == 1
    assert after.replace(line, b"", 1) == before
    assert b"  urldate    = {2026-11-20},\n" + line + b"  sourcetype = {press}\n" in after
    assert ("available", ALPHA, "20261120") in api.log  # closest to the entry's urldate
    assert ("available", DELTA, "20261126") not in [e for e in api.log]  # already archived: not asked
    _data, problems = check_bibfile(bib, archive.datetime.date.fromisoformat(AS_OF))
    assert problems == []
    assert "added" in out and "alpha2026" in out and "20261120101500" in out


def test_found_for_entry_whose_urldate_is_last_field_moves_the_comma_to_urldate(api, run, bib):
    before = bib.read_bytes()
    api.answers[GAMMA] = found(GAMMA, "20261101000000")
    code, out = run("--only", "gamma2024")
    assert code == 0, out
    expected = before.replace(b"  urldate    = {2026-11-01}\n}",
                              b"  urldate    = {2026-11-01},\n" + archive_line(GAMMA, "20261101000000", "") + b"}")
    assert bib.read_bytes() == expected
    assert check_bibfile(bib, archive.datetime.date.fromisoformat(AS_OF))[1] == []


def test_not_found_writes_nothing_and_is_reported(api, run, bib):
    before = bib.read_bytes()
    code, out = run("--only", "beta2025")
    assert code == 0, out
    assert bib.read_bytes() == before
    assert "not found" in out and "beta2025" in out
    assert [e[0] for e in api.log] == ["available"]  # no capture requested without --save


def test_rate_limited_429_waits_once_retries_then_skips_and_writes_nothing_for_it(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = (429, {"Retry-After": "30"}, b"slow down", 0)
    api.answers[EPSILON] = found(EPSILON, "20261126080000")
    started = time.monotonic()
    code, out = run("--max-retry-after", "0.2")
    assert time.monotonic() - started < 5  # Retry-After: 30 was capped
    assert [e for e in api.log if e[1] == ALPHA] == [("available", ALPHA, "20261120")] * 2  # one retry only
    assert "rate limited" in out and "alpha2026" in out
    assert b"web/20261120" not in bib.read_bytes()
    assert bib.read_bytes().replace(archive_line(EPSILON, "20261126080000"), b"") == before  # the run went on
    assert code == 0


def test_malformed_answer_is_reported_and_skipped(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = (200, {"Content-Type": "text/html"}, b"<html>Service unavailable</html>", 0)
    api.answers[BETA] = (200, {}, b'{"archived_snapshots": {"closest": {"timestamp": "20260101000000"}}}', 0)
    code, out = run("--only", "alpha2026", "--only", "beta2025")
    assert code == 1
    assert out.count("malformed answer") >= 2 and "alpha2026" in out and "beta2025" in out
    assert bib.read_bytes() == before


def test_timeout_is_reported_and_the_run_goes_on(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = (*found(ALPHA)[:3], 1.0)
    api.answers[EPSILON] = found(EPSILON, "20261126080000")
    code, out = run("--timeout", "0.5", "--only", "alpha2026", "--only", "epsilon2026")
    assert code == 1
    assert "timeout" in out and "alpha2026" in out
    assert bib.read_bytes().replace(archive_line(EPSILON, "20261126080000"), b"") == before


def test_rerun_adds_nothing_and_asks_nothing(api, run, bib):
    for url, stamp in [(ALPHA, "20261120101500"), (BETA, "20261001000000"), (GAMMA, "20261101000000"),
                       (EPSILON, "20261126080000")]:
        api.answers[url] = found(url, stamp)
    assert run()[0] == 0
    first = bib.read_bytes()
    assert first.count(b"archiveurl") == 5
    api.log.clear()
    code, out = run()
    assert code == 0
    assert bib.read_bytes() == first
    assert api.log == []
    assert "0 entries with a url and no archiveurl" in out and "nothing to do" in out


def test_snapshot_after_as_of_date_is_rejected(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = found(ALPHA, "20261201093000")
    code, out = run("--only", "alpha2026")
    assert code == 1
    assert "after the as-of date" in out and "rejected" in out
    assert bib.read_bytes() == before


@pytest.mark.parametrize("answer, reason", [
    (found(ALPHA, "202611201015"), "14-digit timestamp"),
    (found(ALPHA, embedded="https://www.example.org/news/other"), "does not embed the entry's url"),
    ((200, {}, found(ALPHA)[2].replace(b"web.archive.org", b"archive.example"), 0), "14-digit timestamp"),
], ids=["short-timestamp", "other-page", "other-host"])
def test_snapshot_with_bad_timestamp_host_or_page_is_rejected(api, run, bib, answer, reason):
    before = bib.read_bytes()
    api.answers[ALPHA] = answer
    code, out = run("--only", "alpha2026")
    assert code == 1 and reason in out
    assert bib.read_bytes() == before


def test_save_endpoint_is_used_only_with_the_save_flag(api, run, bib):
    before = bib.read_bytes()
    snapshot = f"https://web.archive.org/web/20261125170000/{BETA}"
    api.saves[BETA] = (200, {"Content-Location": snapshot}, b"saved", 0)
    code, out = run("--only", "beta2025")
    assert code == 0 and "not found" in out
    assert [e[0] for e in api.log] == ["available"]
    assert bib.read_bytes() == before
    code, out = run("--only", "beta2025", "--save")
    assert code == 0, out
    assert [e[0] for e in api.log] == ["available", "available", "save"]
    assert ("save", BETA, "") in api.log
    line = f"  archiveurl  = {{{snapshot}}},\n".encode()  # beta's fields align "=" one column further
    assert bib.read_bytes().replace(line, b"", 1) == before


def test_save_snapshot_reported_by_redirect_is_used_without_opening_it(api, run, bib):
    before = bib.read_bytes()
    api.saves[ALPHA] = (302, {"Location": f"http://web.archive.org/web/20261125170000/{ALPHA}"}, b"", 0)
    code, out = run("--only", "alpha2026", "--save")
    assert code == 0, out
    assert bib.read_bytes().replace(archive_line(ALPHA, "20261125170000"), b"") == before  # https, as answered
    assert [e[0] for e in api.log] == ["available", "save"]


def test_progress_is_written_after_each_success(api, run, bib):
    api.bib = bib
    api.answers[ALPHA] = found(ALPHA)
    api.answers[EPSILON] = found(EPSILON, "20261126080000")
    assert run()[0] == 0
    assert "archiveurl = {https://web.archive.org/web/20261120101500/" in api.bib_seen[BETA]
    assert "20261126080000" not in api.bib_seen[BETA]


def test_dry_run_asks_but_changes_nothing(api, run, bib):
    before = bib.read_bytes()
    api.answers[ALPHA] = found(ALPHA)
    code, out = run("--dry-run")
    assert code == 0
    assert "would add" in out and "alpha2026" in out
    assert bib.read_bytes() == before


def test_without_network_it_stops_quickly_with_status_3(bib):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connections are refused
    before = bib.read_bytes()
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "archive.py"), "--bib", str(bib),
                             "--api", f"http://127.0.0.1:{port}/wayback/available", "--as-of", AS_OF],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "cannot be reached" in result.stderr and "No network?" in result.stderr
    assert time.monotonic() - started < 8
    assert bib.read_bytes() == before


def test_rendered_bibliography_shows_original_and_archived_links():
    from pybtex.database import parse_string

    from briefing.bibstyle import BriefingStyle

    snapshot = f"https://web.archive.org/web/20260302101500/{ALPHA}"
    data = parse_string(BIB.split("\n\n")[0].replace(
        "  urldate    = {2026-11-20},\n", f"  urldate    = {{2026-11-20}},\n  archiveurl = {{{snapshot}}},\n"), "bibtex")
    entry = list(BriefingStyle().format_entries(data.entries.values()))[0]
    text = entry.text.render_as("text")
    html = entry.text.render_as("html")
    assert ALPHA in text and "(accessed 20 November 2026)" in text
    assert "Archived copy, 2 March 2026" in text
    assert f'href="{ALPHA}"' in html and f'href="{snapshot}"' in html
    assert "Archived copy, 2 March 2026</a>" in html
