"""The book's edition history, kept as data in ``data/editions.yaml``.

Each entry names an edition, its "information as of" date and the full hash of the commit it
was published from; the last entry is the edition this tree builds and has no commit (the
commit that will publish it does not exist while the file is written). :func:`load_editions`
validates the file and reports every problem at its line (``data/editions.yaml:LINE``), as
:mod:`briefing.chronology` does for its data; :func:`previous_edition` is the edition the
"Changes in this edition" page and ``make redline`` compare with by default.

As a Sphinx extension it checks the file when the build starts (``config-inited``): the last
entry must match conf.py's ``edition`` and ``briefing_as_of``, so the title page and the
history cannot disagree.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata

from .dates import yaml_with_lines

logger = logging.getLogger(__name__)
FULL_HASH = re.compile(r"^[0-9a-f]{40}$")
KEYS = {"edition", "date", "commit"}


class EditionsError(ValueError):
    """Invalid edition history: ``str()`` is ``file:line: problem``."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class Edition:
    name: str
    date: datetime.date
    commit: str | None  # None for the edition this tree builds
    line: int


def load_editions(path: Path) -> list[Edition]:
    """Read and validate the edition history (oldest first)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw, tree = yaml_with_lines(text)
    except FileNotFoundError:
        raise EditionsError(path, 1, "file not found") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise EditionsError(path, mark.line + 1 if mark else 1,
                            f"not valid YAML: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, list) or not raw:
        raise EditionsError(path, 1, "expected a list of editions (edition, date, commit)")
    starts = [node.start_mark.line + 1 for node in getattr(tree, "value", [])]
    editions: list[Edition] = []
    for index, item in enumerate(raw):
        line = starts[index] if index < len(starts) else 1
        last = index == len(raw) - 1
        if not isinstance(item, dict):
            raise EditionsError(path, line, "expected a mapping with edition, date, commit")
        unknown = sorted(set(map(str, item)) - KEYS)
        if unknown:
            raise EditionsError(path, line, f"unknown key(s) {', '.join(unknown)} (allowed: edition, date, commit)")
        name = str(item.get("edition") or "").strip()
        if not name:
            raise EditionsError(path, line, "the edition has no name ('edition')")
        try:
            date = datetime.date.fromisoformat(str(item.get("date") or ""))
        except ValueError:
            raise EditionsError(path, line, f"{name}: date '{item.get('date')}' is not ISO (YYYY-MM-DD)") from None
        commit = item.get("commit")
        if last and commit is not None:
            raise EditionsError(path, line, f"{name}: the last edition is the one this tree builds and has no "
                                "commit yet; add the next edition below it, or remove 'commit'")
        if not last and not FULL_HASH.match(str(commit or "")):
            raise EditionsError(path, line, f"{name}: commit '{commit or ''}' is not a full 40-character "
                                "lower-case hash (git rev-parse REF)")
        if editions and date <= editions[-1].date:
            raise EditionsError(path, line, f"{name}: date {date} is not after the previous edition's "
                                f"({editions[-1].date})")
        if any(e.name == name for e in editions):
            raise EditionsError(path, line, f"edition '{name}' is listed twice")
        editions.append(Edition(name, date, None if last else str(commit), line))
    return editions


def previous_edition(editions: list[Edition]) -> Edition | None:
    """The edition before the one this tree builds (None for a first edition)."""
    return editions[-2] if len(editions) > 1 else None


def check_config(app: Sphinx, config: Config) -> None:
    path = Path(app.srcdir) / config.briefing_editions
    try:
        editions = load_editions(path)
    except EditionsError as err:
        logger.warning(err.message, location=f"{path}:{err.line}", type="editions")
        return
    current = editions[-1]
    where = f"{path}:{current.line}"
    # conf.py's `edition` reaches Sphinx as the title page's {{ edition }} substitution.
    edition = (getattr(config, "myst_substitutions", None) or {}).get("edition")
    as_of = getattr(config, "briefing_as_of", None)  # registered by briefing.bibcheck
    if edition is not None and current.name != edition:
        logger.warning(f"the last edition is '{current.name}' but conf.py's edition is '{edition}'",
                       location=where, type="editions")
    if isinstance(as_of, datetime.date) and current.date != as_of:
        logger.warning(f"the last edition's date is {current.date} but conf.py's briefing_as_of is {as_of}",
                       location=where, type="editions")


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("briefing_editions", "data/editions.yaml", "env", types=frozenset({str}))
    app.connect("config-inited", check_config)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
