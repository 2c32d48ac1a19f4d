"""The ``briefing`` command: ``build``, ``preview``, ``diff``, ``release``, ``check`` and ``arch``.

Every command reports bad input as one line on stderr and a non-zero exit,
never a traceback: Ctrl-C (or SIGTERM) ends any of them with exit 130 after
cleaning up; an unexpected internal error prints one line (set
``BRIEFING_DEBUG=1`` for the traceback) and exits 70.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys


def _cmd_build(args: argparse.Namespace) -> int:
    from briefing.render import build

    return build.main(args)


def _cmd_preview(args: argparse.Namespace) -> int:
    from briefing.preview import session

    return session.main(args)


def _cmd_diff(args: argparse.Namespace) -> int:
    from briefing.diff import report

    return report.main(args)


def _cmd_release(args: argparse.Namespace) -> int:
    from briefing.release import cut

    return cut.main(args)


def _cmd_check(args: argparse.Namespace) -> int:
    from briefing import data

    return data.check_main(args)


def _cmd_arch(args: argparse.Namespace) -> int:
    from briefing import arch

    return arch.cli_main(args)


def _at_least_one(flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number of 1 or more, not {text!r}")
        return value
    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be 0 (a free port) or from 1 to 65535, not {text!r}")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefing", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p_build = sub.add_parser("build", help="render the book to _book/ (HTML site and PDF)")
    p_build.add_argument("--engine", choices=["auto", "quarto", "builtin"], default="auto")
    p_build.add_argument("--refresh", action="store_true", help="re-execute every chapter and bypass the cache")
    p_build.add_argument("--to", choices=["all", "html", "pdf"], default="all",
                         help="formats to render (the other format's last good output is kept)")
    p_build.add_argument("--project", default=None, help="project folder (default: the briefing's root)")
    p_build.add_argument("--jobs", type=_at_least_one("--jobs"), default=None, help="chapters executed in parallel (default: cores + 1, as kernels also wait on I/O)")
    p_build.set_defaults(func=_cmd_build)

    p_preview = sub.add_parser("preview", help="serve the site on 127.0.0.1, rebuild what changed, reload the page")
    p_preview.add_argument("--project", default=None, help="project folder (default: the briefing's root)")
    p_preview.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (default: a free one, printed)")
    p_preview.add_argument("--no-pdf", action="store_true", help="build only the HTML (no background PDF)")
    p_preview.set_defaults(func=_cmd_preview)

    p_diff = sub.add_parser("diff", help="what changed between two editions (git revisions), without executing")
    p_diff.add_argument("old", nargs="?", default=None, help="old revision (default: the last release, else HEAD)")
    p_diff.add_argument("new", nargs="?", default=None, help="new revision (default: the working tree)")
    p_diff.add_argument("--project", default=None, help="project folder (default: the briefing's root)")
    form = p_diff.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object, for tools")
    form.add_argument("--markdown", action="store_true", help="Markdown, for a page")
    p_diff.set_defaults(func=_cmd_diff)

    p_release = sub.add_parser("release", help="cut release VERSION: changelog, tag, dist/ artifacts (make release)")
    p_release.add_argument("version", help="MAJOR.MINOR.PATCH, after the last release")
    p_release.add_argument("--project", default=None, help="project folder (default: the briefing's root)")
    p_release.add_argument("--test-command", default="make test", help="what must pass first (default: make test)")
    p_release.add_argument("--why", default=None, help="why this release, for the changelog (else a line to fill in)")
    p_release.set_defaults(func=_cmd_release)

    p_check = sub.add_parser("check", help="validate the data package in data/")
    p_check.add_argument("--data", default=None, help="data folder (default: the briefing's data/)")
    p_check.add_argument("--rehash", action="store_true", help="record current file hashes (after an intended edit) and declare pending files that now exist")
    p_check.set_defaults(func=_cmd_check)

    p_arch = sub.add_parser("arch", help="parameters and KV cache of a model from its config.json")
    p_arch.add_argument("config", help="a Hugging Face config.json or a DeepSeek-V3 inference config")
    p_arch.add_argument("--dtype", choices=["bf16", "fp16", "fp8", "fp32"], default="bf16")
    p_arch.add_argument("--context", type=int, default=None, help="context length in tokens")
    p_arch.add_argument("--batch", type=_at_least_one("--batch"), default=1)
    p_arch.add_argument("--json", action="store_true", help="print one JSON object")
    p_arch.set_defaults(func=_cmd_arch)
    return parser


def _terminate_as_interrupt(signum, frame):
    """SIGTERM takes the same path as Ctrl-C: clean up, then exit 130."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"briefing {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("BRIEFING_DEBUG"):
            raise
        print(f"briefing {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set BRIEFING_DEBUG=1 for the traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
