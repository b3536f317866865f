"""Quality metrics on RGB images in [0, 1] (see docs/methods.md, 'Quality metrics')."""

from __future__ import annotations

import numpy as np

from algorithms.errors import BadInputError


def _as_8bit(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0) * 255.0)


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of an RGB result against the true colour photo, both quantised to 8 bits.

    Both images are float in [0, 1] of the same shape; identical images give ``inf``.
    """
    result, truth = np.asarray(result), np.asarray(truth)
    if result.shape != truth.shape:
        raise BadInputError(f"cannot compare images of shapes {result.shape} and {truth.shape}")
    mse = np.mean((_as_8bit(result) - _as_8bit(truth)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness M of an (H, W, 3) RGB image in [0, 1].

    rg = R - G, yb = (R + G) / 2 - B with R, G, B in 0..255;
    M = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2). Gray gives 0.
    """
    rgb = np.asarray(rgb, dtype=np.float64) * 255.0
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise BadInputError(f"colourfulness needs an RGB image, got shape {rgb.shape}")
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = red - green
    yb = 0.5 * (red + green) - blue
    spread = np.sqrt(rg.std() ** 2 + yb.std() ** 2)
    offset = np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    return float(spread + 0.3 * offset)


def raw_auc(ab_pred: np.ndarray, ab_true: np.ndarray, max_threshold: int = 150) -> float:
    """Raw accuracy AuC of Zhang et al. (2016), in [0, 1] (see docs/methods.md, 'Raw accuracy AuC').

    For thresholds t = 0, 1, ..., ``max_threshold``, the fraction of pixels whose ab
    (..., 2) lies within L2 distance t of the truth; the AuC is their mean.
    """
    ab_pred, ab_true = np.asarray(ab_pred, np.float64), np.asarray(ab_true, np.float64)
    if ab_pred.shape != ab_true.shape or ab_pred.shape[-1:] != (2,):
        raise BadInputError(f"raw AuC needs two ab arrays (..., 2) of the same shape, got "
                            f"{ab_pred.shape} and {ab_true.shape}")
    distance = np.sqrt(((ab_pred - ab_true) ** 2).sum(axis=-1)).ravel()
    thresholds = np.arange(max_threshold + 1)
    # Pixels within t: a sorted search counts them for every threshold at once.
    within = np.searchsorted(np.sort(distance), thresholds, side="right")
    return float(np.mean(within / distance.size))


def _squared_norm(vectors: np.ndarray) -> np.ndarray:
    return (vectors.astype(np.float64) ** 2).sum(-1)


def _flow_gradient_energy(flow: np.ndarray) -> np.ndarray:
    """|grad F|^2 per pixel of a flow field (H, W, 2): both components, both directions."""
    energy = np.zeros(flow.shape[:2], np.float64)
    for component in range(2):
        d_row, d_column = np.gradient(flow[..., component].astype(np.float64))
        energy += d_row**2 + d_column**2
    return energy


