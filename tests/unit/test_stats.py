"""syncmm.dsp.stats.median is np.median to the bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from syncmm.dsp.stats import median


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_median_equals_numpys_to_the_bit(dtype):
    rng = np.random.default_rng(0)
    for n in [*range(1, 40), 101, 1000, 1001]:
        for ties in (False, True):
            x = rng.normal(size=n) * 1000
            if ties:
                x = np.round(x / 300)
            x = x.astype(dtype)
            want = float(np.median(x))
            assert np.float64(median(x)).tobytes() == np.float64(want).tobytes(), (n, ties)
            assert median(x.reshape(1, -1)) == want


def test_median_of_nan_and_empty_is_nan():
    assert np.isnan(median(np.array([1.0, np.nan, 2.0])))
    assert np.isnan(median(np.array([np.nan, 1.0, 2.0, 3.0], np.float32)))
    assert np.isnan(median(np.array([])))


def test_align_does_not_import_numpy_ma(tmp_path):
    """A whole align (drift on) in a fresh process: no np.median left on its path."""
    code = f"""
import sys, numpy as np
from syncmm import align
from syncmm.media.write import write_audio
from syncmm.synth import speech_like
x = speech_like(80.0, 16000, np.random.default_rng(1))
write_audio("{tmp_path}/a.wav", x, 16000)
write_audio("{tmp_path}/b.wav", x[16000 * 5 :], 16000)
r = align("{tmp_path}/a.wav", "{tmp_path}/b.wav", parallel=False)
assert abs(r.estimate.offset_s - 5.0) < 1e-4 and r.drift is not None
print("numpy.ma" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
