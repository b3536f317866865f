"""Quality of automatic colorization on photos no setting was tuned to, per photo and in total.

Photo sets (under ../shared/data; each is reported on its own, never pooled, ``wide`` first):

- ``wide``: the 300 photos of wide/val/ (objects, animals, vehicles, food, boats, streets,
  landscapes; CC BY 2.0 Flickr photos from a source no training photo comes from): the set
  every choice is made on;
- ``val``: 323 photos stratified by category from the same pool as train_extra/
  (interiors, house fronts, pets, faces, clothing, Corel scenes);
- ``dev``: 60 hand-picked photos, mostly skin and sky (flattering: never judge on it alone);
- ``heldout``: every 20th photo of each category of train_extra/ in MANIFEST-extra.csv
  order (255 photos), left out of the shipped model's training and of every choice of
  setting: the closest thing here to photos nobody has seen.

Each photo is resized to a long side of ``--size``; its CIELAB lightness is the input.
Every model runs once per photo; each decoding (``--decodings``) re-decodes its logits:

- raw AuC (Zhang et al.): the mean over thresholds 0..150 of the share of pixels whose ab
  lies within the threshold of the truth, beside gray's (ab = 0) on the same photos, and
  the share of photos where the model beats gray;
- PSNR of the 8-bit RGB result against the truth;
- colourfulness ratio: mean colourfulness of the results over that of the truths;
- blotch ratio: the energy of the chroma gradient where the lightness is flat, over the
  truth's (1 = as calm as the truth; blotches and colour bleeding push it up);
- tint on neutral truth: the result's mean CIELAB chroma over the pixels whose true chroma
  is below 6, averaged over the photos where such pixels cover at least 2 % (gray scores 0);
- chroma kept: the result's mean chroma over the true mean chroma, on the pixels whose true
  chroma is above 20, averaged over the photos where such pixels cover at least 2 %;
- decoding time per photo (re-decoding the kept logits, upsampling included).

After each set's table, each model's decodings are listed as points on the curve
"raw AuC - gray" against colourfulness, least colourful first: a default is chosen on that
curve, not by one setting.

The 5 photos where the first decoding of the first model falls furthest below gray are
listed. ``--grid FILE`` writes a picture grid (input / each decoding / truth) of the
photos in resources/samples/.

Usage::

    python benchmarks/bench_model_quality.py [--models shipped other.npz ...]
        [--decodings calibrated paper T0.38 ...] [--sets wide val dev heldout] [--size 512]
        [--limit N] [--csv per_photo.csv] [--grid docs/images/model_samples.jpg]

A decoding is ``calibrated`` (the shipped default: confidence-aware, edge-aware),
``paper`` (annealed mean at T = 0.38, bilinear upsampling: the paper's), or a ``+``-joined
spec: ``T0.5`` temperature, ``mute20`` calibrated with spread scale 20, ``guided`` or
``global`` edge-aware upsampling, ``rb0.5`` decode-time class rebalancing of 0.5,
``neutral2`` the neutral prior's strength, ``gain2`` a chroma gain, ``viv0.35`` the
vividness exponent, e.g. ``T0.5+mute20+global+rb0.5+neutral2+gain2``; ``model`` (or
``default``) is the decoding the model file recommends (for the shipped model, the default).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from colorize_app.runtime.tf_startup import configure_tensorflow  # noqa: E402

configure_tensorflow("cnn")  # as `colorize cnn`: before anything imports TensorFlow

DATA = ROOT.parent / "shared" / "data"
SAMPLES = ROOT / "resources" / "samples"
#: Lightness gradients below this (L units per pixel, after smoothing) count as flat.
FLAT_GRADIENT = 1.0
#: Truth chroma (CIELAB ab units) below which a pixel counts as neutral, above which colourful.
NEUTRAL_CHROMA, COLOURFUL_CHROMA = 6.0, 20.0
#: A photo counts for the tint (or chroma kept) when such pixels cover at least this share.
MIN_SHARE = 0.02
#: The photo sets and their folders under ../shared/data (heldout: see heldout_names).
SET_FOLDERS = {"wide": "wide/val", "val": "val", "dev": "dev", "heldout": "train_extra"}


def heldout_names(manifest: Path = DATA / "MANIFEST-extra.csv", every: int = 20) -> list[str]:
    """Every ``every``-th train_extra photo of each category, in the manifest's order."""
    counts: dict[str, int] = {}
    names = []
    with open(manifest, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] != "train_extra":
                continue
            counts[row["category"]] = counts.get(row["category"], 0) + 1
            if counts[row["category"]] % every == 0:
                names.append(row["file"])
    return names


