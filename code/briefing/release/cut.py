"""``briefing release VERSION`` (``make release VERSION=x.y.z``): cut a release and build its artifacts.

1. The work tree must be clean and the tests must pass (``make test``, or ``--test-command``).
2. ``CHANGELOG.md`` gets an entry: the version, its date, the commit it was cut from, why (``--why``,
   else a line for the human to fill in), and what changed for a reader (``briefing diff`` against the previous
   release, in Markdown). CITATION.cff gets the version and ``date-released``.
3. That is committed as "Release x.y.z" and tagged ``vx.y.z``.
4. The book is built from that commit, and ``dist/`` gets ``deepseek-r1-what-holds-x.y.z.pdf``,
   ``deepseek-r1-what-holds-x.y.z-site.zip`` (the site, fixed times and modes) and ``SHA256SUMS``.

Run again at the release's own commit (the tag), it skips steps 2 and 3 and rebuilds the
artifacts, which come out the same to the byte: that is how a release is checked.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
import time
from pathlib import Path

from briefing.release import version as release_version

CHANGELOG = "CHANGELOG.md"
HEADER = """# Changelog

Each release of the briefing, newest first: what changed for a reader (written by `briefing diff`
against the previous release) and, under "Why", what the authors say about it. Each entry names the
commit it was cut from; the release itself is the commit tagged `vX.Y.Z`.
"""
DIST = "dist"


class ReleaseError(Exception):
    """A release that cannot be cut: one line for the user."""


def git(root: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def previous_release(root: Path) -> tuple[str, str] | None:
    """``(version, revision)`` of the last release, from the changelog (the revision it was cut from)."""
    from briefing.release.history import releases

    recorded = releases(root)
    return (recorded[-1].version, recorded[-1].commit) if recorded else None


WHY = "(the authors say why here)"


def why_text(why: str) -> str:
    """The authors' why as one paragraph of text: whitespace runs become one space and every character
    Markdown would read as markup is escaped, so no line of it can open a heading (a phantom release),
    a link, raw HTML or a citation."""
    from briefing.present import md_escape

    return str(md_escape(" ".join(str(why).split())))


def changelog_entry(root: Path, version: str, date: str, commit: str, previous: tuple[str, str] | None,
                    why: str = WHY) -> str:
    """The entry for ``version``: header, the why to fill in (as text), and the diff as Markdown."""
    why = why if why == WHY else why_text(why)
    from briefing.diff.compare import compare
    from briefing.diff.edition import read_edition
    from briefing.diff.report import lines
    from briefing.diff.tree import WORKTREE, Tree

    head = f"## {version} — {date}\n\nCut from commit {commit[:12]}."
    if previous is None:
        return (f"{head} The first release: the edition as it stands, nothing earlier to compare with.\n\n"
                f"Why: {why}\n")
    diff = compare(read_edition(Tree(root, previous[1])), read_edition(Tree(root, WORKTREE)))
    body = [line.replace("## ", "#### ", 1) if line.startswith("## ") else line
            for line in lines(diff, markdown=True)[2:]]
    return f"{head} Changes since {previous[0]}:\n\n" + "\n".join(body).rstrip() + f"\n\nWhy: {why}\n"


def add_entry(root: Path, entry: str) -> None:
    path = root / CHANGELOG
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    head, sep, rest = text.partition("\n## ")
    path.write_text(f"{head.rstrip()}\n\n{entry.rstrip()}\n" + (f"\n## {rest}" if sep else ""), encoding="utf-8")


def record_release(root: Path, version: str, date: str, commit: str, entry: str) -> None:
    """Write the changelog entry and the version, and commit them; on any failure put both files back
    as they were and unstage them, so a failed release leaves the work tree as it found it."""
    files = [root / CHANGELOG, root / release_version.CITATION]
    before = {path: path.read_bytes() if path.is_file() else None for path in files}
    try:
        add_entry(root, entry)
        release_version.write(root, version, date)
        git(root, "add", CHANGELOG, release_version.CITATION)
        git(root, "commit", "-q", "-m", f"Release {version}")
    except (ReleaseError, OSError) as exc:
        git(root, "reset", "-q", "--", CHANGELOG, release_version.CITATION, check=False)
        for path, content in before.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        raise ReleaseError(f"{exc}: nothing was released") from None


def artifacts(root: Path, version: str, out=sys.stdout) -> list[str]:
    """Build the book from the current commit and write dist/: the PDF, the site zip, SHA256SUMS."""
    from briefing.render.build import Builder
    from briefing.render.downloads import zip_bytes
    from briefing.render.output import files_under
    from briefing.render.project import load_book
    from briefing.render.render import slug

    book = load_book(root)
    target = Builder(root, out=out, live=False, list_files=False).build()
    if git(root, "status", "--porcelain", "--untracked-files=no"):
        raise ReleaseError("the build changed committed files (stale notebooks?): build, commit, and release again")
    name = slug(book.title)
    dist = root / DIST
    dist.mkdir(exist_ok=True)
    pdf = f"{name}-{version}.pdf"
    site = f"{name}-{version}-site.zip"
    (dist / pdf).write_bytes((target / f"{name}.pdf").read_bytes())
    files = [f for f in files_under(target) if not f.startswith(".")]
    (dist / site).write_bytes(zip_bytes(target, files, prefix=f"{name}-{version}/"))
    sums = "".join(f"{hashlib.sha256((dist / f).read_bytes()).hexdigest()}  {f}\n" for f in sorted([pdf, site]))
    (dist / "SHA256SUMS").write_text(sums, encoding="utf-8")
    return [pdf, site, "SHA256SUMS"]


def release(root: Path, version: str, test_command: str, out=sys.stdout, why: str | None = None) -> int:
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    if not release_version.valid(version):
        raise ReleaseError(f"VERSION={version!r}: a release number is MAJOR.MINOR.PATCH, such as 1.0.0 "
                           "(no leading zeros, nothing around it)")
    if git(root, "status", "--porcelain"):
        raise ReleaseError("the work tree has uncommitted changes: commit or stash them first (`git status`)")
    tag = f"v{version}"
    if subprocess.run(["git", "-C", str(root), "var", "GIT_COMMITTER_IDENT"], capture_output=True).returncode != 0:
        raise ReleaseError("no git identity to sign the release commit: set user.name and user.email "
                           "(`git config user.name ...`); nothing was released")
    at_tag = git(root, "describe", "--tags", "--exact-match", "HEAD", check=False) == tag
    from briefing.release.history import is_release_commit

    if not at_tag and not git(root, "tag", "--list", tag) and is_release_commit(root, version):
        git(root, "tag", tag)
        say(f"release: HEAD is the release commit of {version}: added the missing tag {tag}")
        at_tag = True
    if not at_tag and git(root, "tag", "--list", tag):
        raise ReleaseError(f"{tag} already exists at another commit")
    previous = previous_release(root)
    if not at_tag and previous and release_version.key(version) <= release_version.key(previous[0]):
        raise ReleaseError(f"{version} is not after the last release, {previous[0]}")
    say(f"release: running the tests ({test_command})")
    if subprocess.run(shlex.split(test_command), cwd=root, check=False).returncode != 0:
        raise ReleaseError(f"the tests failed ({test_command}): nothing was released")
    if not at_tag:
        commit = git(root, "rev-parse", "HEAD")
        date = time.strftime("%Y-%m-%d", time.gmtime())
        record_release(root, version, date, commit, changelog_entry(root, version, date, commit, previous, why or WHY))
        try:
            git(root, "tag", tag)
        except ReleaseError as exc:
            raise ReleaseError(f"the release commit is made but not its tag ({exc}); run the same release "
                               "again to add it") from None
        say(f"release: committed and tagged {tag}" + ("" if why else f"; say why in {CHANGELOG} in a follow-up commit"))
    else:
        say(f"release: HEAD is {tag}: rebuilding its artifacts")
    for name in artifacts(root, version, out):
        say(f"release: wrote {DIST}/{name}")
    return 0


def main(args) -> int:
    root = Path(args.project).resolve() if args.project else __import__("briefing.paths", fromlist=["ROOT"]).ROOT
    from briefing.files import FileProblem
    from briefing.render import BuildError

    try:
        return release(root, args.version, args.test_command, why=args.why)
    except (ReleaseError, BuildError, FileProblem) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
