"""Check every external link of the book on the web and write a readable report.

Usage: python tools/linkcheck.py [--builddir _build] [--changed [--base main]]
                                 [--max-seconds 900] [--cache-days 7] [--srcdir .]

Sphinx's ``linkcheck`` builder does the checking, with the politeness settings in conf.py.
This script adds what it lacks:

* a bound on the total time (Sphinx retries a 429 with a numeric Retry-After forever); links
  not finished in time are reported as "unfinished", by name;
* a result cache (``.linkcheck-cache/results.json``) so a re-run within ``--cache-days`` does
  not hit the same sites again;
* ``--changed``: only the links the current branch adds against ``--base`` (git diff);
* a quick network probe: offline, it says so and stops instead of calling every link broken;
* the content of each source page (``tools/passagecheck.py``): **content changed** when a passage
  of a chapter's evidence file is no longer in the page's text, **soft 404** when a page
  answers 200 but says it is missing or sends a deep address to the home page; each finding
  names the chapters that depend on the passage. ``--changed`` also checks the pages whose
  passages the branch adds or edits;
* a report grouped by outcome, in Markdown and JSON (``<builddir>/linkcheck/report.*``):
  working, redirected, archived (original dead, archived copy alive), blocked (401/403/429,
  bot walls: a person must open them; they do not fail the run), broken (with the HTTP
  status), timed out, unfinished.

Exit status: 0 when nothing is broken, 1 when a link is broken (and has no live archived
copy), timed out, or its page no longer holds a passage or is a soft 404; 3 when the network
cannot be reached.
"""

import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
URL_IN_MD = re.compile(r"\]\(\s*<?(https?://[^)\s>]+)|<(https?://[^>\s]+)>")
URL_IN_BIB = re.compile(r"^\s*(url|archiveurl)\s*=\s*[{\"]\s*([^}\"]+?)\s*[}\"]", re.MULTILINE | re.IGNORECASE)
# Sphinx reports an HTTP error as requests words it: "404 Client Error: Not Found for url: URL".
# The status is read from the start of that message only: the rest contains the URL, whose
# words ("bot", "403", "captcha") must never decide the class.
HTTP_STATUS = re.compile(r"^([1-5]\d\d) (?:Client|Server) Error\b")
BLOCKING_STATUS = {401, 403, 429, 999}  # refusals of automated clients: a person must open the page
GROUPS = ["broken", "content-changed", "soft-404", "timeout", "unfinished", "blocked", "archived", "redirected",
          "working", "ignored"]


def source_links(srcdir: Path) -> dict[str, str]:
    """Every external URL in the chapters, the title page and the bib -> where it first appears."""
    links = {}
    files = sorted((srcdir / "chapters").glob("*.md")) + [srcdir / "index.md"]
    for path in files:
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for match in URL_IN_MD.finditer(line):
                    links.setdefault(match.group(1) or match.group(2), f"{path.relative_to(srcdir)}:{number}")
    bib = srcdir / "references.bib"
    if bib.exists():
        text = bib.read_text(encoding="utf-8")
        for match in URL_IN_BIB.finditer(text):
            links.setdefault(match.group(2), f"references.bib:{text.count(chr(10), 0, match.start()) + 1}")
    return links


def archive_pairs(srcdir: Path) -> dict[str, str]:
    """Original URL -> archived-copy URL, from the bib's url/archiveurl fields."""
    pairs = {}
    bib = srcdir / "references.bib"
    if bib.exists():
        for entry in re.split(r"\n(?=@)", bib.read_text(encoding="utf-8")):
            fields = {m.group(1).lower(): m.group(2) for m in URL_IN_BIB.finditer(entry)}
            if "url" in fields and "archiveurl" in fields:
                pairs[fields["url"]] = fields["archiveurl"]
    return pairs


def changed_links(srcdir: Path, base: str) -> set[str]:
    """URLs on lines the current branch adds to chapters/, index.md or references.bib."""
    diff = subprocess.run(["git", "diff", "--unified=0", f"{base}...HEAD", "--", "chapters", "index.md",
                           "references.bib"], cwd=srcdir, capture_output=True, text=True)
    if diff.returncode != 0:
        sys.exit(f"error: cannot diff against {base}: {diff.stderr.strip()}")
    added = "\n".join(line[1:] for line in diff.stdout.splitlines() if line.startswith("+") and not line.startswith("+++"))
    urls = {m.group(1) or m.group(2) for m in URL_IN_MD.finditer(added)}
    urls |= {m.group(2) for m in URL_IN_BIB.finditer(added)}
    return urls