def set_files(name: str) -> list[Path]:
    from colorize_app.io.media import list_images

    if name == "heldout":
        return [DATA / "train_extra" / f for f in heldout_names()]
    return [Path(p) for p in list_images(DATA / SET_FOLDERS[name])]


def read_truth(path: Path, size: int) -> np.ndarray:
    """The photo as RGB (H, W, 3) float32 in [0, 1], long side at most ``size``."""
    import cv2

    from colorize_app.io.media import read_image

    pixels = read_image(path).pixels
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    scale = size / max(pixels.shape[:2])
    if scale < 1:
        shape = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
        pixels = cv2.resize(pixels, shape, interpolation=cv2.INTER_AREA)
    return np.clip(pixels, 0.0, 1.0).astype(np.float32)


def parse_decoding(spec: str):
    """A decoding name -> :class:`algorithms.cnn.decode.Decoding`."""
    from algorithms.cnn.decode import Decoding

    if spec == "calibrated":
        return Decoding()
    if spec in ("model", "default"):
        return None
    if spec == "paper":
        return Decoding.paper()
    options: dict = {"temperature": 0.38, "spread_scale": None, "edges": "none",
                     "rebalance": 0.0}
    for part in spec.split("+"):
        if part.startswith("T"):
            options["temperature"] = float(part[1:])
        elif part.startswith("mute"):
            options["spread_scale"] = float(part[4:])
        elif part.startswith("rb"):
            options["rebalance"] = float(part[2:])
        elif part.startswith("neutral"):
            options["neutral"] = float(part[7:])
        elif part.startswith("gain"):
            options["gain"] = float(part[4:])
        elif part.startswith("viv"):
            options["vividness"] = float(part[3:])
        elif part in ("guided", "global"):
            options["edges"] = part
        else:
            raise SystemExit(f"unknown decoding part {part!r} in {spec!r}")
    return Decoding(**options)


def blotch_energy(lightness: np.ndarray, ab: np.ndarray) -> float:
    """Mean squared chroma gradient over the pixels where the lightness is flat."""
    import cv2

    smooth_l = cv2.GaussianBlur(lightness.astype(np.float32), (0, 0), 1.5)
    gy, gx = np.gradient(smooth_l)
    flat = np.hypot(gx, gy) < FLAT_GRADIENT
    if not flat.any():
        return 0.0
    smooth_ab = cv2.GaussianBlur(ab.astype(np.float32), (0, 0), 1.5)
    energy = np.zeros(lightness.shape, np.float64)
    for channel in range(2):
        cy, cx = np.gradient(smooth_ab[..., channel])
        energy += cx**2 + cy**2
    return float(energy[flat].mean())


def chroma(ab: np.ndarray) -> np.ndarray:
    """CIELAB chroma sqrt(a^2 + b^2) (H, W) of ab (H, W, 2)."""
    return np.hypot(ab[..., 0], ab[..., 1])


def neutral_tint(result_chroma: np.ndarray, true_chroma: np.ndarray) -> float | None:
    """Mean result chroma where the truth is neutral; None when too few such pixels."""
    neutral = true_chroma < NEUTRAL_CHROMA
    return float(result_chroma[neutral].mean()) if neutral.mean() >= MIN_SHARE else None


def chroma_kept(result_chroma: np.ndarray, true_chroma: np.ndarray) -> float | None:
    """Result chroma over true chroma where the truth is colourful; None when too few."""
    colourful = true_chroma > COLOURFUL_CHROMA
    if colourful.mean() < MIN_SHARE:
        return None
    return float(result_chroma[colourful].mean() / true_chroma[colourful].mean())


def mean_of_known(values: list) -> float:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else float("nan")


def model_label(spec: str) -> str:
    return spec if spec == "shipped" or not os.path.exists(spec) else Path(spec).stem


def load_colorizer(spec: str):
    from algorithms.cnn.colorizer import Colorizer
    from colorize_app.io.model_files import load_model
    from colorize_app.io.model_registry import resolve_model

    model = load_model(resolve_model(None if spec == "shipped" else spec))
    prior = Path(spec).with_name("prior.npz")
    if "bin_prior" not in model.metadata and prior.is_file():
        # Candidate models of a training run: their bin prior lies beside them.
        with np.load(prior) as archive:
            model.metadata["bin_prior"] = archive["distribution"].tolist()
    return Colorizer(model)


