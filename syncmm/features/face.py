"""Faces in a picture: MediaPipe's face detector and 468-point face mesh, run by LiteRT when
``ai-edge-litert`` is installed (the ``litert`` extra) and by OpenCV DNN otherwise.

The two vendored models (``syncmm/models/``, Apache-2.0) run on NumPy images; nothing here reads files other
than the models.  Tracking and mouth features are in :mod:`syncmm.features.lips`.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from ..exceptions import ParameterError

MODELS = Path(__file__).resolve().parent.parent / "models"
DETECTOR = MODELS / "face_detection_short_range.tflite"
LANDMARKS = MODELS / "face_landmark.tflite"
MIN_SCORE = 0.5


def _cv2():
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - a dependency
        raise ParameterError("face features need OpenCV (pip install opencv-python-headless)") from e
    return cv2


def backend() -> str:
    """``"litert"`` when ai-edge-litert is installed (the ``litert`` extra), else ``"opencv"``; the environment
    variable ``SYNCMM_FACE_BACKEND`` forces one."""
    forced = os.environ.get("SYNCMM_FACE_BACKEND")
    if forced in ("opencv", "litert"):
        return forced
    return "litert" if _litert_installed() else "opencv"


@functools.lru_cache(maxsize=1)
def _litert_installed() -> bool:
    """Once per process: a failed import searches the whole path each time (asked per frame, ~0.35 ms each:
    0.5 s of a 60-s clip's 1500 frames)."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=2)
def _nets(kind: str):
    """Two callables on NHWC float32 batches of one: detector -> (scores (896,), boxes (896, 16)),
    landmarks -> (presence logit, points (1404,))."""
    if kind == "litert":
        from ai_edge_litert.interpreter import Interpreter

        def runner(path, outs):
            it = Interpreter(model_path=str(path), num_threads=1)
            it.allocate_tensors()
            inp = it.get_input_details()[0]["index"]
            idx = {d["name"]: d["index"] for d in it.get_output_details()}

            def run(x):
                it.set_tensor(inp, x)
                it.invoke()
                return [it.get_tensor(idx[o]).copy() for o in outs]

            return run

        det = runner(DETECTOR, ["classificators", "regressors"])
        lm = runner(LANDMARKS, ["conv2d_31", "conv2d_21"])
    else:
        cv2 = _cv2()
        kw = {"engine": cv2.dnn.ENGINE_CLASSIC} if hasattr(cv2.dnn, "ENGINE_CLASSIC") else {}
        nd, nl = cv2.dnn.readNetFromTFLite(str(DETECTOR), **kw), cv2.dnn.readNetFromTFLite(str(LANDMARKS), **kw)

        def make(net, outs):
            def run(x):
                net.setInput(x.transpose(0, 3, 1, 2))  # OpenCV DNN takes NCHW
                return net.forward(outs)

            return run

        det, lm = make(nd, ["classificators", "regressors"]), make(nl, ["conv2d_31", "conv2d_21"])

    def detector(x):
        scores, boxes = det(x)
        return scores.reshape(-1), boxes.reshape(-1, 16)

    def landmarks(x):
        presence, pts = lm(x)
        return float(np.ravel(presence)[0]), np.ravel(pts)

    return detector, landmarks


@functools.lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    """SSD anchor centres of the short-range detector (128x128 input): 16x16x2 at stride 8, 8x8x6 at 16."""
    out = []
    for stride, per in ((8, 2), (16, 6)):
        g = 128 // stride
        for y in range(g):
            for x in range(g):
                out += [((x + 0.5) / g, (y + 0.5) / g)] * per
    return np.array(out)


def detect_faces(rgb: np.ndarray, max_faces: int = 3, min_score: float = MIN_SCORE) -> list[tuple[np.ndarray, float]]:
    """Faces in an RGB image, most confident first: box ``(cx, cy, w, h)`` in pixels and score each.

    Overlapping candidates (IoU > 0.3) are merged into the most confident one (non-maximum suppression).
    """
    cv2 = _cv2()
    h, w = rgb.shape[:2]
    side = max(h, w)
    pad = np.zeros((side, side, 3), np.uint8)
    oy, ox = (side - h) // 2, (side - w) // 2
    pad[oy : oy + h, ox : ox + w] = rgb
    x = cv2.resize(pad, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1.0
    det, _ = _nets(backend())
    scores, boxes = det(x[None])
    s = 1.0 / (1.0 + np.exp(-np.clip(scores.astype(np.float64), -80, 80)))
    out: list[tuple[np.ndarray, float]] = []
    for k in np.argsort(-s):
        if s[k] < min_score or len(out) >= max_faces:
            break
        a, r = _anchors()[k], boxes[k]
        cx, cy = (r[0] / 128 + a[0]) * side - ox, (r[1] / 128 + a[1]) * side - oy
        box = np.array([cx, cy, r[2] / 128 * side, r[3] / 128 * side])
        if all(iou(box, b) <= 0.3 for b, _ in out):
            out.append((box, float(s[k])))
    return out


def detect_face(rgb: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The most confident face in an RGB image: its box ``(cx, cy, w, h)`` in pixels and its score, or None."""
    found = detect_faces(rgb, 1)
    return found[0] if found else None


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``(cx, cy, w, h)`` boxes."""
    ix = max(0.0, min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2))
    iy = max(0.0, min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2))
    inter = ix * iy
    return float(inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9))


def face_landmarks(rgb: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, float]:
    """468 landmarks (x, y, z in pixels) in the square region around ``box`` (cx, cy, w, h) scaled by 1.5,
    and the model's face-presence score."""
    cv2 = _cv2()
    cx, cy, bw, bh = box
    side = 1.5 * max(bw, bh)
    s = 192.0 / side
    M = np.array([[s, 0, 96 - s * cx], [0, s, 96 - s * cy]], np.float32)
    crop = cv2.warpAffine(rgb, M, (192, 192), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    _, lm = _nets(backend())
    presence, pts = lm((crop.astype(np.float32) / 255.0)[None])
    p = pts.reshape(468, 3).astype(np.float64)
    p[:, 0] = (p[:, 0] - M[0, 2]) / s
    p[:, 1] = (p[:, 1] - M[1, 2]) / s
    p[:, 2] /= s
    return p, float(1.0 / (1.0 + np.exp(-np.clip(presence, -80, 80))))