def changed_passage_urls(srcdir: Path, base: str, by_url: dict) -> set[str]:
    """URLs whose passages the branch adds or edits against ``base`` (evidence files)."""
    import passagecheck
    before = set()
    for path in sorted((srcdir / "chapters").glob("*.evidence.yaml")):
        rel = path.relative_to(srcdir).as_posix()
        old = subprocess.run(["git", "show", f"{base}:{rel}"], cwd=srcdir, capture_output=True, text=True)
        if old.returncode == 0:
            with tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / path.name
                copy.write_text(old.stdout, encoding="utf-8")
                data, _ = passagecheck.load_evidence(copy)
            before |= {(key, pid, p["text"]) for key, ps in data.items() for pid, p in ps.items()}
    return {url for url, passages in by_url.items()
            if any((p["key"], p["id"], p["text"]) not in before for p in passages)}


def network_reachable(urls, timeout=4.0) -> bool:
    """True when at least one of a few of the links' hosts resolves and accepts a connection."""
    hosts = []
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname and (parts.hostname, parts.port) not in hosts:
            hosts.append((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
        if len(hosts) == 3:
            break
    for host, port in hosts:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True
        except OSError:
            continue
    return not hosts


def classify(row: dict, archive_alive: bool = False, blocked: dict | None = None) -> tuple[str, str]:
    status, info = row.get("status", ""), str(row.get("info", ""))
    if status == "working":
        return "working", ""
    for pattern, reason in (blocked or {}).items():
        if status not in {"redirected", "ignored"} and re.match(pattern, row.get("uri", "")) and not archive_alive:
            return "blocked", f"{reason} ({info.split(chr(10))[0][:80] or status})"
    if status == "redirected":
        return "redirected", f"{row.get('code')} -> {info}"
    if status == "ignored":
        return "ignored", info
    if status == "timeout":
        return "timeout", info
    if status in {"rate-limited", "unchecked"}:
        return "unfinished", "rate limited (429)" if status == "rate-limited" else "not checked"
    if status == "broken":
        code = HTTP_STATUS.match(info)
        detail = f"HTTP {code.group(1)}" if code else info.split("\n")[0][:160]
        if info == "unauthorized" or (code and int(code.group(1)) in BLOCKING_STATUS):
            return "blocked", detail
        if archive_alive:
            return "archived", f"original: {detail}; archived copy works"
        return "broken", detail
    return "unfinished", status


def run_sphinx(srcdir: Path, outdir: Path, skip: list[str], only, max_seconds: float) -> bool:
    """Run the linkcheck builder within max_seconds; True when it finished."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"skip": skip, "only": None if only is None else sorted(only)}, handle)
    env = dict(os.environ, BRIEFING_LINKCHECK_SKIP=handle.name)
    cmd = [sys.executable, "-m", "sphinx", "-b", "linkcheck", "-q", "-d", str(outdir.parent / "doctrees-linkcheck"),
           str(srcdir), str(outdir)]
    proc = subprocess.Popen(cmd, cwd=srcdir, env=env, start_new_session=True)
    try:
        proc.wait(timeout=max_seconds)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        return False
    finally:
        os.unlink(handle.name)


def read_results(outdir: Path) -> dict[str, dict]:
    """Last result per URL from Sphinx's output.json (one JSON object per line)."""
    results = {}
    path = outdir / "output.json"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                results[row["uri"]] = row
    return results


def write_report(outdir: Path, report: dict, elapsed: float) -> Path:
    counts = {g: len(report[g]) for g in GROUPS if report[g]}
    lines = ["# Link check report", "",
             f"Checked {sum(counts.values())} links in {elapsed:.0f} s: "
             + ", ".join(f"{n} {g}" for g, n in counts.items()) + ".", ""]
    explain = {"broken": "Broken (fix or replace the source)",
               "content-changed": "Content changed (a quoted passage is no longer on the page)",
               "soft-404": "Soft 404 (the page answers but is missing)", "timeout": "Timed out",
               "unfinished": "Unfinished within the time bound", "blocked": "Blocked for automated checks "
               "(open by hand; does not fail the run)", "archived": "Original broken, archived copy works",
               "redirected": "Redirected", "working": "Working", "ignored": "Ignored (with reason)"}
    for group in GROUPS:
        if report[group]:
            lines += [f"## {explain[group]} ({len(report[group])})", ""]
            lines += [f"- {r['uri']} — {r['where']}" + (f" — {r['detail']}" if r["detail"] else "") for r in report[group]]
            lines.append("")
    (outdir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    (outdir / "report.json").write_text(json.dumps({"elapsed_seconds": round(elapsed, 1), "counts": counts,
                                                     "links": report}, indent=2), encoding="utf-8")
    return outdir / "report.md"


def main() -> int:
    parser = argparse.ArgumentParser(description="Check the book's external links (needs the network).")
    parser.add_argument("--srcdir", default=str(ROOT))
    parser.add_argument("--builddir", default="_build")
    parser.add_argument("--changed", action="store_true", help="only links added against --base")
    parser.add_argument("--base", default="main")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--cache-days", type=float, default=7)
    parser.add_argument("--cache", default=None, help="cache file (default .linkcheck-cache/results.json)")
    args = parser.parse_args()
    srcdir = Path(args.srcdir).resolve()
    outdir = (srcdir / args.builddir / "linkcheck").resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    cache_path = Path(args.cache) if args.cache else srcdir / ".linkcheck-cache" / "results.json"
    started = time.monotonic()

    import passagecheck

    from briefing import bookconf
    conf = bookconf.load(srcdir)
    blocked = conf.get("LINKCHECK_BLOCKED_SITES", {})
    links = source_links(srcdir)
    archives = archive_pairs(srcdir)
    by_url = passagecheck.passages_by_url(srcdir)
    wanted = set(links) | set(archives.values())
    if args.changed:
        wanted &= changed_links(srcdir, args.base) | changed_passage_urls(srcdir, args.base, by_url)
        print(f"Checking the {len(wanted)} links this branch adds against {args.base}.")
    if not wanted:
        print("No links to check.")
        return 0
    if not network_reachable(sorted(wanted)):
        print(f"The network cannot be reached (no connection to the links' hosts): {len(wanted)} links were "
              "not checked. Run `make linkcheck` again when online.")
        return 3

    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    now = datetime.datetime.now(datetime.timezone.utc)
    fresh = {u: r for u, r in cache.items() if u in wanted and
             now - datetime.datetime.fromisoformat(r["checked"]) < datetime.timedelta(days=args.cache_days)}
    to_check = wanted - set(fresh)
    if fresh:
        print(f"{len(fresh)} links reused from the cache (younger than {args.cache_days:g} days).")
    (outdir / "output.json").unlink(missing_ok=True)
    finished = True
    if to_check:
        finished = run_sphinx(srcdir, outdir, skip=sorted(fresh), only=to_check if args.changed else None,
                              max_seconds=args.max_seconds)
    results = read_results(outdir)
    for url, row in results.items():
        if row.get("status") not in {"rate-limited", "unchecked", "ignored"}:
            cache[url] = dict(row, checked=now.isoformat())
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache_path.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")

    report = {g: [] for g in GROUPS}
    for url in sorted(wanted):
        row = fresh.get(url) or results.get(url)
        if row is None:
            group, detail = "unfinished", ("no result before the time bound (still being retried, e.g. rate limited)"
                                           if not finished else "not checked")
        else:
            archive = archives.get(url)
            alive = bool(archive) and (fresh.get(archive) or results.get(archive) or {}).get("status") in {"working", "redirected"}
            group, detail = classify(row, archive_alive=alive, blocked=blocked)
        report[group].append({"uri": url, "where": links.get(url, "references.bib (archived copy)"), "detail": detail})

    # The pages that answer: do they still hold the passages the chapters quote?
    answering = {r["uri"] for g in ("working", "redirected") for r in report[g] if r["uri"] in by_url}
    fresh_content = {u for u in answering if (c := cache.get("content " + u)) and c["fingerprint"] ==
                     passagecheck.fingerprint(by_url[u]) and now - datetime.datetime.fromisoformat(c["checked"])
                     < datetime.timedelta(days=args.cache_days)}
    deadline = started + args.max_seconds
    fetched = passagecheck.check({u: by_url[u] for u in answering - fresh_content},
                                 timeout=float(conf.get("linkcheck_timeout", 20)),
                                 host_delay=float(conf.get("briefing_linkcheck_host_delay", 1.0)),
                                 deadline=deadline, headers=conf.get("linkcheck_request_headers", {}).get("*"))
    for url, (group, detail) in fetched.items():
        if group != "unreachable":
            cache["content " + url] = {"group": group, "detail": detail, "checked": now.isoformat(),
                                       "fingerprint": passagecheck.fingerprint(by_url[url])}
    cache_path.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")
    for url in sorted(answering):
        group, detail = (cache["content " + url]["group"], cache["content " + url]["detail"]) \
            if url in fresh_content or url in fetched and fetched[url][0] != "unreachable" else ("", "")
        if group in {"content-changed", "soft-404"}:
            for old in ("working", "redirected"):
                report[old] = [r for r in report[old] if r["uri"] != url]
            chapters = sorted({p["chapter"] for p in by_url[url]})
            report[group].append({"uri": url, "where": ", ".join(chapters), "detail": detail})
    path = write_report(outdir, report, time.monotonic() - started)
    print(path.read_text(encoding="utf-8"))
    print(f"Report: {path} and {path.with_suffix('.json')}")
    failed = report["broken"] or report["timeout"] or report["content-changed"] or report["soft-404"]
    if not finished:
        print(f"Stopped after {args.max_seconds:g} s: {len(report['unfinished'])} links unfinished (listed above).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