def evaluate_set(name: str, truths: list[np.ndarray], files: list[Path], models: list[str],
                 decodings: list[str], per_photo: list[dict]) -> None:
    from algorithms.colorspace import lab_to_rgb_fast, rgb_to_lab
    from algorithms.metrics import colourfulness, psnr, raw_auc

    labs = [rgb_to_lab(truth) for truth in truths]
    true_chromas = [chroma(lab[..., 1:]) for lab in labs]
    neutral_photos = sum(neutral_tint(c, c) is not None for c in true_chromas)
    colourful_photos = sum(chroma_kept(c, c) is not None for c in true_chromas)
    true_colour = float(np.mean([colourfulness(truth) for truth in truths]))
    true_blotch = [blotch_energy(lab[..., 0], lab[..., 1:]) for lab in labs]
    gray_auc = np.array([raw_auc(0 * lab[..., 1:], lab[..., 1:]) for lab in labs])
    gray_psnr = np.mean([psnr(lab_to_rgb_fast(np.dstack([lab[..., :1], 0 * lab[..., 1:]])), t)
                         for lab, t in zip(labs, truths)])
    print(f"\n{name}: {len(truths)} photos; gray raw AuC {gray_auc.mean():.4f}, "
          f"PSNR {gray_psnr:.2f} dB; tint over {neutral_photos} photos with neutral truth, "
          f"chroma kept over {colourful_photos} with colourful truth")
    print(f"{'model':<22} {'decoding':<22} {'raw AuC':>8} {'- gray':>7} {'above':>6} "
          f"{'PSNR':>6} {'colour':>7} {'blotch':>7} {'tint':>6} {'kept':>6} {'decode s':>9}")
    worst = None
    curves: list[str] = []
    for spec in models:
        scores: dict[str, dict[str, list]] = {
            d: {"auc": [], "psnr": [], "colour": [], "blotch": [], "time": [], "tint": [],
                "kept": []} for d in decodings}
        with load_colorizer(spec) as colorizer:
            for index, (lab, truth) in enumerate(zip(labs, truths)):
                colorizer.colorize(truth)
                prediction = colorizer.last_prediction
                for decoding_name in decodings:
                    decoding = parse_decoding(decoding_name)
                    start = time.perf_counter()
                    ab = prediction.ab_at(decoding=decoding)
                    elapsed = time.perf_counter() - start
                    result = lab_to_rgb_fast(np.dstack([lab[..., :1], ab]))
                    result_chroma = chroma(rgb_to_lab(result)[..., 1:])
                    score = scores[decoding_name]
                    score["tint"].append(neutral_tint(result_chroma, true_chromas[index]))
                    score["kept"].append(chroma_kept(result_chroma, true_chromas[index]))
                    score["auc"].append(raw_auc(ab, lab[..., 1:]))
                    score["psnr"].append(psnr(result, truth))
                    score["colour"].append(colourfulness(result))
                    score["blotch"].append(blotch_energy(lab[..., 0], ab))
                    score["time"].append(elapsed)
                    per_photo.append({"set": name, "photo": files[index].name,
                                      "model": model_label(spec), "decoding": decoding_name,
                                      "raw_auc": round(score["auc"][-1], 4),
                                      "gray_auc": round(float(gray_auc[index]), 4),
                                      "psnr": round(score["psnr"][-1], 2),
                                      "colourfulness": round(score["colour"][-1], 2),
                                      "tint": score["tint"][-1], "kept": score["kept"][-1]})
        points = []
        for decoding_name in decodings:
            score = scores[decoding_name]
            auc = np.array(score["auc"])
            blotch = np.sum(score["blotch"]) / max(np.sum(true_blotch), 1e-9)
            colour = np.mean(score["colour"]) / true_colour
            print(f"{model_label(spec):<22} {decoding_name:<22} {auc.mean():8.4f} "
                  f"{auc.mean() - gray_auc.mean():+7.4f} {np.mean(auc > gray_auc):6.0%} "
                  f"{np.mean(score['psnr']):6.2f} {colour:7.2f} "
                  f"{blotch:7.2f} {mean_of_known(score['tint']):6.1f} "
                  f"{mean_of_known(score['kept']):6.2f} {np.median(score['time']):9.3f}",
                  flush=True)
            points.append((colour, auc.mean() - gray_auc.mean(), decoding_name))
            if worst is None:
                worst = auc - gray_auc
        curves.append(f"curve {model_label(spec)} (colourfulness: AuC - gray): " + ", ".join(
            f"{colour:.2f}: {gain:+.4f} {name}" for colour, gain, name in sorted(points)))
    print("\n".join(curves))
    assert worst is not None  # set by the first model's first decoding
    order = np.argsort(worst)[:5]
    print(f"worst 5 ({model_label(models[0])}, {decodings[0]}): " + ", ".join(
        f"{files[i].name} {worst[i]:+.3f}" for i in order))


