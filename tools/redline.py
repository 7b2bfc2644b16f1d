"""Write a redline PDF between two editions (`make redline FROM=<git ref>`).

Usage: python tools/redline.py [--from REF] [--to REF] [--repo DIR] [--out PDF]

Deleted text is struck through in red, new text underlined in blue, chapter by chapter, notes
and citations included; a line at the top of every page says what is compared with what.
``--from`` defaults to the previous edition of ``data/editions.yaml``; ``--to`` defaults to
the working tree (what ``make pdf`` would print now).

How: each side is built to LaTeX by Sphinx, then ``latexdiff`` (Debian package ``latexdiff``;
its markup needs ``ulem`` from ``texlive-plain-generic``) compares the two ``.tex`` files
and latexmk typesets the result in a copy of the new side's LaTeX folder (its style files and
figures, plus the old side's figures for deleted ones).

* The old side is a ``git archive`` of REF in a temporary folder, built with **its own**
  ``conf.py`` and extensions, by this checkout's Python environment. Its own tools print the
  old edition as it was published: the first edition's notes carried no evidence passages,
  and today's package would refuse to build it at all (every core chapter now needs an
  evidence file). If an old ref cannot be built by today's pins, the tool stops naming it.
* ``SOURCE_DATE_EPOCH`` of each side is fixed (the old side: its commit's time; the new: the
  as-of date), so two runs give the same redline.
* Sphinx's LaTeX macros are told to latexdiff with ``--append-safecmd`` (may sit inside the
  markup: hyphens, paragraph starts, roles such as the notes' "Passage:") and
  ``--append-textcmd`` (their last argument is text to compare word by word). URLs stay outside
  the markup (``ulem`` cannot underline ``\\url``), so a changed address shows the new one plain,
  next to its marked note text.
* The whole document is compared in one latexdiff run (``--flatten``): Sphinx writes one .tex
  and latexdiff pairs chapters by their text, so a chapter renamed between editions (another
  file name, the same heading) is still compared with its old self.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from briefing import bookconf, dates, project
from briefing.editions import EditionsError, load_editions, previous_edition

ROOT = Path(__file__).resolve().parent.parent

# Sphinx LaTeX macros that may stand inside \DIFadd/\DIFdel (and whose text latexdiff compares).
# (emphasis, strong and cross-reference macros are left out: inside \DIFdel they end the file early,
# "File ended while scanning use of \DIFdel"; their changes still show, unmarked words inside marked ones).
SAFE_COMMANDS = ("sphinxhyphen", "sphinxAtStartPar", "DUrole")
TEXT_COMMANDS = ("DUrole",)

PREAMBLE = r"""% make redline (tools/redline.py): deleted text struck through in red, new text underlined in
% blue (ulem breaks both across lines), and a legend at the top of every page.
\RequirePackage[normalem]{ulem}
\RequirePackage{xcolor}
\providecommand{\DIFadd}[1]{{\protect\color{blue}\uline{#1}}}
\providecommand{\DIFdel}[1]{{\protect\color{red}\sout{#1}}}
\providecommand{\DIFaddbegin}{}
\providecommand{\DIFaddend}{}
\providecommand{\DIFdelbegin}{}
% A deletion followed at once by an addition keeps a space between them ("old new", not "oldnew");
% robust, because headings carry the markup into the contents and the bookmarks.
\makeatletter\DeclareRobustCommand{\DIFdelend}{\@ifnextchar\DIFaddbegin{\ }{}}\makeatother
\providecommand{\DIFmodbegin}{}
\providecommand{\DIFmodend}{}
\providecommand{\DIFaddFL}[1]{\DIFadd{#1}}
\providecommand{\DIFdelFL}[1]{\DIFdel{#1}}
\providecommand{\DIFaddbeginFL}{}
\providecommand{\DIFaddendFL}{}
\providecommand{\DIFdelbeginFL}{}
\providecommand{\DIFdelendFL}{}
\AddToHook{shipout/foreground}{\put(20mm,-9mm){\makebox[0pt][l]{\normalfont\sffamily\footnotesize
  Redline: @LEGEND@ \quad {\color{red}\sout{deleted}} \quad {\color{blue}\uline{new}}}}}
"""


MARKER = ".made-by-redline"


class RedlineError(RuntimeError):
    """A step failed; the message says which and what to do."""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RedlineError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def export(repo: Path, ref: str, dest: Path) -> str:
    """Unpack REF's tree into dest (git archive; no worktree, so the repository is untouched).
    Returns the full commit hash."""
    commit = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", commit],
                             capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return commit


def build_latex(srcdir: Path, outdir: Path, epoch: str, commit: str) -> Path:
    """Sphinx's LaTeX of a book; returns its main .tex. Warnings do not stop it (the redline
    shows text; `make pdf` and `make html` are where warnings are errors)."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch, BRIEFING_COMMIT=commit)
    cmd = [sys.executable, "-m", "sphinx", "-b", "latex", "-q", "-d", str(outdir.parent / f"doctrees-{outdir.name}"),
           str(srcdir), str(outdir)]
    result = subprocess.run(cmd, cwd=srcdir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RedlineError(f"Sphinx could not build the LaTeX of {srcdir}:\n{result.stderr[-3000:]}")
    texs = [p for p in sorted(outdir.glob("*.tex"))]
    if len(texs) != 1:
        raise RedlineError(f"expected one .tex in {outdir}, found {[p.name for p in texs]}")
    return texs[0]


def latexdiff(old: Path, new: Path, legend: str, out: Path) -> None:
    tool = shutil.which("latexdiff")
    preamble = out.with_name("redline-preamble.tex")
    preamble.write_text(PREAMBLE.replace("@LEGEND@", legend), encoding="utf-8")
    cmd = [tool, "--flatten", "--encoding=utf8", f"--preamble={preamble}",
           "--append-safecmd=" + ",".join(SAFE_COMMANDS), "--append-textcmd=" + ",".join(TEXT_COMMANDS),
           str(old), str(new)]
    result = subprocess.run(cmd, capture_output=True, cwd=new.parent)
    if result.returncode != 0:
        raise RedlineError("latexdiff failed:\n" + result.stderr.decode("utf-8", "replace")[-3000:])
    out.write_bytes(result.stdout)


def typeset(folder: Path, tex: Path, epoch: str) -> Path:
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch, LATEXOPTS="")
    cmd = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name]
    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    pdf = tex.with_suffix(".pdf")
    if result.returncode != 0 or not pdf.exists():
        errors = [line for line in result.stdout.splitlines() if line.startswith(("!", "./", "l."))]
        raise RedlineError("LaTeX failed on the redline (log: " + str(tex.with_suffix(".log")) + "):\n"
                           + "\n".join(errors[-20:] or result.stdout.splitlines()[-30:]))
    return pdf


def edition_label(repo: Path, commit: str | None) -> str:
    """'First edition, 26 November 2026 (61e2fb4)' when the commit is an edition's, else the commit."""
    try:
        editions = load_editions(repo / "data" / "editions.yaml")
    except EditionsError:
        editions = []
    for edition in editions:
        if commit is not None and edition.commit == commit:
            return f"{edition.name}, {dates.day_text(edition.date)} ({commit[:7]})"
    if commit is None:
        current = f"{editions[-1].name}, " if editions else ""
        return f"{current}working tree"
    return commit[:7]


def redline(repo: Path, old_ref: str, new_ref: str | None, out_pdf: Path, work: Path) -> Path:
    """Build the redline of new_ref (None: the working tree of repo) against old_ref."""
    missing = [tool for tool in ("git", "latexdiff", "latexmk", "xelatex") if shutil.which(tool) is None]
    if missing:
        raise RedlineError(f"the redline needs {', '.join(missing)}. Install the system packages listed in "
                           "system-packages.txt:\n  sudo apt-get install " + " ".join(project.system_packages(ROOT)))
    old_src = work / "old-src"
    old_commit = export(repo, old_ref, old_src)
    if new_ref is None:
        new_src, new_commit = repo, None
        epoch = dates.source_date_epoch(bookconf.load(repo)["briefing_as_of"])
        short = os.environ.get("BRIEFING_COMMIT") or git(repo, "rev-parse", "--short", "HEAD")
    else:
        new_src = work / "new-src"
        new_commit = export(repo, new_ref, new_src)
        epoch, short = git(repo, "log", "-1", "--format=%ct", new_commit), new_commit[:7]
    # The two Sphinx builds are independent processes: run them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        old_job = pool.submit(build_latex, old_src, work / "old-latex",
                              git(repo, "log", "-1", "--format=%ct", old_commit), old_commit[:7])
        new_job = pool.submit(build_latex, new_src, work / "new-latex", epoch, short)
        old_tex, new_tex = old_job.result(), new_job.result()
    folder = work / "typeset"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(new_tex.parent, folder)
    for figure in old_tex.parent.iterdir():  # figures of deleted passages (names are content hashes)
        if figure.suffix in {".pdf", ".png", ".jpg"} and not (folder / figure.name).exists():
            shutil.copyfile(figure, folder / figure.name)
    legend = (f"{edition_label(repo, old_commit)} \\textrightarrow\\ "
              f"{edition_label(repo, new_commit)}").replace("_", r"\_").replace("&", r"\&")
    tex = folder / "redline.tex"
    latexdiff(old_tex, new_tex, legend, tex)
    pdf = typeset(folder, tex, epoch)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, out_pdf)
    shutil.copyfile(tex, out_pdf.with_suffix(".tex"))
    return out_pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="old", help="git ref of the older edition (default: the previous edition "
                        "in data/editions.yaml)")
    parser.add_argument("--to", dest="new", help="git ref of the newer edition (default: the working tree)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the book's git repository (default: this one)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "redline" / "redline.pdf")
    args = parser.parse_args()
    repo = args.repo.resolve()
    try:
        old = args.old
        if not old:
            previous = previous_edition(load_editions(repo / "data" / "editions.yaml"))
            if previous is None:
                sys.exit("error: data/editions.yaml lists one edition; give FROM=<git ref> to compare with")
            old = previous.commit
        out = args.out.resolve()
        # Intermediate files, kept for inspection (the .log); emptied on each run, but only when
        # this tool made the folder (its marker file is there).
        work = out.with_name(out.stem + ".work")
        if work.exists():
            if not (work / MARKER).exists():
                sys.exit(f"error: {work} exists and was not made by tools/redline.py; move it or choose --out")
            shutil.rmtree(work)
        work.mkdir(parents=True)
        (work / MARKER).write_text("made by tools/redline.py; removed on its next run\n")
        pdf = redline(repo, old, args.new, out, work)
    except (RedlineError, EditionsError) as err:
        sys.exit(f"error: {err}")
    print(f"\nThe redline is ready (deleted: struck through in red; new: underlined in blue):\n  {pdf}")


if __name__ == "__main__":
    main()
