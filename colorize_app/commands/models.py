"""`colorize models`: list, download and convert colorization models."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list, download or convert CNN colorization models",
        description="Manage the models that `colorize cnn` uses.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="installed and downloadable models, with checksums")
    listing.add_argument("--no-checksums", action="store_true",
                         help="skip computing SHA-256 (faster)")
    listing.set_defaults(func=run_list)
    fetch = actions.add_parser(
        "download", help="download a model (resumable, SHA-256 checked)",
        description="Download a model into the user's data folder "
                    "(COLORIZE_DATA_DIR overrides it). An interrupted download resumes.",
    )
    fetch.add_argument("name", help="model name, e.g. eccv16")
    fetch.set_defaults(func=run_download)
    convert = actions.add_parser(
        "convert", help="convert a TF checkpoint or .pth into the project's .npz",
    )
    convert.add_argument("source", metavar="NAME|FILE")
    convert.add_argument("output", metavar="OUT.npz")
    convert.add_argument("--bins", metavar="NPY", help="ab bins for a TF checkpoint")
    convert.set_defaults(func=run_convert)
    decoding = actions.add_parser(
        "set-decoding", help="write the decoding a model file recommends",
        description="Copy a model file with the decoding that `colorize cnn`, the app and "
                    "the video commands use for it (its `decoding` entry), e.g. the shipped "
                    "model's: --neutral 1 --gain 1.75 --vividness 0.35 --rebalance 0.5 "
                    "--temperature 0.52 --flip. Options left out keep the file's values.",
    )
    decoding.add_argument("source", metavar="MODEL.npz")
    decoding.add_argument("output", metavar="OUT.npz")
    for name, kind, what in (
            ("temperature", float, "annealed-mean temperature in (0, 10] at the slider's "
                                   "middle"),
            ("spread-scale", float, "ab spread of the confidence muting (calibrated decoding)"),
            ("rebalance", float, "decode-time class rebalancing in [0, 2]"),
            ("neutral", float, "strength of the neutral prior (0: off)"),
            ("gain", float, "chroma gain at the reference temperature"),
            ("vividness", float, "exponent by which the temperature scales the chroma")):
        decoding.add_argument(f"--{name}", type=kind, help=what)
    decoding.add_argument("--edges", choices=["global", "guided", "none"],
                          help="how the chroma is brought to full size")
    decoding.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                          help="average the prediction with the mirrored photo's")
    decoding.set_defaults(func=run_set_decoding)


def run_list(args: argparse.Namespace) -> int:
    from colorize_app.io.model_registry import (
        REGISTRY,
        SHIPPED_NAME,
        data_dir,
        installed_models,
        shipped_model_path,
    )

    installed = installed_models()
    print(f"models folder: {data_dir()}")
    rows = []
    for model in installed:
        checksum = "-" if args.no_checksums else model.sha256()
        rows.append((model.name, model.origin, f"{model.size / 1e6:.1f} MB", checksum,
                     str(model.path)))
    names = {model.name for model in installed}
    for name, entry in REGISTRY.items():
        if name not in names:
            rows.append((name, "not installed", f"{entry.size / 1e6:.1f} MB", entry.sha256,
                         f"colorize models download {name}"))
    if not any(model.origin == "shipped" for model in installed):
        rows.append((SHIPPED_NAME, "not shipped yet", "-", "-", str(shipped_model_path())))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    return 0


def run_download(args: argparse.Namespace) -> int:
    from colorize_app.commands.progress_bar import progress_bar
    from colorize_app.io.model_registry import download

    with progress_bar(f"downloading {args.name}") as progress:
        path = download(args.name, progress=progress)
    print(f"{args.name}: {path}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from colorize_app.commands.arguments import settings_as_options
    from colorize_app.io.model_files import model_files
    from colorize_app.io.model_registry import resolve_model
    from colorize_app.io.model_writer import save_model
    from colorize_app.io.safe_files import check_not_input
    from colorize_app.sessions.cnn import ModelChoice, load_model

    source = resolve_model(args.source)
    inputs = model_files(source, args.bins)  # a checkpoint's .index, .data and bins too
    check_not_input(args.output, inputs)
    with settings_as_options():  # a checkpoint without its bins: say --bins
        model = load_model(ModelChoice(str(source), args.bins))
    save_model(args.output, model, inputs=inputs, converted_from=source.name)
    print(f"wrote {args.output} ({model.describe()})")
    return 0


def run_set_decoding(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from algorithms.cnn.decode import Decoding
    from colorize_app.io.model_writer import save_model
    from colorize_app.io.safe_files import check_not_input
    from colorize_app.sessions.cnn import ModelChoice, load_model

    check_not_input(args.output, [args.source])
    model = load_model(ModelChoice(args.source))  # shared weights: changed on a copy below
    metadata = dict(model.metadata)
    decoding = Decoding.from_metadata(metadata)  # the file's own, else the default
    changes = {field: getattr(args, field) for field in
               ("temperature", "spread_scale", "rebalance", "neutral", "gain", "vividness",
                "edges") if getattr(args, field) is not None}
    decoding = replace(decoding, **changes)  # checked again by Decoding itself
    training = metadata.pop("training", None)
    for derived in ("storage", "sha256", "format_version"):
        metadata.pop(derived, None)
    metadata["decoding"] = decoding.to_metadata()
    if args.flip is not None:
        metadata["test_time_flip"] = bool(args.flip)
    model = replace(model, metadata=metadata)
    extra = {} if training is None else {"training": training}
    save_model(args.output, model, inputs=[args.source], **extra)
    flip = bool(metadata.get("test_time_flip", False))
    print(f"wrote {args.output}: decoding {decoding.to_metadata()}, flip averaging "
          f"{'on' if flip else 'off'}")
    return 0
