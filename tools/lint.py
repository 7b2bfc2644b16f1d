"""Run the pre-commit checks without pre-commit: ``make lint``.

Usage: python tools/lint.py [PATH ...]

Without paths it checks the repository's files (tracked, plus new files git does not ignore);
with paths it checks just those files. The checks mirror .pre-commit-config.yaml:

* trailing whitespace and a missing final newline, in every text file (binary files skipped);
* YAML validity of every ``*.yml`` / ``*.yaml`` (``yaml.safe_load``);
* codespell, with the project word list ``.codespell-words.txt``, on ``chapters/*.md``,
  the top-level ``*.md`` and ``references.bib``;
* in ``chapters/*.md``: no raw ``<script``, ``<iframe``, ``<object`` or ``<embed`` and no inline
  event handler attributes (``onclick=`` and the like): the book is published on the web.

Each problem is printed as ``path:line: message``. Exit status 0 when clean, 1 otherwise.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / ".codespell-words.txt"
SKIP_DIRS = {".git", ".venv", "_build", "__pycache__", ".pytest_cache", "test-artifacts",
             ".linkcheck-cache", "node_modules"}
UNSAFE_TAG = re.compile(r"<\s*(script|iframe|object|embed)\b", re.IGNORECASE)
# An attribute such as onclick= / onload = ; not preceded by a letter, digit or URL punctuation,
# so words like "location=" or query strings ("?session=") are not taken for handlers.
EVENT_HANDLER = re.compile(r"(?<![\w?&./#%-])(on[a-z]{3,})\s*=", re.IGNORECASE)
CODESPELL_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.*)$")


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def repository_files() -> list[Path]:
    """Tracked files plus untracked ones git does not ignore; a walk of the tree outside git."""
    result = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True)
    if result.returncode == 0:
        names = sorted({name for name in result.stdout.decode("utf-8").split("\0") if name})
        return [ROOT / name for name in names if (ROOT / name).is_file()]
    return sorted(path for path in ROOT.rglob("*")
                  if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(ROOT).parts))


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file (NUL bytes or not UTF-8)."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def check_whitespace(path: Path, text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.rstrip("\r") != line.rstrip("\r").rstrip(" \t"):
            problems.append(f"{rel(path)}:{number}: trailing whitespace")
    if text and not text.endswith("\n"):
        problems.append(f"{rel(path)}:{text.count(chr(10)) + 1}: no newline at end of file")
    return problems


def check_yaml(path: Path, text: str) -> list[str]:
    import yaml

    try:
        yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        message = " ".join(str(getattr(err, "problem", None) or err).split())
        return [f"{rel(path)}:{line}: invalid YAML: {message}"]
    return []


def check_unsafe_html(path: Path, text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in UNSAFE_TAG.finditer(line):
            problems.append(f"{rel(path)}:{number}: raw <{match.group(1).lower()}> is not allowed in a chapter")
        for match in EVENT_HANDLER.finditer(line):
            problems.append(f"{rel(path)}:{number}: inline event handler '{match.group(1)}=' "
                            "is not allowed in a chapter")
    return problems


def is_chapter(path: Path) -> bool:
    return path.suffix == ".md" and path.parent.name == "chapters"


def wants_codespell(path: Path) -> bool:
    """chapters/*.md, top-level *.md and references.bib (as in .pre-commit-config.yaml)."""
    if path.name == "references.bib" or is_chapter(path):
        return True
    return path.suffix == ".md" and path.resolve().parent == ROOT


def codespell_command() -> list[str]:
    script = Path(sys.executable).with_name("codespell")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "codespell_lib"]


def check_spelling(paths: list[Path]) -> list[str]:
    if not paths:
        return []
    cmd = codespell_command()
    if WORDS.exists():
        cmd.append(f"--ignore-words={WORDS}")
    try:
        result = subprocess.run([*cmd, *map(str, paths)], cwd=ROOT, capture_output=True, text=True)
    except OSError as err:
        return [f"codespell:1: cannot run codespell ({err}); install requirements.txt"]
    if result.returncode == 0:
        return []
    problems = []
    for line in (result.stdout + result.stderr).splitlines():
        match = CODESPELL_LINE.match(line)
        if match:
            problems.append(f"{rel(Path(match['path']))}:{match['line']}: spelling: {match['message']}")
        elif line.strip():
            problems.append(f"codespell:1: {line.strip()}")
    return problems or [f"codespell:1: codespell exited with status {result.returncode}"]


def lint(paths: list[Path]) -> list[str]:
    problems = []
    spell = []
    for path in paths:
        text = read_text(path)
        if text is None:
            continue
        problems += check_whitespace(path, text)
        if path.suffix in (".yml", ".yaml"):
            problems += check_yaml(path, text)
        if is_chapter(path):
            problems += check_unsafe_html(path, text)
        if wants_codespell(path):
            spell.append(path)
    problems += check_spelling(spell)
    return problems


def main(argv: list[str]) -> int:
    if argv:
        paths = [Path(arg) if Path(arg).is_absolute() else Path.cwd() / arg for arg in argv]
        missing = [arg for arg, path in zip(argv, paths) if not path.is_file()]
        if missing:
            print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
            return 2
    else:
        paths = repository_files()
    problems = lint(paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"lint: {len(problems)} problem(s) in {len(paths)} file(s)", file=sys.stderr)
        return 1
    print(f"lint: {len(paths)} file(s) clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
