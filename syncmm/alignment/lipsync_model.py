"""The lip-sync model's constants, its calibration against mismatched sound and its decision rule.

Shared by the whole-file estimate (:mod:`.lipsync`) and the per-window one (:mod:`.lipsync_windows`).
Every number here was fitted on the 23 development clips (17 talking heads in the wild, 6 GRID), never on one
clip: ``bench/calibrate_lipsync.py`` prints ``NULL``, ``NULL_AGREE`` and ``DEFAULT_BIAS_S`` (README, "check").
"""

from __future__ import annotations

import math

import numpy as np

from .peaks import parabolic

RATE = 100.0  # analysis grid, frames/s
BAND = (1.0, 8.0)  # syllable rate, Hz
RIDGE = 4.0  # ridge added to the (unit-variance) covariances; chosen by leave-one-clip-out (README)
N_FOLDS, FOLD_S = 4, 1.0
MIN_CONFIDENCE = 0.97  # below: undecidable (exit 4); about 2 % of mismatched sound passes it (README)
AGREE_S = 0.04  # the two statistics agree when their peaks are this close
#: Fitted by ``bench/calibrate_lipsync.py`` on the 23 development clips (17 talking heads, 6 GRID): each clip's
#: picture with every other clip's sound and with its own sound rotated by half its length (529 pairs).
#: and 40 long pairs (8 talking heads in turn under 8 others' sound, 55-75 s).  NULL: the peak strength z of
#: each group as a normal law matched to its 95th and 99th percentiles: (median face seconds, mean, sd) of the
#: short and of the long group; in between, mean and sd are interpolated in ln(face seconds), outside clamped;
#: NULL_AGREE: the share of those pairs, among the strongest quarter, whose two statistics agree anyway.
NULL = {
    "cca": ((6.3, 0.9116, 0.1795), (65.9, 1.3502, 0.1284)),
    "opening": ((6.3, 0.7442, 0.1634), (65.9, 0.7553, 0.199)),
}
NULL_AGREE = {"cca": 0.175, "opening": 0.273}
#: Raw peak on footage presumed in sync: the median over the development clips (mouth movement leads the
#: sound); removed from every estimate.  Leaving any one clip out moves it by at most 7 ms.
DEFAULT_BIAS_S = {"cca": -0.041, "opening": -0.043}
#: A window decides at this confidence (stricter than the file's: a long file has many windows; at 0.97 one
#: of the ~70 windows of the joined development files decided a wrong offset (+687 ms at 0.979), none at 0.99).
WINDOW_CONFIDENCE = 0.99
METHODS = ("cca", "opening")


def confidence_words(confidence: float) -> str:
    """The confidence in words (it is the share of unrelated sound that would give a weaker peak)."""
    if confidence >= 0.999:
        return "certain: fewer than 1 in 1000 mismatched sounds give a peak this strong"
    if confidence >= 0.99:
        return "very likely: fewer than 1 in 100 mismatched sounds give a peak this strong"
    if confidence >= MIN_CONFIDENCE:
        return "likely: fewer than 3 in 100 mismatched sounds give a peak this strong"
    if confidence < 0.5:
        return "undecidable: the mouth shape and the mouth opening point to different offsets"
    return "undecidable: mismatched sound often gives a peak this strong"


def calibrated(z: float, agree: bool, method: str = "cca", face_s: float = 10.0) -> float:
    """The confidence of a peak of strength ``z``.

    When the two statistics agree: 1 - P(mismatched sound gives a peak at least this strong and agreeing),
    so that a threshold c accepts a share 1 - c of mismatched sound.  When they disagree the peak is not
    trusted whatever its strength: half the probability that mismatched sound gives a weaker peak (< 0.5).
    """
    (t1, m1, s1), (t2, m2, s2) = NULL[method]
    x = min(max(math.log(max(face_s, 1e-3) / t1) / math.log(t2 / t1), 0.0), 1.0)
    mu, sd = m1 + x * (m2 - m1), s1 + x * (s2 - s1)
    p = 0.5 * math.erfc((z - mu) / (sd * math.sqrt(2.0)))
    return 1.0 - NULL_AGREE[method] * p if agree else 0.5 * (1.0 - p)


def peak(curve: np.ndarray, K: int) -> tuple[int, float]:
    """The highest point of a curve over lags -K..K: its index and the lag in seconds (parabolic sub-frame)."""
    k = int(np.argmax(curve))
    return k, (parabolic(curve, k) - K) / RATE  # audio event at t + lag: audio late by lag


def decide(curve: np.ndarray, partner: np.ndarray, face_s: float, K: int, method: str):
    """Peak index, lag (s), strength, agreement of the two statistics, confidence."""
    k, lag = peak(curve, K)
    _, lag2 = peak(partner, K)
    z = float(curve[k]) * math.sqrt(max(face_s, 0.0))
    agree = abs(lag - lag2) <= AGREE_S
    return k, lag, z, agree, calibrated(z, agree, method, face_s)