def temporal_flows(gray_frames) -> list[tuple[np.ndarray, np.ndarray]]:
    """Warps and validity masks between consecutive frames, for :func:`warping_error`.

    Parameters
    ----------
    gray_frames : sequence of ndarray
        The original (gray) frames (H, W) or (H, W, 3) in [0, 1], at least two.

    Returns
    -------
    list of (ndarray, ndarray)
        For each t, the sampling map (H, W, 2) float32 (x + F_fw, in pixels, for
        ``cv2.remap``) that warps frame t+1 onto frame t, and the mask M_t (H, W) bool of
        pixels that pass the forward-backward check and are not on a motion boundary
        (docs/methods.md, 'Warping error') and whose match lies inside the frame. Flows
        are OpenCV's DIS (medium preset) on the 8-bit luminance, in both directions.
    """
    import cv2

    from algorithms.colorspace import luminance

    # OpenCV's type stubs lack the DIS factory and remap's optional second map (None).
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]
    results = []
    previous = None
    for frame in gray_frames:
        current = np.round(np.clip(luminance(np.asarray(frame, np.float32)), 0, 1) * 255)
        current = current.astype(np.uint8)
        if previous is not None:
            if current.shape != previous.shape:
                raise BadInputError(f"frames differ in size: {previous.shape} and "
                                    f"{current.shape}")
            forward = dis.calc(previous, current, None)
            backward = dis.calc(current, previous, None)
            height, width = current.shape
            columns, rows = np.meshgrid(np.arange(width, dtype=np.float32),
                                        np.arange(height, dtype=np.float32))
            sample = np.dstack([columns + forward[..., 0], rows + forward[..., 1]])
            backward_warped = cv2.remap(backward, sample, None, cv2.INTER_LINEAR,  # type: ignore[call-overload]
                                        borderMode=cv2.BORDER_REPLICATE)
            occluded = _squared_norm(forward + backward_warped) > (
                0.01 * (_squared_norm(forward) + _squared_norm(backward_warped)) + 0.5)
            boundary = _flow_gradient_energy(backward_warped) > (
                0.01 * _squared_norm(backward_warped) + 0.002)
            inside = ((sample[..., 0] >= 0) & (sample[..., 0] <= width - 1)
                      & (sample[..., 1] >= 0) & (sample[..., 1] <= height - 1))
            results.append((sample, ~occluded & ~boundary & inside))
        previous = current
    return results


def warping_error(frames, gray_frames=None, flows=None) -> float:
    """Temporal warping error E_warp of a video (Lai et al. 2018; docs/methods.md, 'Warping error').

    Parameters
    ----------
    frames : sequence of ndarray
        The video V to judge, RGB (H, W, 3) in [0, 1] (gray (H, W) is allowed).
    gray_frames : sequence of ndarray, optional
        The original frames the optical flow is computed on (same count and size).
    flows : list, optional
        :func:`temporal_flows` of ``gray_frames``, to judge several videos of one clip
        without computing the flow again. One of ``gray_frames`` and ``flows`` is needed.

    Returns
    -------
    float
        mean over t of sum(M_t ||V_t - warp(V_{t+1})||^2) / sum(M_t), the squared norm
        over channels; 0 for a video of fewer than two frames. Lower is more stable.
    """
    import cv2

    if flows is None:
        if gray_frames is None:
            raise BadInputError("warping error needs the gray frames or their flows")
        if len(gray_frames) != len(frames):
            raise BadInputError(f"warping error needs as many gray frames as frames, got "
                                f"{len(gray_frames)} and {len(frames)}")
        flows = temporal_flows(gray_frames)
    if len(flows) != max(len(frames) - 1, 0):
        raise BadInputError(f"{len(flows)} flows do not fit a video of {len(frames)} frames")
    errors = []
    previous = None
    for index in range(len(frames)):
        current = np.asarray(frames[index], np.float32)
        if previous is not None:
            sample, mask = flows[index - 1]
            if current.shape[:2] != mask.shape:
                raise BadInputError(f"frame {index} is {current.shape[:2]}, the flow "
                                    f"{mask.shape}")
            warped = cv2.remap(current, sample, None, cv2.INTER_LINEAR,  # type: ignore[call-overload]
                               borderMode=cv2.BORDER_REPLICATE)
            difference = (previous.astype(np.float64) - warped).reshape(mask.shape + (-1,))
            valid = mask.sum()
            if valid:
                errors.append(float(((difference**2).sum(-1) * mask).sum() / valid))
        previous = current
    return float(np.mean(errors)) if errors else 0.0


def fidelity_psnr(refined_frames, processed_frames) -> float:
    """Fidelity of a refined video to the per-frame one: mean over frames of :func:`psnr` (dB).

    Both are sequences of RGB frames (H, W, 3) in [0, 1] of equal length and size.
    """
    if len(refined_frames) != len(processed_frames):
        raise BadInputError(f"cannot compare videos of {len(refined_frames)} and "
                            f"{len(processed_frames)} frames")
    return float(np.mean([psnr(refined, processed)
                          for refined, processed in zip(refined_frames, processed_frames)]))
