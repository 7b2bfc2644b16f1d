"""Dates written the book's way ("17 July 2019"), shared by the local extensions.

Not a Sphinx extension: a helper that bibstyle, chronology and chaptermeta import, so the
three render dates identically and the month names are spelled once, independent of locale.
"""

import datetime

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def day_text(day: datetime.date) -> str:
    """datetime.date(2019, 7, 17) -> "17 July 2019"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_text(year: int, month: int) -> str:
    """(2019, 7) -> "July 2019"."""
    return f"{MONTHS[month - 1]} {year}"


def iso_text(value: str) -> str:
    """"2019-07-17" -> "17 July 2019"; "2019-07" -> "July 2019"; anything else unchanged."""
    text = str(value).strip()
    try:
        if len(text) == 7:
            return month_text(int(text[:4]), int(text[5:7]))
        return day_text(datetime.date.fromisoformat(text))
    except (ValueError, IndexError):
        return text


def yaml_loader():
    """A safe YAML loader that leaves dates as text, so a bad date ("2026-13-01") is reported
    with its file and line by the caller instead of crashing PyYAML's date constructor."""
    import yaml

    # libyaml's parser when PyYAML has it: the same nodes, line marks and errors, several times faster.
    class TextDates(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass

    TextDates.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return TextDates


def yaml_with_lines(text: str):
    """``(data, node)``: the document as Python data (dates as text, see :func:`yaml_loader`) and
    its node tree, whose marks give each entry's line for messages. One parse serves both; a
    syntax error raises ``yaml.YAMLError`` with its ``problem_mark``."""
    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def source_date_epoch(day: datetime.date) -> str:
    """SOURCE_DATE_EPOCH (seconds, UTC midnight) for a date: builds take their time from it."""
    return str(int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp()))


def commit_bound(srcdir, relpath: str):
    """The latest date a committed file may carry: the date of the commit that holds it.

    The book never reads the wall clock. "A date in the future" therefore means a date later
    than the commit that contains it, which no honest edit can produce. Returns the HEAD
    commit's date (UTC) when ``relpath`` is committed unchanged; None (no bound) outside git
    (a ZIP download) or while the file has uncommitted changes, which are being written now
    and are bounded as soon as they are committed (CI checks committed files).
    """
    import subprocess

    def git(*args):
        try:
            out = subprocess.run(["git", *args], cwd=srcdir, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout if out.returncode == 0 else None

    changed = git("status", "--porcelain", "--", relpath)
    if changed is None or changed.strip():
        return None
    stamp = git("log", "-1", "--format=%ct")
    if not stamp or not stamp.strip():
        return None
    return datetime.datetime.fromtimestamp(int(stamp.strip()), tz=datetime.timezone.utc).date()
