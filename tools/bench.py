"""Benchmark the briefing's builds and tests; print a Markdown table of medians.

Usage: python tools/bench.py [--runs 3] [--skip-pdf] [--skip-tests]

Everything runs on a temporary copy of the book, so the working tree is never touched.
Measured: cold HTML build (fresh build folder), no-op rebuild, incremental rebuild after
touching one chapter, rebuild after touching references.bib, cold PDF build, PDF rebuild after
editing one chapter (a sentence added), the test suite,
and the cold build of a synthetic book ten times the size (chapters and citations) with its
ratio to the real book. Also reports page weight (title page and heaviest chapter, with the
CSS, scripts and images they load).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bs4 import BeautifulSoup

from briefing.project import COPY_IGNORE, core_chapters

ROOT = Path(__file__).resolve().parent.parent
PDF_EDITED = "chapters/02-expulsion-2019.md"
# The tests that build a tiny book of their own for one extension, in-process (no whole-book build).
EXTENSION_TESTS = ["tests/test_extensions.py", "tests/test_evidence.py", "tests/test_corrections.py"]
OPTS = ["--", "-W", "-n", "--keep-going", "-j", "auto", "-q"]


def timed(cmd, cwd) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(map(str, cmd))}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def build(book: Path, target="html") -> float:
    return timed([sys.executable, "tools/build.py", target, *OPTS], book)


def synthetic(book: Path, factor: int = 10) -> Path:
    """A copy of the book with every core chapter repeated `factor` times (labels renamed)."""
    big = book.parent / "big"
    shutil.copytree(book, big, ignore=COPY_IGNORE)
    index = (big / "index.md").read_text(encoding="utf-8")
    extra = []
    core = core_chapters(big)
    for chapter in [big / f"{doc}.md" for doc in core[1:]]:  # every core chapter but the summary
        text = chapter.read_text(encoding="utf-8")
        names = re.findall(r"^:name: (\S+)$", text, flags=re.MULTILINE)
        for copy in range(1, factor):
            clone = chapter.with_name(f"{chapter.stem}-x{copy}.md")
            body = re.sub(r"^\((ch-[a-z-]+)\)=", rf"(\1-x{copy})=", text, flags=re.MULTILINE)
            for name in names:  # figure and table names must stay unique
                body = re.sub(rf"\b{re.escape(name)}\b", f"{name}-x{copy}", body)
            clone.write_text(body, encoding="utf-8")
            evidence = chapter.with_suffix(".evidence.yaml")  # every core chapter needs its passages
            if evidence.exists():
                shutil.copyfile(evidence, clone.with_suffix(".evidence.yaml"))
            extra.append(f"chapters/{clone.stem}")
    index = index.replace(f"{core[-1]}\n", f"{core[-1]}\n" + "\n".join(extra) + "\n", 1)
    (big / "index.md").write_text(index, encoding="utf-8")
    return big


def page_weight(html: Path, page: Path) -> int:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    total = page.stat().st_size
    seen = set()
    for tag in soup.find_all(["link", "script", "img"]):
        ref = tag.get("href") if tag.name == "link" else tag.get("src")
        if not ref or "://" in ref or (tag.name == "link" and "stylesheet" not in tag.get("rel", [])):
            continue
        target = (page.parent / ref.split("?")[0].split("#")[0]).resolve()
        if target.exists() and target not in seen:
            seen.add(target)
            total += target.stat().st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        book = Path(scratch) / "book"
        shutil.copytree(ROOT, book, ignore=COPY_IGNORE)

        def median(label, prepare, run, target=""):
            times = []
            for _ in range(args.runs):
                prepare()
                times.append(run())
            rows.append((label, statistics.median(times), min(times), max(times), target))
            print(f"  {label}: {statistics.median(times):.2f} s", file=sys.stderr)

        def fresh():
            shutil.rmtree(book / "_build", ignore_errors=True)

        def touch(path):
            return lambda: os.utime(book / path)

        edits = iter(range(1, 1000))

        def edit(path):
            """A real change (a new sentence before the notes), so the LaTeX runs again, as after an edit."""
            def change():
                chapter = book / path
                text = chapter.read_text(encoding="utf-8")
                text = re.sub(r"(?:Benchmark edit \d+\.\n\n)?## Notes\n", f"Benchmark edit {next(edits)}.\n\n## Notes\n",
                              text, count=1)
                chapter.write_text(text, encoding="utf-8")
            return change

        median("Cold HTML build (fresh _build)", fresh, lambda: build(book), "< 15 s")
        median("No-op rebuild", lambda: None, lambda: build(book), "< 1.5 s")
        median("Incremental: one chapter touched", touch("chapters/02-expulsion-2019.md"), lambda: build(book), "< 3 s")
        median("Rebuild after touching references.bib", touch("references.bib"), lambda: build(book), "")
        if not args.skip_pdf and shutil.which("latexmk"):
            originals = {path: (book / path).read_text(encoding="utf-8") for path in (PDF_EDITED, "chapters/00-summary.md")}
            def fresh_pdf():  # everything the PDF build keeps: LaTeX output, its doctrees, the copy
                for name in ("latex", "doctrees-latex", "pdf"):
                    shutil.rmtree(book / "_build" / name, ignore_errors=True)

            median("Cold PDF build (no LaTeX output or doctrees)", fresh_pdf, lambda: build(book, "pdf"),
                   "mystmd's export (0.67x the old make pdf)")
            median("PDF rebuild after editing one chapter", edit(PDF_EDITED), lambda: build(book, "pdf"),
                   "< 1/2 cold PDF")
            median("Brief, cold (make brief)", lambda: shutil.rmtree(book / "_build" / "brief", ignore_errors=True),
                   lambda: build(book, "brief"), "")
            median("Brief after editing the summary", edit("chapters/00-summary.md"), lambda: build(book, "brief"), "< 3 s")
            for path, text in originals.items():  # the edits must not reach the test suite's run
                (book / path).write_text(text, encoding="utf-8")
        if not args.skip_tests:
            median("Test suite, all (make test: two workers per core, incl. PDF, browser)", lambda: None,
                   lambda: timed(["make", "-s", "test", f"VENVDIR={Path(sys.prefix)}",
                                  "PYTEST_ARGS=-q -p no:cacheprovider"], book),
                   "< 60 s")
            median("Extension tests (tiny books, in-process)", lambda: None,
                   lambda: timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *EXTENSION_TESTS], book),
                   "< 10 s")
            link_checks = ["tests/test_build.py", "tests/test_links.py", "tests/test_citations.py",
                           "tests/test_bad_input.py", "tests/test_linkcheck.py"]
            median("Offline link checks + loopback link checker", lambda: None,
                   lambda: timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *link_checks], book),
                   "< 60 s")
        real = statistics.median(r[1] for r in rows[:1])
        big = synthetic(book)
        times = []
        for _ in range(args.runs):
            shutil.rmtree(big / "_build", ignore_errors=True)
            times.append(build(big))
        big_time = statistics.median(times)
        rows.append(("Cold HTML build, synthetic 10x book", big_time, min(times), max(times), "< 10x real"))
        html = book / "_build" / "html"
        if not (html / "index.html").exists():
            build(book)
        chapters = sorted((html / "chapters").glob("*.html"))
        weights = {p: page_weight(html, p) for p in chapters}
        heaviest = max(weights, key=weights.get)
        title_weight = page_weight(html, html / "index.html")
    print("\n| Measurement | Median (s) | Min | Max | Target |\n|---|---:|---:|---:|---|")
    for label, med, low, high, target in rows:
        print(f"| {label} | {med:.2f} | {low:.2f} | {high:.2f} | {target} |")
    print(f"\n10x book / real book cold build: {big_time / real:.1f}x (linear growth would be 10x).")
    print(f"Page weight: title page {title_weight / 1024:.0f} KiB; heaviest chapter "
          f"({heaviest.name}) {weights[heaviest] / 1024:.0f} KiB (target < 1024 KiB each).")


if __name__ == "__main__":
    main()
