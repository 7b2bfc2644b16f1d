"""Citations: keys exist, entries are used, the bib parses, errors name file and line."""

import re

import pytest
from conftest import ROOT

from briefing import bibcheck, chronology
from briefing.evidence import citation_keys

CITE = re.compile(r"\{(?:foot)?cite(?::[a-z]+)?\}`([^`]+)`")


def cited_keys() -> dict:
    keys = {}
    sources = sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "index.md"]
    for path in sources:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in CITE.finditer(line):
                for key in citation_keys(match.group(1)):
                    keys.setdefault(key, f"{path.relative_to(ROOT)}:{number}")
    for event in chronology.load_events(ROOT / "data" / "chronology.yaml"):
        for key in event["cite"]:
            keys.setdefault(key, f"data/chronology.yaml ({event['date']})")
    return keys


def bib_entries():
    _text, data, _lines = bibcheck.parse_bibfile(ROOT / "references.bib")
    return data.entries


def further_reading() -> set:
    import conf
    return set(getattr(conf, "briefing_further_reading", []))


def test_every_cited_key_exists_in_references_bib():
    entries = {k.lower() for k in bib_entries()}
    missing = [f"{where}: {key}" for key, where in cited_keys().items() if key.lower() not in entries]
    assert not missing, "cited keys missing from references.bib:\n" + "\n".join(missing)


def test_every_bib_entry_is_cited_or_listed_as_further_reading():
    cited = {k.lower() for k in cited_keys()} | {k.lower() for k in further_reading()}
    unused = sorted(k for k in bib_entries() if k.lower() not in cited)
    assert not unused, f"entries never cited (cite them or list them in briefing_further_reading): {unused}"


def test_no_two_bib_entries_share_a_url():
    seen, dupes = {}, []
    for key, entry in bib_entries().items():
        url = entry.fields.get("url", "").strip().rstrip("/").lower()
        if url in seen:
            dupes.append(f"{key} and {seen[url]}: {url}")
        seen.setdefault(url, key)
    assert not dupes, "\n".join(dupes)


def test_chronology_events_have_iso_dates_and_existing_citation_keys():
    entries = {k.lower() for k in bib_entries()}
    events = chronology.load_events(ROOT / "data" / "chronology.yaml")
    assert events
    for event in events:
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", event["date"]), event
        assert event["cite"], event
        assert all(k.lower() in entries for k in event["cite"]), f"unknown key in {event}"


@pytest.mark.parametrize("text, line, words", [
    ("@misc{a,\n  title = {A},\n  year = {2019}\n  url = {https://example.org/}\n}\n", 4, "comma"),
    ("@misc{a,\n  title = {A},\n  year = {2019},\n}\n\n@misc{b,\n  title = {B\n  year = {2020},\n}\n", 6, "malformed"),
])
def test_bib_syntax_error_is_reported_with_file_name_and_line(tmp_path, text, line, words):
    path = tmp_path / "references.bib"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(bibcheck.BibProblem) as err:
        bibcheck.parse_bibfile(path)
    assert err.value.line == line and str(path) in str(err.value), str(err.value)


def test_duplicate_bib_key_is_reported_with_both_lines(tmp_path):
    path = tmp_path / "references.bib"
    path.write_text("@misc{a,\n  title = {A}\n}\n\n@misc{A,\n  title = {B}\n}\n", encoding="utf-8")
    with pytest.raises(bibcheck.BibProblem) as err:
        bibcheck.parse_bibfile(path)
    assert err.value.line == 5 and "first defined on line 1" in err.value.message


def test_entry_rules_catch_missing_fields_bad_dates_unknown_types_and_http(tmp_path):
    import datetime
    path = tmp_path / "references.bib"
    path.write_text(
        "@legislation{law,\n  title = {T},\n  year = {2019},\n  month = {13},\n  url = {http://example.org/x},\n"
        "  urldate = {2027-01-01},\n  sourcetype = {blog},\n  publisher = {P}\n}\n", encoding="utf-8")
    _data, problems = bibcheck.check_bibfile(path, datetime.date(2026, 11, 26), bound=datetime.date(2026, 12, 1))
    text = "\n".join(m for _l, m in problems)
    for expected in ("@legislation", "month '13'", "not https", "urldate 2027-01-01 is in the future",
                     "sourcetype 'blog'"):
        assert expected in text, f"{expected!r} not reported in:\n{text}"
    assert {line for line, _m in problems} == {1}


def test_source_read_after_the_as_of_date_is_accepted_up_to_the_commit_date(tmp_path):
    """CONTRIBUTING: urldate is the day you read the page; the as-of date does not bound it."""
    import datetime
    path = tmp_path / "references.bib"
    path.write_text("@misc{page,\n  title = {T},\n  publisher = {P},\n  year = {2026},\n  month = {11},\n"
                    "  url = {https://example.org/x},\n  urldate = {2026-12-02},\n  sourcetype = {press}\n}\n",
                    encoding="utf-8")
    assert bibcheck.check_bibfile(path, datetime.date(2026, 11, 26), bound=datetime.date(2026, 12, 2))[1] == []
    assert bibcheck.check_bibfile(path, datetime.date(2026, 11, 26), bound=None)[1] == []
