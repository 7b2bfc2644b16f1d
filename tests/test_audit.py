"""`make audit` (tools/site_audit.py): the score table, the thresholds, the known-issue list
and the gzip server, on canned Lighthouse JSON; no browser, no npm packages."""

import gzip
import urllib.request

import pytest
import site_audit
from site_audit import Row


def _report(**scores: float | None) -> dict:
    """A Lighthouse JSON report reduced to what the audit reads."""
    names = {"performance": 1.0, "accessibility": 1.0, "best-practices": 1.0, "seo": 1.0}
    names.update({k.replace("_", "-"): v for k, v in scores.items()})
    return {"categories": {name: {"score": score} for name, score in names.items()}}


def test_scores_are_read_as_percent_and_a_missing_score_counts_as_zero():
    scores = site_audit.lighthouse_scores(_report(performance=0.874, seo=None))
    assert scores == {"performance": 87, "accessibility": 100, "best-practices": 100, "seo": 0}


def test_thresholds_fail_performance_under_95_and_the_others_under_100():
    rows = [
        Row("index.html", "desktop", site_audit.lighthouse_scores(_report(performance=0.95))),
        Row("chapters/02.html", "mobile", site_audit.lighthouse_scores(_report(performance=0.94))),
        Row("chapters/99.html", "mobile", site_audit.lighthouse_scores(_report(accessibility=0.99))),
        Row("chapters/91.html", "desktop", site_audit.lighthouse_scores(_report(best_practices=0.96))),
    ]
    assert site_audit.failing_scores(rows) == [
        "chapters/02.html (mobile): performance 94 < 95",
        "chapters/99.html (mobile): accessibility 99 < 100",
        "chapters/91.html (desktop): best-practices 96 < 100",
    ]


def test_table_has_one_line_per_page_and_form_factor_with_the_four_scores():
    rows = [Row("index.html", f, site_audit.lighthouse_scores(_report(performance=0.97))) for f in ("desktop", "mobile")]
    lines = site_audit.score_table(rows).splitlines()
    assert lines[0].split() == ["page", "form", "factor", "performance", "accessibility", "best-practices", "seo"]
    assert [line.split() for line in lines[2:]] == [
        ["index.html", "desktop", "97", "100", "100", "100"],
        ["index.html", "mobile", "97", "100", "100", "100"],
    ]


def test_known_issue_needs_its_upstream_url(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text("- {code: X, selector: form, reason: theme}\n")
    with pytest.raises(SystemExit, match="lacks upstream"):
        site_audit.load_known_issues(path)
    path.write_text("- {code: X, selector: form, reason: theme, upstream: 'see furo'}\n")
    with pytest.raises(SystemExit, match="https URL"):
        site_audit.load_known_issues(path)


def test_only_a_listed_code_and_selector_is_known():
    known = [{"code": "H32.2", "selector": "form", "reason": "theme", "upstream": "https://example.org/1"}]
    assert site_audit.is_known({"code": "H32.2", "selector": "form"}, known) is known[0]
    assert site_audit.is_known({"code": "H32.2", "selector": "main form"}, known) is None
    assert site_audit.is_known({"code": "H37", "selector": "form"}, known) is None


def test_the_books_known_issue_list_is_valid():
    for entry in site_audit.load_known_issues():
        assert entry["upstream"].startswith("https://")


def test_server_compresses_text_when_the_client_accepts_gzip(tmp_path):
    page = "<p>" + "briefing " * 500 + "</p>"
    (tmp_path / "index.html").write_text(page)
    server, base = site_audit.serve(tmp_path)
    try:
        request = urllib.request.Request(base, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body = response.read()
        assert len(body) < len(page) / 10
        assert gzip.decompress(body).decode() == page
        with urllib.request.urlopen(base + "index.html") as response:
            assert response.headers["Content-Encoding"] is None
            assert response.read().decode() == page
    finally:
        server.shutdown()
