"""Read the book's conf.py the way Sphinx does, for the scripts in tools/.

``load(srcdir)`` runs conf.py from its own folder and returns its values; a broken conf.py
stops the calling script with one line naming it, not a traceback.
"""

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(srcdir: Path = ROOT) -> dict:
    srcdir = Path(srcdir)
    cwd = os.getcwd()
    try:
        os.chdir(srcdir)
        return runpy.run_path(str(srcdir / "conf.py"))
    except Exception as err:  # a broken conf.py: one clear line, not a traceback
        sys.exit(f"error: conf.py cannot be read: {type(err).__name__}: {err}")
    finally:
        os.chdir(cwd)
