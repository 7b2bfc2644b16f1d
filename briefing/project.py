"""The book's lists, each read in one place: system packages, chapters, front matter, copy rules.

* :func:`system_packages` reads ``system-packages.txt`` (what the PDF, the figures and the
  browser tests need from Debian), the file the Makefile, ``.ci/run`` and the README also use.
* :func:`chapters` lists the pages of ``index.md``'s toctrees in reading order, and
  :func:`core_chapters` the numbered ones (``chapters/0N-*``, summary included), so no script
  or test names "the last chapter" itself.
* :func:`front_matter` reads a chapter's YAML front matter.
* :data:`COPY_IGNORE` is what a copy of the book leaves out (tests and the benchmark build
  throwaway copies).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "_build", "__pycache__", ".pytest_cache", "test-artifacts",
                                     ".linkcheck-cache", "node_modules", "*.egg-info")
TOCTREE_ENTRY = re.compile(r"^(chapters/[\w-]+)$", re.MULTILINE)


def system_packages(root: Path = ROOT) -> list[str]:
    """Debian package names of system-packages.txt (comments and blank lines skipped)."""
    lines = (Path(root) / "system-packages.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def chapters(root: Path = ROOT) -> list[str]:
    """Docnames of the pages in index.md's toctrees, in reading order."""
    return TOCTREE_ENTRY.findall((Path(root) / "index.md").read_text(encoding="utf-8"))


def core_chapters(root: Path = ROOT) -> list[str]:
    """The summary and the numbered core chapters (chapters/0N-*), in reading order."""
    return [doc for doc in chapters(root) if re.match(r"chapters/0\d-", doc)]


def front_matter(path: Path) -> dict:
    """A chapter's YAML front matter ({} when it has none)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:text.find("\n---", 4)]) or {}
