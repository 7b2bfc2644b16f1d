"""The project's link check, run for real against an HTTP server on 127.0.0.1.

A throwaway book (the real conf.py and extensions, a page of links) points at a local server
that plays every case the web throws at a link checker. No request leaves this machine.
"""

import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT

PAGE = b"<html><body><h1>Source</h1><h2 id='present'>Section</h2></body></html>"
ARTICLE = ("<html><head><title>Ministry statement</title></head><body><h1>Statement</h1>"
           "<p>The minister said the S&#8209;400 systems &ldquo;will be kept\n  in storage&rdquo; for now.</p>"
           "</body></html>").encode()
EDITED = b"<html><head><title>Ministry statement</title></head><body><p>This page was rewritten.</p></body></html>"
MISSING_PAGE = b"<html><head><title>Page not found | Ministry</title></head><body><p>Sorry.</p></body></html>"
HOME = b"<html><head><title>Ministry home</title></head><body><p>Welcome.</p></body></html>"


class Handler(BaseHTTPRequestHandler):
    hits: dict = {}
    times: dict = {}

    def log_message(self, *args):
        pass

    def reply(self, code, body=PAGE, headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        if self.path.startswith("/nohead"):
            return self.reply(405, b"")
        self.do_GET()

    def do_GET(self):
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        Handler.times.setdefault(self.path, []).append(time.monotonic())
        path = self.path
        if path.startswith("/article"):
            return self.reply(200, ARTICLE if path.startswith("/article/kept") else EDITED)
        if path.startswith("/soft-missing"):
            return self.reply(200, MISSING_PAGE)
        if path.startswith("/deep/story"):
            return self.reply(302, b"", [("Location", "/")])
        if path == "/":
            return self.reply(200, HOME)
        if path.startswith("/ok") or path.startswith("/nohead") or path.startswith("/new"):
            return self.reply(200)
        if path == "/missing":
            return self.reply(404, b"not found")
        if path.startswith("/error"):
            return self.reply(500, b"oops")
        if path == "/moved":
            return self.reply(301, b"", [("Location", "/ok")])
        if path == "/found":
            return self.reply(302, b"", [("Location", "/ok")])
        if path == "/forbidden":
            return self.reply(403, b"captcha")
        if path == "/slow":
            time.sleep(3)
            return self.reply(200)
        if path == "/limited":
            return self.reply(429, b"slow down", [("Retry-After", "1")])
        return self.reply(404, b"")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


CASES = {
    "ok": ("/ok", "working"),
    "not_found": ("/missing", "broken"),
    "server_error": ("/error", "broken"),
    "permanent_redirect": ("/moved", "redirected"),
    "temporary_redirect": ("/found", "redirected"),
    "anchor_present": ("/ok#present", "working"),
    "anchor_missing": ("/ok#absent", "broken"),
    "head_refused": ("/nohead", "working"),
    "slow": ("/slow", "timeout"),
    "forbidden": ("/forbidden", "blocked"),
    "rate_limited_forever": ("/limited", "unfinished"),
    # The status decides, never words of the URL that Sphinx's message repeats:
    "not_found_url_with_bot": ("/robots-and-both", "broken"),
    "not_found_url_with_403": ("/reports/403-forbidden", "broken"),
    "not_found_url_with_429": ("/rules/429", "broken"),
    "not_found_url_with_captcha": ("/captcha-policy", "broken"),
    "server_error_url_with_bot": ("/error/2019-bottom-line", "broken"),
}


def make_book(tmp_path, base, paths, host_delay=0.0):
    book = tmp_path / "book"
    book.mkdir()
    for name in ("conf.py", "system-packages.txt"):
        shutil.copy(ROOT / name, book / name)
    shutil.copytree(ROOT / "briefing", book / "briefing", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", book / "data")
    (book / "references.bib").write_text("", encoding="utf-8")
    with (book / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f"\nlinkcheck_timeout = 1\nlinkcheck_retries = 1\nlinkcheck_workers = 4\n"
                   f"briefing_linkcheck_host_delay = {host_delay}\n")
    lines = ["# Links", ""] + [f"- [{name}]({base}{path})" for name, path in paths.items()]
    (book / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return book


CONTENT_CASES = {  # key: (path, passage, expected class)
    "kept": ("/article/kept", "the S-400 systems \"will be kept in storage\" for now", "working"),
    "edited": ("/article/edited", "the S-400 systems \"will be kept in storage\" for now", "content-changed"),
    "soft": ("/soft-missing/story", "Sorry.", "soft-404"),
    "home": ("/deep/story", "Welcome.", "soft-404"),
}


def add_evidence(book, base, cases):
    """A chapter citing one source per case, each with its passage in the evidence file."""
    bib, lines, evidence = [], ["---", "owner: T", "status: draft", "---", "# One", ""], []
    for key, (path, passage, _expected) in cases.items():
        bib.append(f"@misc{{{key},\n  title = {{{key}}},\n  publisher = {{P}},\n  year = {{2026}},\n"
                   f"  url = {{{base}{path}}},\n  urldate = {{2026-11-01}},\n  sourcetype = {{press}}\n}}\n")
        lines.append(f"A claim from {key}.{{footcite}}`{key}#p`")
        evidence.append(f"{key}:\n  p:\n    text: '{passage}'\n")
    lines += ["", "## Notes", "", "```{footbibliography}", "```", ""]
    (book / "references.bib").write_text("\n".join(bib), encoding="utf-8")
    (book / "chapters").mkdir(exist_ok=True)
    (book / "chapters" / "01-one.md").write_text("\n".join(lines), encoding="utf-8")
    (book / "chapters" / "01-one.evidence.yaml").write_text("".join(evidence), encoding="utf-8")
    index = book / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n```{toctree}\nchapters/01-one\n```\n", encoding="utf-8")


def run_linkcheck(book, *args, max_seconds=8):
    cmd = [sys.executable, str(ROOT / "tools" / "linkcheck.py"), "--srcdir", str(book),
           "--max-seconds", str(max_seconds), "--cache", str(book / "cache.json"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(server, tmp_path_factory):
    book = make_book(tmp_path_factory.mktemp("links"), server, {k: v[0] for k, v in CASES.items()})
    started = time.monotonic()
    result = run_linkcheck(book)
    elapsed = time.monotonic() - started
    data = json.loads((book / "_build" / "linkcheck" / "report.json").read_text())
    by_uri = {row["uri"].replace(server, ""): (group, row) for group, rows in data["links"].items() for row in rows}
    return result, by_uri, elapsed, book


@pytest.mark.parametrize("case", sorted(CASES))
def test_link_is_classified(report, case):
    _result, by_uri, _elapsed, _book = report
    path, expected = CASES[case]
    group, row = by_uri[path]
    assert group == expected, f"{path}: {group} ({row['detail']}), expected {expected}"


def test_broken_links_report_their_http_status(report):
    _result, by_uri, _e, _b = report
    assert by_uri["/missing"][1]["detail"] == "HTTP 404"
    assert by_uri["/error"][1]["detail"] == "HTTP 500"
    assert "Anchor 'absent' not found" in by_uri["/ok#absent"][1]["detail"]


@pytest.fixture(scope="module")
def content_report(server, tmp_path_factory):
    book = make_book(tmp_path_factory.mktemp("content"), server, {})
    add_evidence(book, server, CONTENT_CASES)
    result = run_linkcheck(book)
    data = json.loads((book / "_build" / "linkcheck" / "report.json").read_text())
    by_uri = {row["uri"].replace(server, ""): (group, row) for group, rows in data["links"].items() for row in rows}
    return result, by_uri, book


@pytest.mark.parametrize("case", sorted(CONTENT_CASES))
def test_source_page_content_is_checked_against_its_passages(content_report, case):
    _result, by_uri, _book = content_report
    path, _passage, expected = CONTENT_CASES[case]
    group, row = by_uri[path]
    assert group == expected, f"{path}: {group} ({row['detail']}), expected {expected}"


def test_changed_content_names_the_passage_and_the_chapter_and_fails_the_run(content_report):
    result, by_uri, book = content_report
    _group, row = by_uri["/article/edited"]
    assert row["where"] == "chapters/01-one.md" and "edited#p" in row["detail"], row
    assert result.returncode == 1
    assert "## Content changed" in (book / "_build" / "linkcheck" / "report.md").read_text()


def test_content_verdicts_are_cached_until_the_passages_change(server, content_report):
    _result, _by_uri, book = content_report
    before = Handler.hits.get("/article/kept", 0)
    run_linkcheck(book)
    assert Handler.hits.get("/article/kept", 0) == before, "a fresh content verdict was fetched again"
    evidence = book / "chapters" / "01-one.evidence.yaml"
    evidence.write_text(evidence.read_text().replace("'the S-400 systems", "'The minister said the S-400 systems"),
                        encoding="utf-8")
    run_linkcheck(book)
    assert Handler.hits.get("/article/kept", 0) > before, "an edited passage must be checked again"


def test_changed_mode_checks_the_pages_whose_passages_the_branch_edits(server, tmp_path):
    book = make_book(tmp_path, server, {})
    add_evidence(book, server, {"kept": CONTENT_CASES["kept"], "edited": CONTENT_CASES["edited"]})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=book, check=True)
    subprocess.run([*git, "add", "-A"], cwd=book, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=book, check=True)
    subprocess.run([*git, "checkout", "-qb", "topic"], cwd=book, check=True)
    evidence = book / "chapters" / "01-one.evidence.yaml"
    evidence.write_text(evidence.read_text().replace("kept:\n  p:\n    text: 'the S-400 systems",
                                                     "kept:\n  p:\n    text: 'The minister said the S-400 systems"),
                        encoding="utf-8")
    subprocess.run([*git, "commit", "-qam", "sharper passage"], cwd=book, check=True)
    result = run_linkcheck(book, "--changed", "--base", "main")
    assert "Checking the 1 links" in result.stdout and "/article/kept" in result.stdout, result.stdout
    assert "/article/edited" not in result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_status_is_parsed_from_the_start_of_the_message_not_from_the_url_it_quotes():
    import linkcheck
    unreachable = {"status": "broken", "uri": "https://www.offshore-energy.biz/mercuria-to-supply-botas-with-lng/",
                   "info": "HTTPSConnectionPool(host='www.offshore-energy.biz', port=443): Max retries exceeded with url: "
                           "/mercuria-to-supply-botas-with-lng/ (Caused by NameResolutionError(...))"}
    assert linkcheck.classify(unreachable)[0] == "broken"
    quoting = {"status": "broken", "uri": "https://example.org/403/bot/captcha",
               "info": "404 Client Error: Not Found for url: https://example.org/403/bot/captcha"}
    assert linkcheck.classify(quoting) == ("broken", "HTTP 404")
    refused = {"status": "broken", "uri": "https://example.org/a",
               "info": "403 Client Error: Forbidden for url: https://example.org/a"}
    assert linkcheck.classify(refused) == ("blocked", "HTTP 403")


def test_run_is_bounded_in_time_and_names_the_links_it_could_not_finish(report):
    result, _by_uri, elapsed, _b = report
    assert elapsed < 30, f"a 429-forever server kept the check running for {elapsed:.0f} s"
    assert "unfinished" in result.stdout and "/limited" in result.stdout


def test_broken_link_fails_the_run_and_the_report_is_written_in_markdown_and_json(report):
    result, _by_uri, _e, book = report
    assert result.returncode == 1
    markdown = (book / "_build" / "linkcheck" / "report.md").read_text()
    assert "## Broken" in markdown and "## Blocked" in markdown and "## Working" in markdown


def test_cached_results_are_reused_without_new_requests(server, tmp_path):
    book = make_book(tmp_path, server, {"ok": "/ok?cache"})
    first = run_linkcheck(book)
    assert first.returncode == 0, first.stdout + first.stderr
    hits = Handler.hits.get("/ok?cache", 0)
    second = run_linkcheck(book)
    assert second.returncode == 0 and "reused from the cache" in second.stdout
    assert Handler.hits.get("/ok?cache", 0) == hits


def test_changed_mode_checks_only_links_the_branch_adds(server, tmp_path):
    book = make_book(tmp_path, server, {"old": "/missing"})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=book, check=True)
    subprocess.run([*git, "add", "-A"], cwd=book, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=book, check=True)
    subprocess.run([*git, "checkout", "-qb", "topic"], cwd=book, check=True)
    with (book / "index.md").open("a") as page:
        page.write(f"- [new]({server}/new-source)\n")
    subprocess.run([*git, "commit", "-qam", "add a source"], cwd=book, check=True)
    result = run_linkcheck(book, "--changed", "--base", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checking the 1 links" in result.stdout and "/missing" not in result.stdout


def test_offline_run_stops_quickly_and_says_the_network_is_unreachable(tmp_path):
    book = make_book(tmp_path, "https://unreachable.invalid", {"a": "/page", "b": "/other"})
    started = time.monotonic()
    result = run_linkcheck(book)
    assert result.returncode == 3
    assert "network cannot be reached" in result.stdout
    assert time.monotonic() - started < 15


def test_dead_original_with_a_live_archived_copy_is_reported_as_archived(server, tmp_path):
    book = make_book(tmp_path, server, {"archived copy": "/ok?snapshot"})
    with (book / "index.md").open("a") as page:
        page.write(f"- [gone]({server}/missing?original)\n")
    (book / "references.bib").write_text(
        "@misc{gone,\n  title = {Gone},\n  publisher = {P},\n  year = {2020},\n"
        f"  url = {{{server}/missing?original}},\n  urldate = {{2026-01-01}},\n"
        f"  archiveurl = {{{server}/ok?snapshot}},\n  sourcetype = {{press}}\n}}\n", encoding="utf-8")
    result = run_linkcheck(book)
    data = json.loads((book / "_build" / "linkcheck" / "report.json").read_text())
    archived = [row["uri"] for row in data["links"]["archived"]]
    assert archived == [f"{server}/missing?original"], data["links"]
    assert result.returncode == 0, result.stdout


def test_requests_to_one_host_are_spaced_by_the_host_delay(server, tmp_path):
    paths = {f"page {n}": f"/ok?polite={n}" for n in range(4)}
    book = make_book(tmp_path, server, paths, host_delay=0.4)
    result = run_linkcheck(book)
    assert result.returncode == 0, result.stdout + result.stderr
    stamps = sorted(Handler.times[path][0] for path in paths.values())
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 0.35, f"requests to one host {gaps} s apart with 4 workers and a 0.4 s delay"


def test_host_delay_shim_fits_this_sphinx_and_refuses_another(monkeypatch):
    """The per-host delay wraps a private Sphinx method: the suite fails the day Sphinx changes it."""
    import sphinx
    from sphinx.builders.linkcheck import HyperlinkAvailabilityCheckWorker
    from sphinx.errors import ExtensionError

    from briefing import linkcheckplus

    linkcheckplus.check_shim()  # this Sphinx: the shim's assumptions hold
    monkeypatch.setattr(sphinx, "version_info", (10, 0, 0, "final", 0))
    with pytest.raises(ExtensionError, match="Re-read sphinx/builders/linkcheck.py"):
        linkcheckplus.check_shim()
    monkeypatch.undo()
    monkeypatch.setattr(HyperlinkAvailabilityCheckWorker, "_check_uri", lambda self, uri: None)
    with pytest.raises(ExtensionError):
        linkcheckplus.check_shim()


def test_linkcheck_builder_is_replaced_through_sphinx_and_restores_the_worker_after_its_run(server, tmp_path):
    from sphinx.builders.linkcheck import HyperlinkAvailabilityCheckWorker
    from sphinx.testing.util import SphinxTestApp

    from briefing.linkcheckplus import PoliteLinkcheckBuilder

    original = HyperlinkAvailabilityCheckWorker._check_uri
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_parser", "briefing.linkcheckplus"]\n'
                                 "briefing_linkcheck_host_delay = 0.1\nlinkcheck_timeout = 2\n")
    (src / "index.md").write_text(f"# Links\n\n- [a]({server}/ok/a)\n- [b]({server}/ok/b)\n")
    app = SphinxTestApp("linkcheck", srcdir=src, builddir=tmp_path / "out")
    try:
        assert isinstance(app.builder, PoliteLinkcheckBuilder)
        app.build()
        lines = (app.outdir / "output.json").read_text().splitlines()
        assert len(lines) == 2 and all('"status": "working"' in line for line in lines), lines
    finally:
        app.cleanup()
    assert HyperlinkAvailabilityCheckWorker._check_uri is original


def test_tests_that_read_one_report_run_on_one_worker_so_the_check_runs_once(report, request):
    """`make test` (--dist loadgroup) keeps the tests of a module-scoped build on one worker
    (conftest.ONE_WORKER). pytest 9.2 silently broke that (pytest-xdist#1386): this notices."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@linkcheck"), request.node.nodeid
