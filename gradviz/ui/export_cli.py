"""The picture options of ``gradviz export`` (PNG, SVG, PDF): size, theme, caption,
aspect. gradviz/__main__.py adds them to its parser and calls `write_picture`."""

from __future__ import annotations

import argparse
from pathlib import Path

PICTURE_SUFFIXES = (".png", ".svg", ".pdf")


def add_picture_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--size",
        metavar="WxH",
        help="exact picture size, e.g. 1920x1080 (the graph is centred in it, scaled to "
        "fit; the caption keeps its type size); default: the graph's own size (at --scale)",
    )
    parser.add_argument(
        "--scale", type=float, choices=(1.0, 2.0), default=1.0, help="PNG pixels per unit: 1 or 2"
    )
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument(
        "--no-caption",
        action="store_true",
        help="leave out the caption (step number, narration and the chain-rule lines)",
    )
    parser.add_argument(
        "--aspect",
        choices=("fit", "16:9", "4:3"),
        default="fit",
        help="fit the graph, or pad the picture to a slide's shape",
    )


def write_picture(scene, output: Path, args: argparse.Namespace) -> None:
    """Draw `scene` to `output` (.png, .svg or .pdf) with the command line's options.
    Raises ValueError for a bad --size."""
    from gradviz.ui import theme
    from gradviz.ui.export_image import ExportOptions, export_scene, parse_size
    from gradviz.ui.render import _ensure_app

    size = parse_size(args.size) if args.size else None
    _ensure_app()
    theme.apply_theme(args.theme)
    options = ExportOptions(
        scale=args.scale, aspect=args.aspect, caption=not args.no_caption, size=size
    )
    export_scene(scene, output, options)
