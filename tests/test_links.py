"""Every link inside the built site resolves; every web link in the sources is well formed."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup
from conftest import ROOT

from briefing import bibcheck

MD_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)|<(https?://[^>\s]+)>|(?<![(<\[])\b(https?://[^\s)>\]]+)")
SKIP_SCHEMES = {"http", "https", "mailto", "tel", "data", "javascript"}


def chapter_sources():
    return sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "index.md"]


def ids_in(page: Path, cache={}) -> set:
    if page not in cache:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        cache[page] = {t["id"] for t in soup.find_all(id=True)} | {t["name"] for t in soup.find_all("a", attrs={"name": True})}
    return cache[page]


def test_every_internal_link_and_fragment_in_the_built_html_resolves(html_build):
    failures, checked = [], 0
    out = html_build.outdir
    for page in sorted(out.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        for tag in soup.find_all(["a", "link", "img", "script", "source", "iframe"]):
            for attr in ("href", "src"):
                link = tag.get(attr)
                if not link:
                    continue
                parts = urlsplit(link)
                if parts.scheme in SKIP_SCHEMES or parts.netloc:
                    continue
                checked += 1
                target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                where = f"{page.relative_to(out)}: {attr}={link!r}"
                if not target.exists():
                    failures.append(f"{where} -> missing file {target.relative_to(out) if target.is_relative_to(out) else target}")
                elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids_in(target):
                    failures.append(f"{where} -> no id '{parts.fragment}' in {target.relative_to(out)}")
    assert checked > 100, f"only {checked} internal links found: is the build empty?"
    assert not failures, f"{len(failures)} broken internal links:\n" + "\n".join(failures)


def web_urls_in_sources():
    for path in chapter_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in MD_LINK.finditer(line):
                url = next(g for g in match.groups() if g)
                if urlsplit(url).scheme in {"http", "https"} or url.startswith("www."):
                    yield f"{path.relative_to(ROOT)}:{number}", url


def test_web_links_in_chapters_are_https_well_formed_and_not_tracking_or_search_pages():
    problems = [f"{where}: {url}: {p}" for where, url in web_urls_in_sources() for p in bibcheck.url_problems(url)]
    assert not problems, "\n".join(problems)


def test_bib_urls_and_access_dates_are_well_formed_and_not_after_the_as_of_date():
    import conf
    _data, problems = bibcheck.check_bibfile(ROOT / "references.bib", conf.briefing_as_of)
    assert not problems, "\n".join(f"references.bib:{line}: {msg}" for line, msg in problems)


def test_url_checker_rejects_http_tracking_search_and_malformed_urls():
    assert bibcheck.url_problems("https://www.reuters.com/world/a-story-2019-07-17/") == []
    assert any("https" in p for p in bibcheck.url_problems("http://www.reuters.com/x"))
    assert any("tracking" in p for p in bibcheck.url_problems("https://example.org/a?utm_source=x"))
    assert any("shortener" in p for p in bibcheck.url_problems("https://t.co/abc"))
    assert any("search" in p for p in bibcheck.url_problems("https://www.google.com/search?q=s-400"))
    assert any("spaces" in p for p in bibcheck.url_problems("https://example.org/a b"))
    assert any("host" in p for p in bibcheck.url_problems("https:///path"))
    assert any("punctuation" in p for p in bibcheck.url_problems("https://example.org/a)."))


def toctree_entries(text: str) -> set:
    entries = set()
    for block in re.findall(r"```\{toctree\}\n(.*?)```", text, re.DOTALL):
        entries |= {line.strip() for line in block.splitlines() if line.strip() and not line.startswith(":")}
    return entries


def test_every_chapter_is_in_the_toctree_unless_marked_orphan():
    listed = toctree_entries((ROOT / "index.md").read_text(encoding="utf-8"))
    missing = []
    for path in sorted((ROOT / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if re.match(r"---\n(.*\n)*?orphan:\s*true", text):
            continue
        if f"chapters/{path.stem}" not in listed:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"chapters not in index.md's toctree (add them, or mark 'orphan: true'): {missing}"
    assert all((ROOT / f"{entry}.md").exists() for entry in listed), "toctree lists a missing file"


def test_archived_copy_urls_must_be_archive_snapshots_of_the_same_page_not_after_the_commit_date():
    import datetime
    as_of = datetime.date(2026, 11, 26)  # the bound: the date of the commit holding the bib
    url = "https://www.example.org/news/a"
    good = "https://web.archive.org/web/20250101120000/https://www.example.org/news/a"
    assert bibcheck.archive_problems(good, url, as_of) == []
    assert bibcheck.archive_problems("https://example.org/copy", url, as_of)
    assert bibcheck.archive_problems("https://web.archive.org/web/2025/https://www.example.org/news/a", url, as_of)
    assert any("after the date of its commit" in p for p in bibcheck.archive_problems(
        "https://web.archive.org/web/20270101120000/https://www.example.org/news/a", url, as_of))
    assert any("does not embed" in p for p in bibcheck.archive_problems(
        "https://web.archive.org/web/20250101120000/https://www.example.org/other", url, as_of))
