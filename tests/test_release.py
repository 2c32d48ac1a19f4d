"""Releases (issue 13): the version lives in CITATION.cff and the build reads it; `briefing release`
refuses a dirty tree or failing tests, writes the changelog from `briefing diff`, tags, and builds
dist/ artifacts that a second run from the same commit reproduces to the byte."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from briefing.release import version as release_version
from briefing.render.build import version_of
from conftest import ROOT, run_build
from test_diff import git, write

CITATION = """cff-version: 1.2.0
message: "Cite it."
title: "Editions"
authors:
  - name: "Someone"
version: 0.1.0
preferred-citation:
  type: report
  title: "Editions"
  authors:
    - name: "Someone"
  version: 0.1.0
"""


def release(repo: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "BRIEFING_ROOT")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run([sys.executable, "-m", "briefing.cli", "release", "--project", str(repo), *args],
                          capture_output=True, text=True, check=False, env=env)


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "book"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, ".gitignore", "_book/\n.briefing-cache/\ndist/\n")
    write(repo, "_quarto.yml", "project:\n  type: book\nbook:\n  title: Editions\n  chapters:\n    - index.qmd\n"
                               "    - chapters/a.qmd\nfilters:\n  - briefing\n")
    # the reader features (a chapter's last-changed line is one), installed as a project has them
    shutil.copytree(ROOT / "_extensions", repo / "_extensions", ignore=shutil.ignore_patterns("__pycache__"))
    write(repo, "index.qmd", "# Editions {.unnumbered}\n\nA book.\n")
    write(repo, "chapters/a.qmd", "# A\n\n```{python}\nx = 6 * 7\n```\n\nThe answer is `{python} x`.\n")
    write(repo, "CITATION.cff", CITATION)
    code, out, err = run_build(repo)
    assert code == 0, err
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def text_of(path: Path) -> str:
    import re

    html = path.read_text(encoding="utf-8")
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", main)).replace("&#39;", "'")


def sums(repo: Path) -> str:
    return (repo / "dist/SHA256SUMS").read_text(encoding="utf-8")


def test_a_release_writes_version_changelog_tag_and_reproducible_artifacts(repo):
    result = release(repo, "1.0.0", "--test-command", "true")
    assert result.returncode == 0, result.stderr
    assert release_version.read(repo)[0] == "1.0.0"
    assert git(repo, "describe", "--tags", "--exact-match", "HEAD").strip() == "v1.0.0"
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## 1.0.0 — " in changelog and "The first release" in changelog
    names = sorted(p.name for p in (repo / "dist").iterdir())
    assert names == ["SHA256SUMS", "editions-1.0.0-site.zip", "editions-1.0.0.pdf"]
    listed = zipfile.ZipFile(repo / "dist/editions-1.0.0-site.zip").namelist()
    assert "editions-1.0.0/index.html" in listed and "editions-1.0.0/chapters/a.html" in listed
    assert 'version <span class="version">1.0.0</span>' in (repo / "_book/index.html").read_text(encoding="utf-8")
    first = sums(repo)
    assert "the first release of the briefing" in text_of(repo / "_book/what-changed.html")
    assert "Last changed in version 1.0.0 (" in text_of(repo / "_book/chapters/a.html")

    for leftover in ("dist", "_book", ".briefing-cache"):
        shutil.rmtree(repo / leftover)
    again = release(repo, "1.0.0", "--test-command", "true")
    assert again.returncode == 0, again.stderr
    assert "rebuilding its artifacts" in again.stdout
    assert sums(repo) == first

    # a copy without git history (an unpacked archive) says what it can, the same in every copy
    pages = []
    for name in ("copy-one", "copy-two"):
        copy = repo.parent / name
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git", "_book", ".briefing-cache", "dist"))
        code, out, err = run_build(copy, "--to", "html")
        assert code == 0, err
        pages.append((copy / "_book/what-changed.html").read_bytes())
    assert pages[0] == pages[1] and "carries no git history" in pages[0].decode()

    # the next release's changelog entry is `briefing diff` against this one
    write(repo, "chapters/a.qmd", "# A\n\n```{python}\nx = 6 * 8\n```\n\nThe answer is `{python} x`.\n")
    code, out, err = run_build(repo)
    assert code == 0, err
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a new answer")
    result = release(repo, "1.1.0", "--test-command", "true", "--why", "the answer was wrong")
    assert result.returncode == 0, result.stderr
    entry = (repo / "CHANGELOG.md").read_text(encoding="utf-8").split("## 1.0.0")[0]
    assert "## 1.1.0" in entry and "Changes since 1.0.0" in entry and "`x`: 42 → 48" in entry
    assert "Why: the answer was wrong" in entry

    # the book says which edition it is and what changed, chapter by chapter
    page = text_of(repo / "_book/what-changed.html")
    assert "This edition is version 1.1.0, released on" in page and "since version 1.0.0" in page
    assert "Last changed in version 1.1.0" in text_of(repo / "_book/chapters/a.html")
    assert "Last changed in version 1.0.0" in text_of(repo / "_book/index.html")
    if shutil.which("pdftotext"):
        pdf = subprocess.run(["pdftotext", str(repo / "_book/editions.pdf"), "-"], capture_output=True, text=True).stdout
        assert "What changed" in pdf and "Last changed in version 1.1.0" in pdf

    # a clone without the tags still knows its releases, from the changelog
    git(repo, "tag", "-d", "v1.0.0", "v1.1.0")
    from briefing.diff.tree import last_release
    from briefing.release.history import releases

    assert version_of(repo).describe == "1.1.0"
    assert [r.version for r in releases(repo)] == ["1.0.0", "1.1.0"]
    assert last_release(repo) == releases(repo)[-1].commit
    write(repo, "index.qmd", "# Editions {.unnumbered}\n\nA book, edited.\n")
    assert version_of(repo).describe.startswith("1.1.0+") and version_of(repo).describe.endswith(".dirty")
    write(repo, "chapters/a.qmd", "# A\n\n```{python}\nx = 6 * 9\n```\n\nThe answer is `{python} x`.\n")
    code, out, err = run_build(repo, "--to", "html")
    assert code == 0, err
    page = text_of(repo / "_book/what-changed.html")
    assert "This edition is not a release" in page and "after version 1.1.0" in page
    assert "“The answer is 54.” (before: 48)" in page
    raw = (repo / "_book/what-changed.html").read_text(encoding="utf-8")
    assert '<a href="chapters/a.html">A</a>' in raw  # a chapter of the difference is named by its title, linked (issue 20, item 7)
    assert re.search(r'<h1[^>]*><span class="header-section-number">[A-Z]</span> What changed between editions', raw)
    assert "changed since, not yet released" in text_of(repo / "_book/chapters/a.html")


def test_a_dirty_tree_failing_tests_or_an_old_number_release_nothing(repo):
    head = git(repo, "rev-parse", "HEAD")
    write(repo, "chapters/a.qmd", "# A\n\nEdited, not committed.\n")
    result = release(repo, "1.0.0", "--test-command", "true")
    assert result.returncode == 1 and result.stderr.startswith("error: the work tree has uncommitted changes")
    git(repo, "checkout", "--", "chapters/a.qmd")
    result = release(repo, "1.0.0", "--test-command", "false")
    assert result.returncode == 1 and "the tests failed (false): nothing was released" in result.stderr
    result = release(repo, "1.0", "--test-command", "true")
    assert result.returncode == 1 and "MAJOR.MINOR.PATCH" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "tag").strip()
    assert not (repo / "dist").exists() and release_version.read(repo)[0] == "0.1.0"


# Issue 19, class 2: the authors' "why" is text in CHANGELOG.md, never markup or a new entry.
@pytest.mark.parametrize("why", [
    "fixed\n## 9.9.9 — 2030-01-01\n\nCut from commit abcdef123456.",
    "## 9.9.9 — 2030-01-01 Cut from commit abcdef123456.",
    "<img src=x onerror=alert(1)> and [x](javascript:alert(1)) for @pmarca",
])
def test_a_why_is_one_paragraph_of_text_that_creates_no_release_and_no_markup(tmp_path, why):
    import json as _json

    import pypandoc

    from briefing.release.cut import add_entry, changelog_entry
    from briefing.release.history import releases

    add_entry(tmp_path, changelog_entry(tmp_path, "1.0.0", "2026-12-02", "0" * 40, None, why))
    assert [r.version for r in releases(tmp_path)] == ["1.0.0"]
    text = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    ast = _json.dumps(_json.loads(pypandoc.convert_text(text, "json", format="markdown")))
    for kind in ("RawInline", "RawBlock", "Link", "Cite"):
        assert f'"t": "{kind}"' not in ast
    assert sum(1 for line in text.splitlines() if line.startswith("## ")) == 1


# Issue 19, class 6: a release is atomic or resumable.
@pytest.mark.parametrize("version", ["1.2.3\n", "01.2.3", "1.02.3", "1.2.03", " 1.2.3", "1.2.3-", "v1.2.3", "1.2.3.4"])
def test_a_version_that_is_not_semver_changes_nothing(repo, version):
    head = git(repo, "rev-parse", "HEAD")
    result = release(repo, version, "--test-command", "true")
    assert result.returncode == 1 and "MAJOR.MINOR.PATCH" in result.stderr and "Traceback" not in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "tag").strip()
    assert not git(repo, "status", "--porcelain")


def test_without_a_git_identity_nothing_is_changed(repo, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in ("SOURCE_DATE_EPOCH", "BRIEFING_ROOT")}
    env.update(HOME=str(tmp_path / "home"), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(tmp_path / "none"))
    (tmp_path / "home").mkdir()
    head = git(repo, "rev-parse", "HEAD")
    result = subprocess.run([sys.executable, "-m", "briefing.cli", "release", "--project", str(repo), "1.0.0",
                             "--test-command", "true"], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "git identity" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "status", "--porcelain")


def test_a_commit_that_fails_leaves_the_tree_as_it_was(repo):
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    result = release(repo, "1.0.0", "--test-command", "true")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "nothing was released" in result.stderr
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "tag").strip()
    assert not git(repo, "status", "--porcelain") and release_version.read(repo)[0] == "0.1.0"


def test_a_re_run_adds_the_tag_a_release_commit_lacks(repo):
    result = release(repo, "1.0.0", "--test-command", "true")
    assert result.returncode == 0, result.stderr
    release_commit = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "-d", "v1.0.0")
    result = release(repo, "1.0.0", "--test-command", "true")
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "v1.0.0^{commit}") == release_commit == git(repo, "rev-parse", "HEAD")
    assert "added the missing tag v1.0.0" in result.stdout
