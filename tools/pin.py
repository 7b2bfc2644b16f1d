"""Regenerate requirements.txt: exact pins of everything requirements.in installs.

Creates a scratch virtual environment, installs requirements.in there, and writes
``pip freeze`` (minus pip itself) to requirements.txt with a header. Run with ``make pin``;
review the diff, then ``make test``.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "-r", str(ROOT / "requirements.in")], check=True)
        frozen = subprocess.run([*pip, "freeze", "--exclude", "pip", "--exclude", "setuptools"],
                                check=True, capture_output=True, text=True).stdout
    header = "# Exact pins of everything installed. Generated from requirements.in by `make pin`; do not edit by hand.\n"
    (ROOT / "requirements.txt").write_text(header + frozen, encoding="utf-8")
    print(f"requirements.txt: {len(frozen.splitlines())} pinned packages")


if __name__ == "__main__":
    main()
