"""Mouths in a picture: faces tracked with the 468-point mesh (:mod:`syncmm.features.face`), lip contours with
head pose, scale and position removed, and the mouth region's appearance.

The detector runs on the first frame, whenever no face is tracked, and every ``redetect_s`` seconds (new
faces start tracks; a tracked face that no detection confirms twice in a row is dropped, so that the mesh
cannot drift onto the background).  Otherwise the mesh region comes from the previous frame's landmarks.
Frames without a face are gaps (NaN), not zeros.  Nothing here reads files other than the models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .face import _cv2, detect_faces, face_landmarks, iou

#: Outer and inner lip contours of the face mesh (20 points each, clockwise from the left corner).
OUTER_LIP = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
#: Points that do not move with speech (eye corners, nose bridge and tip, forehead, temples): the head's pose.
STABLE = (33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9, 8, 234, 454, 127, 356)
LIPS = OUTER_LIP + INNER_LIP
_UPPER, _LOWER = 40 - 5, 20 + 5  # inner 13 and 14 in LIPS order
_LEFT, _RIGHT = 20, 30  # inner corners 78 and 308
PATCH = (8, 16)  # mouth appearance: rows, columns
#: The columns of :func:`mouth_features` (defaults).
MOUTH_COLUMNS = ("shape1", "shape2", "shape3", "shape4", "shape5", "opening", "width", "area",
                 "look1", "look2", "look3", "look_change")  # fmt: skip
OPENING = MOUTH_COLUMNS.index("opening")


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """One face over the whole video (NaN / False where it is not seen).

    Attributes
    ----------
    times : np.ndarray
        (n,) every frame's time in seconds.
    present : np.ndarray
        (n,) bool: the face was found in that frame.
    lips : np.ndarray
        (n, 40, 3) float32: outer then inner lip contour in the face's own frame (a 3-D similarity fit of the
        stable points to the track's first frame removes head pose, scale and position; unit = the RMS
        spread of the stable points).
    mouth : np.ndarray
        (n, 8, 16) float32: the mouth region in grey, normalised to zero mean and unit spread.
    boxes : np.ndarray
        (n, 4) face box ``(cx, cy, w, h)`` in pixels of the analysed frames.
    """

    times: np.ndarray
    present: np.ndarray
    lips: np.ndarray
    mouth: np.ndarray
    boxes: np.ndarray

    @property
    def opening(self) -> np.ndarray:
        """Inner-lip distance (landmarks 13 to 14) per frame."""
        return np.linalg.norm(self.lips[:, _UPPER, :2] - self.lips[:, _LOWER, :2], axis=1)

    @property
    def seconds(self) -> float:
        """Time with the face present."""
        dt = np.diff(self.times, append=self.times[-1] + (np.median(np.diff(self.times)) if len(self.times) > 1 else 0))
        return float(dt[self.present].sum())

    def box(self) -> tuple[float, float, float, float]:
        """The median face box ``(cx, cy, w, h)`` while present."""
        return tuple(float(v) for v in np.nanmedian(self.boxes[self.present], axis=0))  # type: ignore[return-value]


def _similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Scale, rotation, and the two centroids of the least-squares similarity ``src -> dst`` (Umeyama)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    u, sv, vt = np.linalg.svd(b.T @ a)
    d = np.ones(len(sv))
    d[-1] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag(d) @ vt
    scale = float((sv * d).sum() / max((a**2).sum(), 1e-12))
    return scale, rot, ms, md


class _Track:
    def __init__(self, first: int, box: np.ndarray):
        self.first, self.box, self.misses = first, box, 0
        self.ref: np.ndarray | None = None
        self.rows: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def add(self, i: int, pts: np.ndarray, grey: np.ndarray) -> None:
        cv2 = _cv2()
        st = pts[list(STABLE)]
        if self.ref is None:
            c = st - st.mean(0)
            self.ref = c / np.sqrt((c**2).sum(1).mean())
        s, rot, ms, md = _similarity(st, self.ref)
        lips = (s * (pts[list(LIPS)] - ms) @ rot.T + md).astype(np.float32)
        # the mouth region, upright and normalised in size (mouth corners level, eye distance as the scale)
        left, right = pts[61, :2], pts[291, :2]
        c = (left + right) / 2
        ang = np.arctan2(right[1] - left[1], right[0] - left[0])
        eye = float(np.linalg.norm(pts[33, :2] - pts[263, :2])) or 1.0
        k = PATCH[1] / (1.2 * eye)
        ca, sa = np.cos(ang) * k, np.sin(ang) * k
        M = np.array([[ca, sa, PATCH[1] / 2 - ca * c[0] - sa * c[1]],
                      [-sa, ca, PATCH[0] / 2 + sa * c[0] - ca * c[1]]], np.float32)  # fmt: skip
        patch = cv2.warpAffine(grey, M, (PATCH[1], PATCH[0]), flags=cv2.INTER_AREA).astype(np.float32)
        patch = (patch - patch.mean()) / (patch.std() + 1.0)
        lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
        self.box = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[0] - lo[0], hi[1] - lo[1]])
        self.rows[i] = (lips, patch, self.box)

    def finish(self, times: np.ndarray) -> FaceTrack:
        n = len(times)
        present = np.zeros(n, bool)
        lips = np.full((n, len(LIPS), 3), np.nan, np.float32)
        mouth = np.full((n, *PATCH), np.nan, np.float32)
        boxes = np.full((n, 4), np.nan)
        for i, (lp, pa, bx) in self.rows.items():
            present[i], lips[i], mouth[i], boxes[i] = True, lp, pa, bx
        return FaceTrack(times, present, lips, mouth, boxes)


def track_faces(
    frames: Iterable[tuple[float, np.ndarray]],
    *,
    max_faces: int = 3,
    redetect_s: float = 1.0,
    min_presence: float = 0.5,
) -> list[FaceTrack]:
    """Detect and track up to ``max_faces`` faces over ``(time_s, rgb uint8 (h, w, 3))`` frames.

    Returns the tracks with at least one frame, longest first.  A face lost and found again at about the same
    place continues its track.
    """
    cv2 = _cv2()
    times: list[float] = []
    active: list[_Track] = []
    ended: list[_Track] = []
    last_det = -np.inf
    for i, (t, rgb) in enumerate(frames):
        times.append(t)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        for tr in list(active):
            pts, pres = face_landmarks(rgb, tr.box)
            if pres < min_presence:
                active.remove(tr)
                ended.append(tr)
            else:
                tr.add(i, pts, grey)
        if active and t - last_det < redetect_s:
            continue
        last_det = t
        found = detect_faces(rgb, max_faces)
        matched = set()
        for box, _ in found:
            hit = [tr for tr in active if iou(box, tr.box) > 0.3]
            if hit:
                matched.update(id(h) for h in hit)
                continue
            if len(active) >= max_faces:
                continue
            pts, pres = face_landmarks(rgb, box)
            if pres < min_presence:
                continue
            tr = _Track(i, box)
            tr.add(i, pts, grey)
            active.append(tr)
            matched.add(id(tr))
        for tr in list(active):  # a face no detection confirms twice in a row has drifted: drop it
            if found and id(tr) not in matched:
                tr.misses += 1
                if tr.misses >= 2:
                    active.remove(tr)
                    ended.append(tr)
            else:
                tr.misses = 0
    tracks = _merge([tr for tr in ended + active if tr.rows])
    t_arr = np.asarray(times, np.float64)
    out = [tr.finish(t_arr) for tr in tracks]
    return sorted(out, key=lambda f: -int(f.present.sum()))


def _merge(tracks: list[_Track]) -> list[_Track]:
    """Join a track that starts after another ended at about the same place (a face lost for a while)."""
    tracks = sorted(tracks, key=lambda tr: min(tr.rows))
    out: list[_Track] = []
    for tr in tracks:
        first_box = tr.rows[min(tr.rows)][2]
        for prev in out:
            if max(prev.rows) < min(tr.rows) and iou(prev.rows[max(prev.rows)][2], first_box) > 0.3:
                # re-express the lips in the earlier track's frame through the two stable-point references
                sc, rot, ms, md = _similarity(tr.ref, prev.ref)  # type: ignore[arg-type]
                for i, (lp, pa, bx) in tr.rows.items():
                    prev.rows[i] = ((sc * (lp - ms) @ rot.T + md).astype(np.float32), pa, bx)
                break
        else:
            out.append(tr)
    return out


def mouth_features(track: FaceTrack, n_shape: int = 5, n_look: int = 3) -> np.ndarray:
    """Per-frame mouth features of one track, NaN rows where the face is absent.

    Columns: the first ``n_shape`` principal components of the lip contours (x, y), inner opening, inner
    width, outer area, the first ``n_look`` principal components of the mouth appearance and the appearance's
    frame-to-frame change.  Components are fitted on this track's own frames (unsupervised).
    """
    p = track.present
    n = len(p)
    out = np.full((n, n_shape + 3 + n_look + 1), np.nan)
    if p.sum() < 3:
        return out
    lips = track.lips[p].astype(np.float64)
    xy = lips[:, :, :2].reshape(len(lips), -1)
    out[p, :n_shape] = _pca(xy, n_shape)
    out[p, n_shape] = np.linalg.norm(lips[:, _UPPER, :2] - lips[:, _LOWER, :2], axis=1)
    out[p, n_shape + 1] = np.linalg.norm(lips[:, _LEFT, :2] - lips[:, _RIGHT, :2], axis=1)
    ox, oy = lips[:, :20, 0], lips[:, :20, 1]
    out[p, n_shape + 2] = 0.5 * np.abs((ox * np.roll(oy, -1, 1) - np.roll(ox, -1, 1) * oy).sum(1))
    look = track.mouth[p].reshape(int(p.sum()), -1).astype(np.float64)
    out[p, n_shape + 3 : n_shape + 3 + n_look] = _pca(look, n_look)
    d = np.full(int(p.sum()), np.nan)
    idx = np.flatnonzero(p)
    consecutive = np.diff(idx) == 1
    d[1:][consecutive] = np.abs(np.diff(look, axis=0)).mean(1)[consecutive]
    out[p, -1] = d
    return out


def _pca(x: np.ndarray, k: int) -> np.ndarray:
    """Scores on the first ``k`` principal components (zero-padded when there are fewer)."""
    c = x - x.mean(0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    s = c @ vt[:k].T
    if s.shape[1] < k:
        s = np.hstack([s, np.zeros((len(s), k - s.shape[1]))])
    return s
