"""Does each source page still say what the book quotes from it? (part of `make linkcheck`)

Sphinx's linkcheck builder tells whether an address answers; it never reads the page. This
module fetches each source page that has passages in a chapter's evidence file and reports:

* **content changed**: the page answers, but a passage is no longer in its text. Page text and
  passage are compared after the same normalising as the build's quote check
  (``evidence.normalise``: entities decoded, quotes, dashes, spaces and case folded);
* **soft 404**: a 200 whose title or main heading says the page is missing, or a redirect
  from a deep address to the site's home page.

Each finding names the passages (``key#id``) and the chapters whose sentences depend on them.
Hand-written because no link checker compares a page's text with quoted evidence; it uses
``requests`` (already installed with Sphinx) with the politeness settings from conf.py.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from briefing.bibcheck import parse_bibfile
from briefing.evidence import load_evidence, normalise

ROOT = Path(__file__).resolve().parent.parent

MISSING = re.compile(r"\b(404|page not found|not found|page (does not|doesn't|could not be found)|"
                     r"no longer (available|exists)|content (is )?unavailable|error 404)\b", re.IGNORECASE)


def passages_by_url(srcdir: Path) -> dict[str, list[dict]]:
    """URL -> passages quoted from it, each with key, id, text, translation and chapter."""
    entries = parse_bibfile(srcdir / "references.bib")[1].entries
    out: dict[str, list[dict]] = {}
    for path in sorted((srcdir / "chapters").glob("*.evidence.yaml")):
        chapter = path.name.replace(".evidence.yaml", ".md")
        data, _problems = load_evidence(path)
        for key, passages in data.items():
            url = entries[key].fields.get("url", "").strip() if key in entries else ""
            if not url:
                continue
            for pid, passage in passages.items():
                out.setdefault(url, []).append(dict(passage, key=key, id=pid, chapter=f"chapters/{chapter}"))
    return out


def fingerprint(passages: list[dict]) -> str:
    """Changes when a URL's passages change, so a cached verdict is not reused for new text."""
    joined = "\n".join(sorted(p["text"] for p in passages))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def page_text(html: str) -> tuple[str, str]:
    """(title and first heading, whole visible text) of a page."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    heading = " ".join(t.get_text(" ") for t in [soup.title, soup.find("h1")] if t is not None)
    return heading, soup.get_text(" ")


def verdict(url: str, final_url: str, status: int, html: str, passages: list[dict]) -> tuple[str, str]:
    """("working" | "soft-404" | "content-changed", detail) for one fetched page."""
    asked, landed = urlsplit(url), urlsplit(final_url)
    if landed.path in ("", "/") and asked.path not in ("", "/") and not landed.query:
        return "soft-404", f"redirected to the site's home page {final_url}"
    heading, text = page_text(html)
    if status == 200 and MISSING.search(heading):
        return "soft-404", f"answers 200 but says: {' '.join(heading.split())[:120]}"
    body = normalise(text)
    gone = [p for p in passages if normalise(p["text"]) not in body]
    if gone:
        listed = "; ".join(f"{p['key']}#{p['id']} ({p['chapter']}): “{p['text'][:80]}”" for p in gone)
        return "content-changed", f"{len(gone)} of {len(passages)} passages no longer on the page: {listed}"
    return "working", f"{len(passages)} passages found"


def check(urls: dict[str, list[dict]], *, timeout: float, host_delay: float, deadline: float,
          headers: dict | None = None) -> dict[str, tuple[str, str]]:
    """Fetch each URL once (a GET, following redirects), spacing requests to one host."""
    import requests

    results: dict[str, tuple[str, str]] = {}
    last_visit: dict[str, float] = {}
    session = requests.Session()
    for url, passages in sorted(urls.items()):
        if time.monotonic() > deadline:
            break
        host = urlsplit(url).hostname or ""
        wait = last_visit.get(host, -1e9) + host_delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        last_visit[host] = time.monotonic()
        try:
            response = session.get(url, timeout=timeout, headers=headers or {}, allow_redirects=True)
        except requests.RequestException as err:
            results[url] = ("unreachable", str(err).split("\n")[0][:160])
            continue
        if response.status_code != 200:
            results[url] = ("unreachable", f"HTTP {response.status_code}")
            continue
        results[url] = verdict(url, response.url, response.status_code, response.text, passages)
    return results
