"""Reading the HTML briefing in a real browser (Chromium's headless shell driven by Playwright).

The built site is served from 127.0.0.1 by the test; every request the browser makes is
recorded, and any that leaves 127.0.0.1 fails the test.
"""

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, require_tool

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser drops connections when a test moves on; that is not an error


@pytest.fixture(scope="module")
def site(html_build):
    assert html_build.returncode == 0, "\n".join(html_build.warnings)
    handler = functools.partial(QuietHandler, directory=str(html_build.outdir))
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", html_build.outdir
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Chromium's headless shell (Debian's chromium-headless-shell, the same Chromium release):
    the build Playwright itself runs for headless tests. Without the full browser's user
    interface it loads a chapter with about a third of the CPU (measured here: 20 loads of the
    chronology, 8 CPU-s against 22), and the browser tests are the largest part of the suite."""
    chromium = require_tool("chromium-headless-shell")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def reader(browser):
    """One desktop tab (default 1280x720 viewport), reused by the tests that only open a page
    and read it. A new tab per test costs a renderer process and a cold cache, about twice the
    CPU of the page load itself here; each test begins with its own page.goto, so what carries
    over is the HTTP cache, as for a reader moving between chapters."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def page_paths(outdir):
    pages = ["index.html"] + [f"chapters/{p.name}" for p in sorted((outdir / "chapters").glob("*.html"))]
    return pages


def reading_order():
    index = (ROOT / "index.md").read_text(encoding="utf-8")
    return [f"{doc}.html" for doc in re.findall(r"^(chapters/[\w-]+)$", index, flags=re.MULTILINE)]


def test_every_page_loads_without_console_errors_failed_or_third_party_requests(site, browser):
    base, outdir = site
    page = browser.new_page()
    requests, errors, failed = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    # ERR_ABORTED is the browser cancelling a request when the test moves to the next page.
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}") if "ERR_ABORTED" not in (r.failure or "") else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    for path in page_paths(outdir):
        response = page.goto(f"{base}/{path}")
        assert response.ok, path
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1" and not u.startswith(("data:", "blob:"))]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not errors and not failed, errors + failed
    page.close()


def test_next_links_walk_every_chapter_in_reading_order(site, reader):
    base, _ = site
    page = reader
    page.goto(f"{base}/index.html")
    visited = []
    for _ in range(40):
        link = page.locator("a.next-page")
        if link.count() == 0:
            break
        link.first.click()
        page.wait_for_load_state()
        visited.append(urlsplit(page.url).path.lstrip("/"))
    expected = reading_order()
    assert [v for v in visited if v in expected] == expected


def test_sidebar_links_reach_every_chapter(site, browser):
    base, _ = site
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/index.html")
    hrefs = page.eval_on_selector_all(".sidebar-tree a.reference", "els => els.map(e => e.getAttribute('href'))")
    targets = {h.split("#")[0] for h in hrefs}
    assert set(reading_order()) <= targets
    page.close()


@pytest.mark.parametrize("query, chapter", [("CAATSA", "03-legislation-sanctions"), ("Barrack", "04-current-talks")])
def test_search_finds_the_chapter(site, reader, query, chapter):
    base, _ = site
    page = reader
    page.goto(f"{base}/search.html?q={query}")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    results = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))")
    assert any(chapter in r for r in results), results


def test_clicking_a_citation_reaches_its_note_with_the_source_url(site, reader):
    base, _ = site
    page = reader
    page.goto(f"{base}/chapters/02-expulsion-2019.html")
    ref = page.locator("a.footnote-reference").first
    target = ref.get_attribute("href")
    ref.click()
    note = page.locator(f"[id='{target.lstrip('#')}']")
    assert note.count() == 1
    container = page.locator(f"aside.footnote:has([id='{target.lstrip('#')}']), [id='{target.lstrip('#')}']").first
    links = container.locator("a.reference.external").evaluate_all("els => els.map(e => e.href)")
    assert any(h.startswith("https://") for h in links), links
    note_text = " ".join(container.inner_text().split())
    assert "Passage: “" in note_text, f"the note does not list its supporting passage: {note_text[:300]}"
    passage_links = container.locator("p.evidence a").evaluate_all("els => els.map(e => e.href)")
    assert passage_links and all(":~:text=" in h for h in passage_links), passage_links


def _first_tip(page):
    ref = page.locator("a.footnote-reference:has(+ span.evidence-tip)").first
    tip = page.locator(f"[id='{ref.get_attribute('aria-describedby')}']")
    return ref, tip


def test_hovering_a_note_mark_shows_its_source_and_supporting_passage(site, browser, artifacts):
    base, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/chapters/02-expulsion-2019.html")
    ref, tip = _first_tip(page)
    assert tip.count() == 1 and tip.get_attribute("role") == "tooltip"
    assert not tip.is_visible()
    ref.scroll_into_view_if_needed()
    ref.hover()
    assert tip.is_visible(), "hovering the note mark shows nothing"
    text = " ".join(tip.inner_text().split())
    assert "“" in text and "”" in text and len(text) > 40, text
    box, viewport = tip.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    page.screenshot(path=str(artifacts / "evidence-tooltip-desktop.png"))
    page.close()


