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


def run_list(args: argparse.Namespace) -> int:
    from colorize_app.model_registry import (
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
    from colorize_app.model_registry import download
    from colorize_app.progress_bar import progress_bar

    with progress_bar(f"downloading {args.name}") as progress:
        path = download(args.name, progress=progress)
    print(f"{args.name}: {path}")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from algorithms.cnn.model_file import load_model, model_files
    from colorize_app.media import check_not_input
    from colorize_app.media_models import save_model
    from colorize_app.model_registry import resolve_model

    source = resolve_model(args.source)
    inputs = model_files(source, args.bins)  # a checkpoint's .index, .data and bins too
    check_not_input(args.output, inputs)
    model = load_model(source, bins_path=args.bins)
    save_model(args.output, model, inputs=inputs, converted_from=source.name)
    print(f"wrote {args.output} ({model.describe()})")
    return 0
