"""gradviz: watch automatic differentiation happen.

usage:
  gradviz [FILE]                                 open the app (FILE is loaded, not run)
  gradviz export FILE -o OUT.png|svg|pdf [--step N|--end] [--size WxH] [--theme dark]
                 [--no-caption] [--aspect fit|16:9|4:3]   run FILE (sandboxed), draw one step
  gradviz export FILE -o OUT.html                run FILE, write the step-by-step web page
  gradviz export FILE -o OUT.json                run FILE, write the story and its layout
  gradviz export --help                          all export options
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_SCRIPT_ERROR = 1
EXIT_USAGE = 2


def _ensure_display() -> None:
    # Rendering needs no screen: use Qt's offscreen platform where there is none.
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and no_display:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradviz export",
        description="Run a script in the sandbox and export the graph at one step.",
    )
    parser.add_argument("file", help="the PyTorch script to run")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="OUT.png, OUT.svg or OUT.pdf (one step), OUT.html (all steps) "
        "or OUT.json (story + layout)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--step",
        type=int,
        help="the step to draw, numbered as in the window (1 = first); "
        "default: the step the window opens at after a run (as --end)",
    )
    where.add_argument(
        "--end",
        action="store_true",
        help="draw the story's end: the last step of its last backward (where the window opens)",
    )
    parser.add_argument("--direction", choices=("LR", "TB"), default="LR")
    parser.add_argument(
        "--iterations",
        default="60",
        metavar="N",
        help="a training loop's iterations told step by step: the first N/2 and the last "
        "N/2 (default 60, or 'all'); the others show only their loss",
    )
    parser.add_argument(
        "--collapse",
        nargs="?",
        const="1",
        metavar="PATHS",
        help="show nn.Modules as one box each: every module at depth 1 (no value), or the "
        "comma-separated module paths given (model.0,model.fc1); --step counts the "
        "collapsed steps",
    )
    from gradviz.ui.export_cli import add_picture_options  # no Qt import until drawing

    add_picture_options(parser)
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--memory-limit", type=int, default=1024, metavar="MB")
    parser.add_argument(
        "--allow-network", action="store_true", help="let the script open network connections"
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="let the script write files outside its private working folder",
    )
    return parser


def _fail(message: str, code: int) -> int:
    print(f"gradviz export: {message}", file=sys.stderr)
    return code


def _collapsed(story, choice: str | None) -> frozenset[str]:
    """The module paths --collapse names: none, every one at depth 1 ("1"), or a list."""
    if not choice:
        return frozenset()
    from gradviz.core import module_view

    if choice == "1":
        return module_view.paths_at_depth(story, 1)
    return frozenset(p.strip() for p in choice.split(",") if p.strip())


def export(argv: list[str]) -> int:
    """``gradviz export``: returns the exit code."""
    args = _export_parser().parse_args(argv)
    source_path, output = Path(args.file), Path(args.output)
    if output.suffix.lower() not in (".png", ".svg", ".pdf", ".html", ".json"):
        return _fail(
            f"cannot tell the format of {output}: use .png, .svg, .pdf, .html or .json",
            EXIT_USAGE,
        )
    from gradviz.core.script_file import ScriptFileError, read_script

    try:
        source = read_script(source_path)  # never blocks on a FIFO or a device
    except ScriptFileError as exc:
        return _fail(f"cannot read {source_path}: {exc}", EXIT_USAGE)

    from gradviz.core.export_story import parse_iterations
    from gradviz.core.sandbox import start_run

    try:
        told = parse_iterations(args.iterations)
    except ValueError:
        return _fail(
            f"--iterations {args.iterations}: use a count (0 or more) or 'all'", EXIT_USAGE
        )
    run = start_run(
        source,
        timeout_s=args.time_limit,
        memory_mb=args.memory_limit,
        filename=source_path.name,
        allow_network=args.allow_network,
        allow_writes=args.allow_writes,
        told=told,
    )
    try:
        result = run.wait()
    finally:
        run.cancel()  # Ctrl+C: the worker and its children go too (a no-op once done)
    if result.sandbox_note():
        print(f"note: the sandbox could not enforce {result.sandbox_note()}", file=sys.stderr)

    error = result.error
    where = f" on line {error.line}" if error is not None and error.line else ""
    player = None
    if result.story.steps:  # no steps: say so without loading the player (networkx)
        from gradviz.core.player import Player

        player = Player(result.story, args.direction, _collapsed(result.story, args.collapse))
    count = player.step_count if player is not None else 0
    if count == 0:
        if error is not None:
            hint = f"\nhint: {error.hint}" if error.hint else ""
            return _fail(f"{error.kind} error{where}: {error.message}{hint}", EXIT_SCRIPT_ERROR)
        return _fail(
            "the script built no graph (no tensor with requires_grad=True)", EXIT_SCRIPT_ERROR
        )

    _ensure_display()
    from gradviz.ui.episodes import initial_step

    default = getattr(result.story, "default_step", None)
    if default is None or not 0 <= default < count or error is not None:
        default = initial_step(player.episodes(), count, failed=error is not None)
    if args.end:
        step = default
    elif args.step is not None:
        if not 1 <= args.step <= count:
            return _fail(
                f"--step {args.step} is out of range: this story has steps 1–{count}", EXIT_USAGE
            )
        step = args.step - 1
    else:
        step = default  # where the window opens after a run

    if output.suffix.lower() in (".png", ".svg", ".pdf"):
        from gradviz.ui.export_cli import write_picture

        try:
            write_picture(player.scene(step), output, args)
        except ValueError as exc:
            return _fail(str(exc), EXIT_USAGE)
        print(f"wrote {output} (step {step + 1} of {count})")
    elif output.suffix.lower() == ".json":
        from gradviz.core import story_json

        output.write_text(story_json.dumps(player), encoding="utf-8")
        print(f"wrote {output} ({count} steps, format {story_json.FORMAT} v1)")
    else:
        from gradviz.core.html_export import write_html

        write_html(player, output, source_path.name, source, result.stdout)
        print(f"wrote {output} ({count} steps)")
    if error is not None:
        # The picture shows the story up to the error, but the script did fail.
        return _fail(
            f"the script stopped with a {error.kind} error{where}: {error.message}",
            EXIT_SCRIPT_ERROR,
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "export":
        try:
            return export(argv[1:])
        except KeyboardInterrupt:
            from gradviz.core.sandbox import end_everything

            end_everything()
            print("gradviz export: interrupted (Ctrl+C); the script was stopped.", file=sys.stderr)
            return 130
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    from gradviz.ui.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
