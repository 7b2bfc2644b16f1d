"""Contributor tooling: CI workflows, issue forms, Read the Docs and pre-commit configs, lint.

Fast and offline: these tests read configuration files and run the lint hooks of
.pre-commit-config.yaml with the same tools, pinned in .venv; nothing is built.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from identify import identify

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml")) + sorted((GITHUB / "workflows").glob("*.yaml"))
ISSUE_FORMS = sorted((GITHUB / "ISSUE_TEMPLATE").glob("*.yml"))
YAML_CONFIGS = [*WORKFLOWS, *ISSUE_FORMS, ROOT / ".readthedocs.yaml", ROOT / ".pre-commit-config.yaml"]
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
MAKE_CALL = re.compile(r"\bmake ([a-z-]+)")
HELP_TARGET = re.compile(r"^([a-z-]+):.*## ", re.MULTILINE)
ALLOWED_WRITES = {"pages", "id-token"}  # only the Pages deployment writes anything


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def jobs(path: Path) -> dict:
    return load(path).get("jobs") or {}


def steps(path: Path):
    for job_id, job in jobs(path).items():
        for step in job.get("steps") or []:
            yield job_id, step


def help_targets() -> set[str]:
    return set(HELP_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))


def test_the_expected_files_exist():
    expected = [".github/pull_request_template.md", ".github/CODEOWNERS", ".github/ISSUE_TEMPLATE/config.yml",
                ".github/ISSUE_TEMPLATE/new-chapter.yml", ".github/ISSUE_TEMPLATE/source-correction.yml",
                ".github/ISSUE_TEMPLATE/broken-link.yml", ".github/workflows/pr.yml",
                ".github/workflows/linkcheck.yml", ".github/workflows/publish.yml", ".readthedocs.yaml",
                ".pre-commit-config.yaml", ".codespell-words.txt", ".github/dependabot.yml"]
    missing = [path for path in expected if not (ROOT / path).is_file()]
    assert not missing, f"missing: {missing}"


@pytest.mark.parametrize("path", YAML_CONFIGS, ids=name)
def test_config_parses_as_yaml(path):
    assert isinstance(load(path), dict), f"{name(path)} is not a YAML mapping"


@pytest.mark.parametrize("path", WORKFLOWS, ids=name)
def test_every_job_has_a_timeout(path):
    assert jobs(path), f"{name(path)} has no jobs"
    without = [job_id for job_id, job in jobs(path).items() if "timeout-minutes" not in job]
    assert not without, f"{name(path)}: jobs without timeout-minutes: {without}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=name)
def test_permissions_are_least_privilege(path):
    workflow = load(path)
    assert workflow.get("permissions") == {"contents": "read"}, \
        f"{name(path)}: top-level permissions must be exactly {{contents: read}}, not {workflow.get('permissions')!r}"
    for job_id, job in jobs(path).items():
        granted = job.get("permissions")
        if granted is None:
            continue
        assert isinstance(granted, dict), f"{name(path)}: job {job_id}: permissions must be a mapping"
        writes = {scope for scope, level in granted.items() if level == "write"}
        if writes:
            assert job_id == "deploy", f"{name(path)}: only the deploy job may write; {job_id} writes {writes}"
            assert writes <= ALLOWED_WRITES, f"{name(path)}: deploy writes more than it needs: {writes}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=name)
def test_actions_are_pinned_to_full_commit_shas(path):
    uses = [step["uses"] for _, step in steps(path) if "uses" in step]
    uses += [job["uses"] for job in jobs(path).values() if "uses" in job]  # reusable workflows
    unpinned = [use for use in uses if not use.startswith("./") and not SHA_PIN.match(use)]
    assert not unpinned, f"{name(path)}: not pinned to a 40-character commit SHA: {unpinned}"
    text = (path).read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"uses:\s*\S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d", line), f"{name(path)}: pinned action without a version comment: {line.strip()}"


def test_workflows_call_only_documented_make_targets():
    targets = help_targets()
    called = {}
    for path in WORKFLOWS:
        for job_id, step in steps(path):
            for target in MAKE_CALL.findall(step.get("run", "")):
                called.setdefault(target, f"{name(path)} ({job_id})")
    assert called, "the workflows call no make targets"
    unknown = {target: where for target, where in called.items() if target not in targets}
    assert not unknown, f"make targets called by workflows but missing from `make help`: {unknown}"
    assert {"test", "html", "pdf", "linkcheck"} <= set(called)


def test_readme_uses_the_same_commands_as_ci():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    text = readme.read_text(encoding="utf-8")
    for command in ("make test", "make html"):
        assert command in text, f"README.md does not mention `{command}`, which CI runs"


def test_lint_target_is_in_make_help():
    assert "lint" in help_targets()


def test_publish_deploys_to_pages():
    workflow = load(GITHUB / "workflows" / "publish.yml")
    assert workflow["concurrency"]["group"] == "pages"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])


def test_issue_forms_are_complete():
    assert load(GITHUB / "ISSUE_TEMPLATE" / "config.yml")["blank_issues_enabled"] is False
    forms = [path for path in ISSUE_FORMS if path.name != "config.yml"]
    assert {path.name for path in forms} >= {"new-chapter.yml", "source-correction.yml", "broken-link.yml"}
    for path in forms:
        form = load(path)
        for key in ("name", "description", "title", "labels", "body"):
            assert form.get(key), f"{name(path)} has no {key}"
        ids = [item["id"] for item in form["body"] if "id" in item]
        assert len(ids) == len(set(ids)), f"{name(path)}: duplicate ids {ids}"
        required = [item for item in form["body"] if (item.get("validations") or {}).get("required")]
        assert required, f"{name(path)} has no required field"


def test_readthedocs_builds_the_pdf_strictly():
    config = load(ROOT / ".readthedocs.yaml")
    assert config["version"] == 2
    assert config["build"]["tools"]["python"] == "3.11"
    assert config["sphinx"] == {"configuration": "conf.py", "fail_on_warning": True}
    assert config["formats"] == ["pdf"]
    assert {"requirements": "requirements.txt"} in config["python"]["install"]


VENV_BIN = Path(sys.executable).parent
HOOKS = [hook for repo in load(ROOT / ".pre-commit-config.yaml")["repos"] for hook in repo["hooks"]]


def lint(files: list[Path], root: Path = ROOT) -> tuple[int, str]:
    """Run every hook of .pre-commit-config.yaml on ``files`` as pre-commit would, offline.

    Python hooks run their entry, with their args, from .venv (the same pinned versions, see
    test_lint_hooks_are_local_pinned_and_pinned_alike); pygrep hooks are the regex itself.
    Returns the worst exit status and everything the hooks printed, with paths relative to ``root``.
    """
    status, out = 0, []
    if not (root / ".git").exists():  # pre-commit, and so its hooks, always run in a repository
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    words = root / ".codespell-words.txt"  # the hooks' args name it relative to the repository
    if not words.exists():
        shutil.copyfile(ROOT / words.name, words)
    for hook in HOOKS:
        chosen = [f for f in files if re.search(hook.get("files", ""), f.relative_to(root).as_posix())
                  and set(hook.get("types", [])) <= identify.tags_from_path(str(f))]
        if not chosen:
            continue
        if hook["language"] == "pygrep":
            pattern = re.compile(hook["entry"])
            for f in chosen:
                for number, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
                    if pattern.search(line):
                        status = 1
                        out.append(f"{f.relative_to(root)}:{number}:{line} [{hook['id']}]")
            continue
        command, *rest = hook["entry"].split()
        result = subprocess.run([str(VENV_BIN / command), *rest, *hook.get("args", []),
                                 *[str(f.relative_to(root)) for f in chosen]],
                                cwd=root, capture_output=True, text=True)
        status = max(status, result.returncode)
        out.append(f"[{hook['id']}] {result.stdout}{result.stderr}")
    return status, "\n".join(out)


def test_lint_hooks_are_local_pinned_and_pinned_alike():
    """One definition, PyPI only, one version of each tool (the one in requirements.txt)."""
    config = load(ROOT / ".pre-commit-config.yaml")
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    for hook in HOOKS:
        assert hook["language"] in {"python", "pygrep"}, hook["id"]
        for requirement in hook.get("additional_dependencies", []):
            package, version = requirement.split("==")
            assert pins.get(package) == version, f"{hook['id']}: {requirement}, requirements.txt has {pins.get(package)}"
    assert {"ruff", "codespell", "trailing-whitespace", "check-yaml", "no-unsafe-html"} <= {h["id"] for h in HOOKS}
    assert not (ROOT / "tools" / "lint.py").exists(), "lint is defined once, in .pre-commit-config.yaml"


def test_make_lint_runs_pre_commit_on_all_files():
    recipe = re.search(r"^lint:.*\n\t(.*)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE).group(1)
    assert "pre-commit run --all-files" in recipe


def test_lint_passes_on_the_repository(tmp_path):
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True).stdout.split("\0")
    copy = tmp_path / "repo"
    files = []
    for relative in filter(None, tracked):
        if (ROOT / relative).is_file():  # the fixers edit files: they run on a copy
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / relative, copy / relative)
            files.append(copy / relative)
    status, output = lint(files, copy)
    assert status == 0, output


@pytest.fixture
def planted_chapter(tmp_path) -> Path:
    """A copy of a real chapter, in a folder named chapters/, with unsafe HTML planted in it."""
    source = sorted((ROOT / "chapters").glob("0*.md"))[0]
    chapter = tmp_path / "chapters" / source.name
    chapter.parent.mkdir()
    shutil.copyfile(source, chapter)
    assert lint([chapter], tmp_path)[0] == 0, "the unmodified copy should be clean"
    with chapter.open("a", encoding="utf-8") as handle:
        handle.write('\n<script>alert("x")</script>\n\n<a href="#" onclick="steal()">click</a>\n')
    return chapter


def test_lint_catches_script_and_event_handler_at_their_lines(planted_chapter):
    status, output = lint([planted_chapter], planted_chapter.parent.parent)
    lines = len(planted_chapter.read_text(encoding="utf-8").splitlines())
    assert status == 1
    assert re.search(rf"chapters/\S+\.md:{lines - 2}:<script>.*\[no-unsafe-html\]", output), output
    assert re.search(rf"chapters/\S+\.md:{lines}:.*onclick=.*\[no-event-handlers\]", output), output


def test_lint_reports_whitespace_yaml_and_spelling(tmp_path):
    sample = tmp_path / "chapters" / "sample.md"
    sample.parent.mkdir()
    sample.write_text("A line with a trailing space \nTeh end", encoding="utf-8")
    broken = tmp_path / "broken.yml"
    broken.write_text("key: [unclosed\n", encoding="utf-8")
    status, output = lint([sample, broken], tmp_path)
    assert status != 0
    assert "[trailing-whitespace] Fixing chapters/sample.md" in output
    assert "[end-of-file-fixer] Fixing chapters/sample.md" in output
    assert "broken.yml" in output.split("[check-yaml]")[1]
    assert "chapters/sample.md:2: Teh ==> The" in output


def test_lint_does_not_flag_ordinary_prose_or_urls(tmp_path):
    sample = tmp_path / "chapters" / "prose.md"
    sample.parent.mkdir()
    sample.write_text("Talks on the S-400 went on.\nSee <https://example.org/a?session=1&location=2>.\n",
                      encoding="utf-8")
    status, output = lint([sample], tmp_path)
    assert status == 0, output
