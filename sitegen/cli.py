"""Command line: `python build.py [build|serve|new|check] ...`."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from .options import Options, today
from .errors import BuildError
from .write import OutputRefused


def _site_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site folder holding content/ data/ templates/ static/ (default: the current folder)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="where to write the site (default: SITE/output)")
    parser.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    parser.add_argument("--future", action="store_true", help="include articles dated after today")
    parser.add_argument("--base-url", default=None, metavar="URL",
                        help="use this base URL instead of data/site.yaml's (deploy previews, local audits)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="worker processes for Markdown and rendering (default: the number of cores)")
    parser.add_argument("--no-cache", action="store_true",
                        help="ignore and do not update .sitegen-cache/ (converted articles, the last build's record)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the one-line summary and problems")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also say which of sitegen's conversion shortcuts are in use (SITEGEN_NO_SHORTCUTS=1: none)")


def make_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the static site from content/ (Markdown), data/ (YAML), templates/ (Jinja) and static/. "
        "With no command, 'build' runs.",
        epilog="Problems in sources are printed one per line as 'path:line: message' and the build exits with status 1 "
        "leaving output/ as it was. Set SOURCE_DATE_EPOCH to fix 'today' for reproducible builds.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", help="build the site into output/ (the default command)",
                                description="Build the site into output/ atomically.")
    _site_args(build)
    new = commands.add_parser(
        "new", help="start a draft article (or --page) from its layout's archetype in templates/archetypes/",
        description="Write content/<slug>.md (with --page: content/pages/<slug>.md) from the archetype "
        "templates/archetypes/<layout>.md (article.md, page.md, or --layout's): front matter filled in (today's "
        "date, draft: true, and each --set field). It never overwrites a file; a field whose schema names data "
        "(x-data-ref) accepts only keys that data defines.")
    new.add_argument("title", help='the title, e.g. "Data Scientist vs Data Engineer"')
    new.add_argument("--set", dest="sets", action="append", metavar="FIELD=VALUE", default=None,
                     help="a front-matter field of the site's schema, e.g. --set roles=ai-engineer,ml-engineer "
                     "(a list field takes comma-separated values); repeat for more fields")
    new.add_argument("--layout", default=None, help="the layout, whose archetype templates/archetypes/LAYOUT.md is used")
    new.add_argument("--page", action="store_true", help="a standalone page under content/pages/ instead of an article")
    new.add_argument("--category", default="Hiring", help="the category (default: Hiring)")
    new.add_argument("--slug", default=None, help="file name and URL slug (default: made from the title)")
    new.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                     help="the site folder (default: the current folder)")
    serve = commands.add_parser(
        "serve", help="preview the site with live reload (drafts and future articles included)",
        description="Build the site (drafts and future articles included) into a temporary folder, serve it on "
        "127.0.0.1 and reload the browser on every save. Problems show in the terminal and as an overlay on "
        "every page; the last good pages stay served. Ctrl-C stops.")
    serve.add_argument("--site", type=Path, default=Path("."), metavar="DIR", help="the site folder (default: the current folder)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000, or the next free one)")
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                       help="address to listen on (default 127.0.0.1; anything else shows the preview to the network)")
    serve.add_argument("--open", action="store_true", help="open the preview in a web browser")
    serve.add_argument("--poll", action="store_true", help="poll for changes (network drives, some containers)")
    serve.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help="worker processes for large rebuilds")
    check = commands.add_parser(
        "check", help="build in memory, write nothing, and report problems readers and search engines would meet",
        description="Build the site in memory (nothing is written: no output/, no .sitegen-cache/) and report each "
        "finding as 'path:line: level: message': broken internal links and #anchors, links to drafts, images "
        "without alt text, heading structure, titles and descriptions for search results, Python-Markdown traps, "
        "figures typed into prose instead of taken from data/, unused records of collections and stale records. Exit status 1 on "
        "any error (with --strict, on any warning too).")
    check.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                       help="the site folder (default: the current folder)")
    check.add_argument("--drafts", action="store_true", help="check articles marked draft: true too")
    check.add_argument("--future", action="store_true", help="check articles dated after today too")
    check.add_argument("--strict", action="store_true", help="exit with status 1 on warnings too")
    return parser, {"build": build, "new": new, "serve": serve, "check": check}


def main(argv: list[str] | None = None) -> int:
    """The command line. Whatever the sources hold, it ends with an exit status and one line per problem: an
    exception that escaped every per-file handler is a bug of ours, printed as one line (SITEGEN_DEBUG=1 re-raises
    it for the traceback)."""
    try:
        return _main(argv)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if os.environ.get("SITEGEN_DEBUG"):
            raise
        print(f"error: internal error: {type(exc).__name__}: {exc} (a bug in sitegen; please report it, with "
              "SITEGEN_DEBUG=1 for the traceback)".replace("\n", " "), file=sys.stderr)
        return 1


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, subcommands = make_parser()
    if argv in (["-h"], ["--help"]):
        # one page documents everything: the commands, then each command's options
        parser.print_help()
        for name, sub in subcommands.items():
            print(f"\n{'=' * 8} python build.py {name} {'=' * 8}")
            sub.print_help()
        return 0
    if not argv or argv[0].startswith("-"):
        argv.insert(0, "build")
    args = parser.parse_args(argv)
    if args.command == "build":
        return run_build(args)
    if args.command == "new":
        return run_new(args)
    if args.command == "check":
        return run_check(args)
    if args.command == "serve":
        from .serve import run as run_serve

        if not args.site.is_dir():
            print(f"error: --site {args.site}: no such folder", file=sys.stderr)
            return 2
        return run_serve(args.site, args.port or 8000, args.bind, args.port is not None, args.open, args.poll, args.jobs)
    parser.print_help()
    return 2


def run_build(args: argparse.Namespace) -> int:
    from .pipeline import build

    site = args.site
    if not site.is_dir():
        print(f"error: --site {site}: no such folder", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print(f"error: --jobs {args.jobs}: give a number of processes, 1 or more", file=sys.stderr)
        return 2
    if args.base_url is not None and not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?/", args.base_url):
        print(f"error: --base-url {args.base_url}: give an absolute http(s) URL ending in /", file=sys.stderr)
        return 2
    options = Options(drafts=args.drafts, future=args.future, today=today(), base_url=args.base_url)
    try:
        result = build(site, args.out, options, jobs=args.jobs, cache=not args.no_cache, progress=not args.quiet)
    except BuildError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"build failed: {count} problem{'s' if count != 1 else ''}; output left unchanged", file=sys.stderr)
        return 1
    except OutputRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files = "static file" if result.static_files == 1 else "static files"
    print(f"built {result.pages} pages and {result.static_files} {files} into {result.out} in {result.seconds:.2f} s")
    if not args.quiet:
        print(summary_table(result))
    if getattr(args, "verbose", False):
        from . import markdown_ext, mdfast

        mdfast.active(markdown_ext.make_markdown)  # the self-check each worker ran (the same code and environment)
        print(mdfast.describe())
    return 0


def summary_table(result) -> str:
    """A short table after the summary line, like Hugo's: what was done and where the time went."""
    rows = [
        ("Pages", f"{result.pages} ({result.rendered} rendered, {len(result.written)} files changed on disk)"),
        ("Static files", f"{result.static_files} ({result.made} image variants and cards made)"),
        ("Articles", f"{result.cache_hits + result.converted} ({result.cache_hits} from cache, {result.converted} converted)"),
    ] + [(f"  {stage}", f"{seconds:.2f} s") for stage, seconds in result.stages.items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def run_new(args: argparse.Namespace) -> int:
    from .newpost import NewPostError, new_article, parse_sets

    site = args.site
    if not site.is_dir():
        print(f"error: --site {site}: no such folder", file=sys.stderr)
        return 2
    try:
        rel = new_article(site, args.title, sets=parse_sets(args.sets), category=args.category, slug=args.slug,
                          layout=args.layout, page=args.page)
    except NewPostError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 1
    print(f"created {rel}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from .check import run

    site = args.site
    if not site.is_dir():
        print(f"error: --site {site}: no such folder", file=sys.stderr)
        return 2
    return run(site, Options(drafts=args.drafts, future=args.future, today=today()), strict=args.strict)
