"""The ``briefing`` command: ``build``, ``check`` and ``arch``."""

from __future__ import annotations

import argparse
import sys


def _cmd_build(args: argparse.Namespace) -> int:
    from briefing.render import build

    return build.main(args)


def _cmd_check(args: argparse.Namespace) -> int:
    from briefing import data

    return data.check_main(args)


def _cmd_arch(args: argparse.Namespace) -> int:
    from briefing import arch

    return arch.cli_main(args)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_build = sub.add_parser("build", help="render the book to _book/ (HTML site and PDF)")
    p_build.add_argument("--engine", choices=["auto", "quarto", "builtin"], default="auto")
    p_build.add_argument("--refresh", action="store_true", help="re-execute every chapter")
    p_build.add_argument("--to", choices=["all", "html", "pdf"], default="all")
    p_build.add_argument("--project", default=None, help="project folder (default: the briefing's root)")
    p_build.add_argument("--jobs", type=int, default=None, help="chapters executed in parallel (default: cores + 1, as kernels also wait on I/O)")
    p_build.set_defaults(func=_cmd_build)

    p_check = sub.add_parser("check", help="validate the data package in data/")
    p_check.add_argument("--data", default=None, help="data folder (default: the briefing's data/)")
    p_check.add_argument("--rehash", action="store_true", help="record current file hashes (after an intended edit) and declare pending files that now exist")
    p_check.set_defaults(func=_cmd_check)

    p_arch = sub.add_parser("arch", help="parameters and KV cache of a model from its config.json")
    p_arch.add_argument("config", help="a Hugging Face config.json or a DeepSeek-V3 inference config")
    p_arch.add_argument("--dtype", choices=["bf16", "fp16", "fp8", "fp32"], default="bf16")
    p_arch.add_argument("--context", type=int, default=None, help="context length in tokens")
    p_arch.add_argument("--batch", type=int, default=1)
    p_arch.add_argument("--json", action="store_true", help="print one JSON object")
    p_arch.set_defaults(func=_cmd_arch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
