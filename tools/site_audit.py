"""Audit the built HTML with Lighthouse and pa11y; print scores and issues (`make audit`).

Usage: python tools/site_audit.py [--builddir _build] [--pages index.html ...] [--no-pa11y]

Serves ``_build/html`` on 127.0.0.1 (with gzip, as a real host would), runs Lighthouse
(desktop and mobile) on the pages of ``LIGHTHOUSE_PAGES`` and pa11y (WCAG2AA, HTML_CodeSniffer)
on every page, and prints a table of the four Lighthouse scores per
page and form factor, then pa11y's errors. The npm tools are pinned in tools/audit/
(package.json + package-lock.json, installed there with ``npm ci`` by the Makefile); the
browser is Debian's Chromium.

axe runs inside Lighthouse (its accessibility category), not through pa11y: pa11y 8.0.0, the
last release that runs on Debian bookworm's Node 18, reports axe's "incomplete" (needs
review) results as errors (https://github.com/pa11y/pa11y/issues/707,
https://github.com/pa11y/pa11y/issues/623), e.g. "background colour could not be determined
because the element partially overlaps others" for a paragraph with a note mark.

Exit status 1 when accessibility, best practices or SEO is below 100, performance below 95,
or pa11y reports an error not listed in ``data/audit-known-issues.yaml`` (each entry names a
theme limitation with its upstream issue). Not part of `make test`: Lighthouse's scores drift
with the machine's load and it needs a browser and npm packages the suite does not.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "tools" / "audit"
KNOWN_ISSUES = ROOT / "data" / "audit-known-issues.yaml"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ["--headless=new", "--no-sandbox"]

#: The pages Lighthouse measures: the title page, a core chapter, the chronology, the references.
LIGHTHOUSE_PAGES = (
    "index.html",
    "chapters/02-expulsion-2019.html",
    "chapters/91-chronology.html",
    "chapters/99-references.html",
)
FORM_FACTORS = ("desktop", "mobile")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
#: Lowest passing score per category (0-100).
THRESHOLDS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
#: Pages pa11y skips: Sphinx's generated search page and index are not the book's content.
PA11Y_SKIP = ("search.html", "genindex.html")
COMPRESSIBLE = (".html", ".css", ".js", ".svg", ".json", ".txt", ".xml")


# --- the server --------------------------------------------------------------------------


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files with gzip ``Content-Encoding`` for text types, as any real host sends.

    Written here rather than taken from PyPI: the standard library's handler does everything
    but compression, and twenty lines add it; a pinned server package would be one more
    dependency for the suite's lock file that only this audit uses.
    """

    def send_head(self):  # noqa: ANN201 (signature of the base class)
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts_gzip and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return _BytesFile(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _BytesFile:
    """The file-like object ``send_head`` returns for ``copyfile``."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, n: int = -1) -> bytes:
        data, self._data = (self._data, b"") if n < 0 else (self._data[:n], self._data[n:])
        return data

    def close(self) -> None:
        self._data = b""


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """Start the gzip server on a free port of 127.0.0.1; return it and its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(GzipHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# --- reading the results -----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    page: str
    form_factor: str
    scores: dict[str, int]


def lighthouse_scores(report: dict) -> dict[str, int]:
    """The four category scores (0-100) of one Lighthouse JSON report."""
    scores = {}
    for name in CATEGORIES:
        score = report["categories"][name]["score"]
        scores[name] = round(score * 100) if score is not None else 0
    return scores


def failing_scores(rows: Iterable[Row]) -> list[str]:
    """One line per score under its threshold."""
    return [
        f"{row.page} ({row.form_factor}): {name} {row.scores[name]} < {THRESHOLDS[name]}"
        for row in rows
        for name in CATEGORIES
        if row.scores[name] < THRESHOLDS[name]
    ]


def score_table(rows: Iterable[Row]) -> str:
    """A plain-text table: page, form factor, the four scores."""
    header = ("page", "form factor", *CATEGORIES)
    lines = [header] + [(r.page, r.form_factor, *(str(r.scores[c]) for c in CATEGORIES)) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def load_known_issues(path: Path = KNOWN_ISSUES) -> list[dict]:
    """The known theme limitations: each with ``code``, ``selector``, ``reason`` and ``upstream``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for i, entry in enumerate(entries):
        missing = {"code", "selector", "reason", "upstream"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {i + 1} lacks {', '.join(sorted(missing))}")
        if not str(entry["upstream"]).startswith("https://"):
            raise SystemExit(f"{path}: entry {i + 1}: upstream must be the issue's https URL")
    return entries


def is_known(issue: dict, known: list[dict]) -> dict | None:
    """The known-issue entry that covers a pa11y issue, if any."""
    for entry in known:
        if issue.get("code") == entry["code"] and issue.get("selector") == entry["selector"]:
            return entry
    return None


# --- running the tools -------------------------------------------------------------------


def run_lighthouse(url: str, form_factor: str, out: Path) -> dict:
    cmd = [
        "node",
        str(NPM_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if form_factor == "desktop":
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    return json.loads(out.read_text(encoding="utf-8"))


def run_pa11y(url: str, config: Path) -> list[dict]:
    cmd = [
        "node",
        str(NPM_DIR / "node_modules" / "pa11y" / "bin" / "pa11y.js"),
        "--standard=WCAG2AA",
        "--runner=htmlcs",
        "--reporter=json",
        f"--config={config}",
        url,
    ]
    # pa11y exits 2 when it finds issues; the JSON on stdout is what counts.
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 2):
        raise SystemExit(f"pa11y failed on {url}:\n{result.stderr}")
    return json.loads(result.stdout or "[]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builddir", type=Path, default=ROOT / "_build")
    parser.add_argument("--pages", nargs="*", default=list(LIGHTHOUSE_PAGES), help="pages Lighthouse measures")
    parser.add_argument("--no-pa11y", action="store_true")
    parser.add_argument("--report-dir", type=Path, help="keep the Lighthouse JSON reports here")
    args = parser.parse_args()
    html = args.builddir / "html"
    if not (html / "index.html").is_file():
        raise SystemExit(f"{html}/index.html is missing: run `make html` first")
    if not (NPM_DIR / "node_modules" / "lighthouse").is_dir():
        raise SystemExit("tools/audit/node_modules is missing: run `npm ci` in tools/audit (make audit does)")
    known = load_known_issues()
    server, base = serve(html)
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        report_dir = args.report_dir or Path(tmp)
        report_dir.mkdir(parents=True, exist_ok=True)
        rows = []
        for page in args.pages:
            for form_factor in FORM_FACTORS:
                out = report_dir / f"{page.replace('/', '_')}.{form_factor}.json"
                rows.append(Row(page, form_factor, lighthouse_scores(run_lighthouse(base + page, form_factor, out))))
        print("Lighthouse 12.2.3 (Chromium at %s)\n" % CHROMIUM)
        print(score_table(rows))
        failures += failing_scores(rows)
        if not args.no_pa11y:
            config = Path(tmp) / "pa11y.json"
            config.write_text(json.dumps({"chromeLaunchConfig": {"executablePath": CHROMIUM, "args": CHROME_FLAGS}}))
            pages = sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html"))
            pages = [p for p in pages if p not in PA11Y_SKIP and not p.startswith("_")]
            print(f"\npa11y 8.0.0 (WCAG2AA, HTML_CodeSniffer) on {len(pages)} pages:")
            for page in pages:
                for issue in run_pa11y(base + page, config):
                    entry = is_known(issue, known)
                    where = f"{page}: [{issue.get('runner')}] {issue['code']} at {issue['selector']}"
                    if entry:
                        print(f"  known  {where} (theme limitation: {entry['upstream']})")
                    else:
                        print(f"  ERROR  {where}: {issue['message']}")
                        failures.append(f"pa11y {where}")
    server.shutdown()
    if failures:
        print("\nBelow target:\n  " + "\n  ".join(failures))
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
