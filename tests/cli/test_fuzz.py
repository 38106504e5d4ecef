"""A seeded fuzz of every command on damaged media (issue 12): only exit 0 (with a warning), 1, 3 or 4, never an
internal error (70), never a hang, never a changed input.  `make bench` runs the same with 2,000 cases."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.fuzz import ALLOWED, commands, damage, digest, fuzz_seeds, run_case

pytestmark = pytest.mark.slow
CASES = 32  # four damaged copies of each of the eight seed formats


def test_damaged_inputs_never_crash_hang_or_change(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    kinds = fuzz_seeds(seeds)
    names = sorted(kinds)
    clean = {n: digest(seeds / n) for n in names}
    rng = np.random.default_rng(2026)
    bad_runs = []
    for i in range(CASES):
        name = names[i % len(names)]
        data, label = damage((seeds / name).read_bytes(), rng)
        bad = tmp_path / f"bad{i:03d}{(seeds / name).suffix}"
        bad.write_bytes(data)
        before = digest(bad)
        for argv in commands(bad, kinds[name], seeds):
            code, last, _ = run_case(argv, timeout_s=120)
            if code not in ALLOWED:
                bad_runs.append((label, argv[0], name, code, last))
        assert digest(bad) == before, f"{bad} was changed"
    assert {n: digest(seeds / n) for n in names} == clean
    assert not bad_runs, bad_runs
