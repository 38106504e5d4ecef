"""solve_timeline: least squares over the pair graph, contradicted pairs dropped, unlinked files unplaced."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.alignment.timeline import PairOffset, solve_timeline
from syncmm.exceptions import ParameterError


def test_chain_places_a_file_that_never_meets_ref():
    truth = [0.0, 20.1, 35.5, 75.25]
    pairs = [PairOffset(0, 1, 20.1, 0.9), PairOffset(1, 2, 15.4, 0.8), PairOffset(2, 3, 39.75, 0.7)]
    tl = solve_timeline(4, pairs)
    assert np.allclose(tl.starts_s, truth, atol=1e-12)
    assert tl.hops == (0, 1, 2, 3) and all(tl.used)


def test_least_squares_spreads_small_disagreements_by_confidence():
    # the loop 0->1->2 vs 0->2 disagrees by 2 ms: the weighted fit puts each start between the two paths
    pairs = [PairOffset(0, 1, 10.0, 1.0), PairOffset(1, 2, 5.0, 1.0), PairOffset(0, 2, 15.002, 1.0)]
    tl = solve_timeline(3, pairs)
    assert tl.starts_s[2] == pytest.approx(15.0 + 0.002 * 2 / 3, abs=1e-9)
    assert all(tl.used) and max(abs(r) for r in tl.residuals_s) < 0.001


def test_contradicted_pair_dropped_and_unlinked_file_unplaced():
    truth = np.array([0.0, 3.0, 7.5, 12.0])
    pairs = [PairOffset(a, b, truth[b] - truth[a], 0.8) for a, b in [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]]
    pairs.append(PairOffset(0, 3, 40.0, 0.5))  # a false match
    tl = solve_timeline(5, pairs)  # file 4 has no pair
    assert np.allclose(tl.starts_s[:4], truth, atol=1e-9) and tl.starts_s[4] is None
    assert tl.used == (True,) * 5 + (False,) and tl.hops[4] is None
    assert abs(tl.residuals_s[-1]) == pytest.approx(28.0)


def test_bridge_is_kept_even_if_large():
    tl = solve_timeline(2, [PairOffset(0, 1, -123.456, 0.4)], ref=1)
    assert tl.starts_s == (123.456, 0.0)


@pytest.mark.parametrize(
    "n,pairs,ref",
    [(2, [PairOffset(0, 0, 1.0, 1.0)], 0), (2, [PairOffset(0, 2, 1.0, 1.0)], 0), (2, [], 5),
     (2, [PairOffset(0, 1, float("nan"), 1.0)], 0)],
)  # fmt: skip
def test_bad_input(n, pairs, ref):
    with pytest.raises(ParameterError):
        solve_timeline(n, pairs, ref=ref)
