"""Build the briefing (html, pdf or epub) with Sphinx and report the result plainly.

Usage: python tools/build.py {html,pdf,epub} [--builddir _build] -- [sphinx-build options]

* Sets SOURCE_DATE_EPOCH from the book's as-of date (conf.py) unless already set, so builds
  of the same commit are identical.
* A failed build exits non-zero, says so in one line, and leaves no complete-looking output:
  the output's index page is removed and the cached environment dropped, so the next build
  re-reads every page (and re-reports every warning) instead of trusting a failed one.
* ``pdf`` runs the LaTeX builder, then latexmk, and copies the result to
  ``<builddir>/pdf/briefing.pdf`` (and into the HTML output, when there is one, for the
  title page's download link). Missing TeX tools stop it at once with the packages to install.
* ``brief`` runs the LaTeX builder with the tag ``brief`` (conf.py: ``brief.md`` is the only
  page), then latexmk, and copies ``brief.pdf`` to ``<builddir>/brief/brief.pdf`` (and into
  the HTML output, linked from the title page).
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from briefing import bibcheck, bookconf, chronology, dates, project

ROOT = Path(__file__).resolve().parent.parent


def source_date_epoch(conf: dict) -> str:
    return dates.source_date_epoch(conf["briefing_as_of"])


def preflight(conf: dict) -> None:
    """Stop with one line naming the file when an input the build needs is missing or broken."""

    for name in conf.get("bibtex_bibfiles", []):
        try:
            bibcheck.parse_bibfile(ROOT / name)
        except bibcheck.BibProblem as err:
            where = f"{name}:{err.line}" if err.line else name
            sys.exit(f"error: {where}: {err.message}")
    try:
        chronology.load_events(ROOT / conf.get("briefing_chronology", "data/chronology.yaml"))
    except chronology.ChronologyError as err:
        sys.exit(f"error: {str(err).replace(str(ROOT) + '/', '')}")


def system_packages() -> list[str]:
    return project.system_packages(ROOT)


def fail(builder: str, outdir: Path, doctrees: Path, message: str) -> None:
    for name in ("index.html", "briefing.tex", "briefing.pdf", "index.xhtml", "brief.tex", "brief.pdf"):
        (outdir / name).unlink(missing_ok=True)
    (doctrees / "environment.pickle").unlink(missing_ok=True)
    sys.exit(f"BUILD FAILED ({builder}): {message}. Fix the problems reported above; "
             f"{outdir.relative_to(ROOT) if outdir.is_relative_to(ROOT) else outdir} is incomplete.")


def sphinx(builder: str, outdir: Path, doctrees: Path, options: list[str]) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-b", builder, "-d", str(doctrees), str(ROOT), str(outdir), *options]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        fail(builder, outdir, doctrees, f"sphinx-build exited with status {result.returncode}")


def check_tex() -> None:
    missing = [tool for tool in ("latexmk", "xelatex", "dot") if shutil.which(tool) is None]
    if not missing:
        probe = subprocess.run(["kpsewhich", "fncychap.sty", "titlesec.sty", "fontspec.sty"],
                               capture_output=True, text=True)
        if len(probe.stdout.split()) < 3:
            missing.append("LaTeX packages (fncychap/titlesec/fontspec)")
    if missing:
        sys.exit("error: the PDF needs " + ", ".join(missing) + ". Install the system packages listed in "
                 "system-packages.txt:\n  sudo apt-get install " + " ".join(system_packages()))


def latex_pdf(latex: Path, doctrees: Path, name: str, label: str, options: list[str]) -> Path:
    """The LaTeX builder into ``latex``, then latexmk; the PDF ``latex/name.pdf`` (book and brief).

    latexmk runs with -xelatex (after the Makefile's -pdf): every pass writes only an .xdv and
    xdvipdfmx makes the PDF once at the end, instead of on each of the three cold passes (the
    speed-up Sphinx's LaTeX Makefile suggests; `LATEXMKOPTS=-xelatex sphinx-build -M latexpdf`
    does the same, without -q).
    """
    sphinx("latex", latex, doctrees, options)
    env = dict(os.environ, LATEXMKOPTS="-xelatex -interaction=nonstopmode -halt-on-error -file-line-error")
    result = subprocess.run(["make", "-C", str(latex), "all-pdf"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if line.startswith(("!", "./", "l."))]
        print("\n".join(errors[-20:] or result.stdout.splitlines()[-30:]))
        fail(label, latex, doctrees, f"LaTeX failed (log: {latex / (name + '.log')})")
    return latex / f"{name}.pdf"


def publish(pdf: Path, build: Path, folder: str, label: str) -> None:
    """Copy a finished PDF to ``<build>/<folder>/`` and, when there is an HTML output, beside it
    for the title page's download link (book: pdf/briefing.pdf; brief: brief/brief.pdf)."""
    target = build / folder / pdf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, target)
    if (build / "html").is_dir():
        shutil.copyfile(target, build / "html" / pdf.name)
    print(f"\n{label} is ready:\n  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["html", "pdf", "epub", "brief"])
    parser.add_argument("--builddir", default="_build")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.options = argv[split + 1:]
    build = (ROOT / args.builddir).resolve()
    doctrees = build / "doctrees"
    conf = bookconf.load(ROOT)
    os.environ.setdefault("SOURCE_DATE_EPOCH", source_date_epoch(conf))
    preflight(conf)

    if args.target == "html":
        out = build / "html"
        pdf = build / "pdf" / "briefing.pdf"
        # The title page offers "Download the PDF" only when there is a PDF to download.
        tags = ["-t", "pdf_available"] if pdf.exists() else []
        brief = build / "brief" / "brief.pdf"
        tags += ["-t", "brief_available"] if brief.exists() else []
        sphinx("html", out, doctrees, [*tags, *args.options])
        if pdf.exists():
            shutil.copyfile(pdf, out / "briefing.pdf")
        if brief.exists():
            shutil.copyfile(brief, out / "brief.pdf")
        print(f"\nThe briefing is ready. Open it in a browser:\n  file://{out / 'index.html'}")
    elif args.target == "epub":
        out = build / "epub"
        sphinx("epub", out, build / "doctrees-epub", args.options)
        epubs = sorted(out.glob("*.epub"))
        print(f"\nEPUB ready: {epubs[0] if epubs else out}")
    elif args.target == "brief":
        check_tex()
        pdf = latex_pdf(build / "brief-latex", build / "doctrees-brief", "brief", "brief", ["-t", "brief", *args.options])
        publish(pdf, build, "brief", "The brief")
    else:
        check_tex()
        # The LaTeX builder keeps its own doctrees: HTML-only settings differ between builders.
        pdf = latex_pdf(build / "latex", build / "doctrees-latex", "briefing", "pdf", args.options)
        publish(pdf, build, "pdf", "The PDF")


if __name__ == "__main__":
    main()
