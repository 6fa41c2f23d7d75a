"""The ``workbench`` command: the GUI without arguments, or ``workbench <plugin> <command> ...``
headless, running the same job functions as the panels.

Plugins add their subcommands through ``PluginManifest.cli`` (``register(subparsers)``);
each subcommand sets ``func`` (``handler(args) -> int``) with ``parser.set_defaults``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from workbench import DISTRIBUTION, __version__
from workbench.plugin_api import discover_plugins, resolve


def _broken(message: str):
    def handler(_args: argparse.Namespace) -> int:
        print(f"workbench: {message}", file=sys.stderr)
        return 2

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Analysis workbench for machine-learning research on mathematical and scientific data. "
        "Without a command, the desktop application starts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__} ({DISTRIBUTION})")
    parser.add_argument(
        "--screenshot", metavar="FILE", help="open the window, wait for the panels' start-up jobs, write a PNG and exit"
    )
    parser.add_argument(
        "--panels", default="all", help="with --screenshot: comma-separated panel ids or 'all' (default)"
    )
    parser.add_argument(
        "--arrange", choices=("tabs", "grid"), default="tabs", help="with --screenshot: tabbed or side by side"
    )
    parser.add_argument("--size", default="1600x1000", help="with --screenshot: window size WxH (default 1600x1000)")
    parser.add_argument(
        "--theme",
        choices=("light", "dark"),
        default="",
        help="with --screenshot: the theme (default: the preferences')",
    )
    parser.add_argument(
        "--docks", default="", help="with --screenshot: comma-separated shell docks to show too: jobs, log"
    )
    parser.add_argument("--session", metavar="FILE", help="open this session file at start")
    parser.add_argument("--reset-layout", action="store_true", help="start with the default dock layout")
    sub = parser.add_subparsers(dest="plugin", metavar="PLUGIN", title="headless commands")
    lines = []
    for rec in discover_plugins():
        if not rec.ok:
            p = sub.add_parser(rec.name, help="(failed to load)")
            p.set_defaults(func=_broken(f"plugin {rec.name!r} failed to load: {rec.error.strip().splitlines()[-1]}"))
            lines.append(f"  {rec.name:<14s} (failed to load)")
            continue
        m = rec.loaded
        if not m.cli:
            continue
        # an id with underscores is also reachable with hyphens (`workbench diffusion-id ...`)
        aliases = [m.id.replace("_", "-")] if "_" in m.id else []
        p = sub.add_parser(m.id, aliases=aliases, help=m.summary, description=m.summary)
        psub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
        p.set_defaults(func=lambda _a, _p=p: (_p.print_help(), 2)[1])
        try:
            resolve(m.cli)(psub)
        except Exception:  # noqa: BLE001 - a broken plugin CLI must not break the others
            p.set_defaults(func=_broken(f"the commands of plugin {m.id!r} failed to load:\n{traceback.format_exc()}"))
            lines.append(f"  {m.id:<14s} (commands failed to load)")
            continue
        cmds = ", ".join(psub.choices) if psub.choices else "(none)"
        lines.append(f"  {m.id:<14s} {m.summary}\n  {'':<14s} commands: {cmds}")
    parser.epilog = (
        ("plugins and their commands (workbench PLUGIN COMMAND --help):\n" + "\n".join(lines)) if lines else None
    )
    return parser


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        return w, h
    except ValueError:
        raise SystemExit(f"workbench: --size must look like 1600x1000, got {text!r}") from None


def run_command(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run a headless command's handler and turn how it ended into an exit status: its own
    status; 130 (as for SIGINT) when Ctrl-C cancelled its job (the first Ctrl-C: the job stopped
    at its next check, see :func:`workbench.jobs.sigint_cancels`) or interrupted it (the second);
    1 for bad input or files (:class:`workbench.errors.InputError`, any ``ValueError`` or
    ``OSError``) and for a job that could not run (:class:`workbench.jobs.JobError`), with the
    message and no traceback."""
    from workbench.errors import WorkbenchError
    from workbench.jobs import JobCancelled

    try:
        return int(func(args) or 0)
    except JobCancelled:
        print("workbench: cancelled (Ctrl-C); the job stopped before finishing", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except (WorkbenchError, ValueError, OSError) as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.plugin:
        return run_command(args.func, args)
    from workbench.gui.app import run_gui, take_screenshot

    if args.screenshot:
        docks = tuple(d.strip() for d in args.docks.split(",") if d.strip())
        return take_screenshot(
            args.screenshot, args.panels, _size(args.size), args.arrange, theme=args.theme, docks=docks
        )
    return run_gui(session=args.session, reset_layout=args.reset_layout)


def gui_main() -> int:
    """Entry point of the ``workbench-gui`` launcher (no console on Windows)."""
    return main([])


if __name__ == "__main__":
    sys.exit(main())