def test_focusing_a_note_mark_with_the_keyboard_shows_the_tooltip_and_escape_hides_it(site, reader):
    base, _ = site
    page = reader
    page.goto(f"{base}/chapters/02-expulsion-2019.html")
    ref, tip = _first_tip(page)
    ref.focus()
    assert tip.is_visible(), "keyboard focus on the note mark shows nothing"
    page.keyboard.press("Escape")
    assert not tip.is_visible()


def test_tapping_a_note_mark_on_a_phone_shows_the_tooltip_before_following_the_link(site, browser, artifacts):
    base, _ = site
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                            device_scale_factor=2)
    page.goto(f"{base}/chapters/02-expulsion-2019.html")
    ref, tip = _first_tip(page)
    ref.scroll_into_view_if_needed()
    ref.tap()
    assert tip.is_visible(), "a tap on the note mark shows nothing"
    assert "#" not in page.url, "the first tap should show the passage, not jump to the note"
    box = tip.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, box
    page.screenshot(path=str(artifacts / "evidence-tooltip-phone.png"))
    ref.tap()
    page.wait_for_timeout(200)
    assert "#" in page.url, "a second tap should follow the link to the note"
    page.close()


def test_phone_viewport_has_no_horizontal_scrolling(site, browser):
    base, outdir = site
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    wide = []
    for path in page_paths(outdir):
        page.goto(f"{base}/{path}")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client + 1:
            wide.append(f"{path}: {scroll}px > {client}px")
    assert not wide, wide
    page.close()


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(float(x)) for x in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_readable_in_light_and_dark_mode(site, browser, scheme):
    base, _ = site
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{base}/chapters/01-background.html")
    fg, bg = page.evaluate("""() => {
        const p = document.querySelector('article section > p:not(.chapter-meta)');
        return [getComputedStyle(p).color, getComputedStyle(document.body).backgroundColor];
    }""")
    fg_l, bg_l = (luminance(re.findall(r"[\d.]+", c)) for c in (fg, bg))
    ratio = (max(fg_l, bg_l) + 0.05) / (min(fg_l, bg_l) + 0.05)
    assert ratio >= 4.5, f"{scheme}: contrast {ratio:.1f} ({fg} on {bg})"
    context.close()


# axe checks every rule either way; resultTypes only stops it collecting every node that passed
# (the test reads the violations), which makes it about three times faster on the long chapters.
VIOLATIONS_ONLY = {"resultTypes": ["violations"]}


@pytest.mark.parametrize("path", ["index.html", *reading_order()])
def test_accessibility_no_serious_or_critical_axe_violations_alt_text_headings_language(site, reader, path):
    from axe_playwright_python.sync_playwright import Axe
    base, _outdir = site
    page = reader
    page.goto(f"{base}/{path}")
    problems = [f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}"
                for violation in Axe().run(page, options=VIOLATIONS_ONLY).response["violations"]
                if violation["impact"] in {"serious", "critical"}]
    if page.evaluate("document.documentElement.lang") != "en":
        problems.append(f"{path}: no lang='en'")
    if page.locator("article img:not([alt]), article img[alt='']").count():
        problems.append(f"{path}: image without alt text")
    levels = page.eval_on_selector_all("article h1, article h2, article h3, article h4",
                                       "els => els.map(e => Number(e.tagName[1]))")
    if levels and (levels[0] != 1 or any(b - a > 1 for a, b in zip(levels, levels[1:]))):
        problems.append(f"{path}: headings out of order {levels}")
    assert not problems, "\n".join(problems)


def test_every_built_page_is_in_the_reading_order_the_accessibility_test_walks(site):
    _base, outdir = site
    assert set(page_paths(outdir)) == {"index.html", *reading_order()}


def test_printing_a_chapter_hides_navigation_and_shows_link_urls(site, reader, tmp_path):
    import subprocess
    base, _ = site
    page = reader
    page.goto(f"{base}/chapters/03-legislation-sanctions.html")
    pdf = tmp_path / "chapter.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout if require_tool("pdftotext") else ""
    assert "The 2020 legislation" in text or "legislation" in text.lower()
    assert "Hide navigation sidebar" not in text and "On this page" not in text
    assert "Key points" in text
    assert "https://" in text, "printed chapter shows no source URLs"


def test_screenshots_of_title_page_and_a_chapter_on_desktop_and_phone(site, browser, artifacts):
    base, _ = site
    for name, viewport in (("desktop", {"width": 1366, "height": 900}), ("phone", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        for path, label in (("index.html", "title"), ("chapters/02-expulsion-2019.html", "chapter")):
            page.goto(f"{base}/{path}")
            target = artifacts / f"html-{label}-{name}.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 10000
        page.close()
