"""Write data/changes.json, the sentences changed since the previous edition (`make changes`).

Reads the previous edition's chapters from git (its commit is in data/editions.yaml) and the
working tree's, and writes what the "Changes in this edition" page renders (briefing/changes.py
says why the HTML build reads a committed file instead of git). ``--check`` writes nothing and
exits 1 when the committed file differs from what it would write.
"""

import argparse
import subprocess
import sys
from pathlib import Path

from briefing.changes import compute, dump
from briefing.editions import EditionsError

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether data/changes.json is current")
    args = parser.parse_args()
    target = ROOT / "data" / "changes.json"
    try:
        text = dump(compute(ROOT))
    except EditionsError as err:
        sys.exit(f"error: {err}")
    except subprocess.CalledProcessError as err:
        sys.exit(f"error: git cannot read the previous edition ({err.stderr.strip()}); a shallow clone "
                 "needs `git fetch --unshallow`")
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        sys.exit(0 if current == text else "data/changes.json is out of date: run make changes")
    target.write_text(text, encoding="utf-8")
    print(f"Wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