def letterbox(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` scaled to fit (height, width), centred on white."""
    import cv2

    scale = min(height / image.shape[0], width / image.shape[1])
    shape = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    scaled = cv2.resize(image, shape, interpolation=cv2.INTER_AREA)
    tile = np.ones((height, width, 3), np.float32)
    top, left = (height - shape[1]) // 2, (width - shape[0]) // 2
    tile[top:top + shape[1], left:left + shape[0]] = scaled
    return tile


def picture_grid(model: str, decodings: list[str], output: str, size: int,
                 folder: Path = SAMPLES) -> None:
    """Rows: the photos of ``folder``; columns: gray input, each decoding, truth."""
    import cv2

    from algorithms.colorspace import lab_to_rgb_fast, luminance, rgb_to_lab
    from colorize_app.io.media import list_images, write_image

    truths = [read_truth(Path(p), size) for p in list_images(folder)]
    columns = [[np.repeat(luminance(truth)[..., None], 3, axis=2) for truth in truths]]
    columns += [[] for _ in decodings]
    with load_colorizer(model) as colorizer:
        for truth in truths:
            colorizer.colorize(truth)
            lightness = rgb_to_lab(truth)[..., :1]
            for column, name in zip(columns[1:], decodings):
                ab = colorizer.last_prediction.ab_at(decoding=parse_decoding(name))
                column.append(lab_to_rgb_fast(np.dstack([lightness, ab])))
    columns.append(truths)
    labels = ["input"] + decodings + ["truth"]
    tile_h, tile_w = size * 2 // 3, size
    rows = [np.hstack([letterbox(column[i], tile_h, tile_w) for column in columns])
            for i in range(len(truths))]
    header = np.ones((28, tile_w * len(columns), 3), np.float32)
    for position, label in enumerate(labels):
        cv2.putText(header, label, (position * tile_w + 6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (0, 0, 0), 1, cv2.LINE_AA)
    write_image(output, np.vstack([header] + rows), quality=88)
    print(f"picture grid ({len(truths)} photos of {folder}) -> {output}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["shipped"],
                        help="model names or files ('shipped': the default model)")
    parser.add_argument("--decodings", nargs="+", default=["calibrated", "paper"])
    parser.add_argument("--sets", nargs="*", default=list(SET_FOLDERS),
                        choices=list(SET_FOLDERS),
                        help="photo sets, reported in this order (none: grid only)")
    parser.add_argument("--size", type=int, default=512, help="long side of the photos")
    parser.add_argument("--limit", type=int, default=0,
                        help="at most N photos a set, spread evenly over it (0: all)")
    parser.add_argument("--csv", metavar="FILE", help="write the per-photo figures")
    parser.add_argument("--grid", metavar="FILE", help="write a picture grid of the samples")
    parser.add_argument("--grid-folder", default=str(SAMPLES), help="photos of the grid")
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    per_photo: list[dict] = []
    if not DATA.is_dir():
        print(f"{DATA} is missing: no tables (only --grid works)")
    else:
        for name in args.sets:
            files = set_files(name)
            if args.limit:
                files = files[:: max(1, len(files) // args.limit)][: args.limit]
            truths = [read_truth(f, args.size) for f in files]
            evaluate_set(name, truths, files, args.models, args.decodings, per_photo)
    if args.csv and per_photo:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, list(per_photo[0]))
            writer.writeheader()
            writer.writerows(per_photo)
    if args.grid:
        picture_grid(args.models[0], args.decodings, args.grid, args.size // 2 * 2,
                     Path(args.grid_folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
