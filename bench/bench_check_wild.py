"""`syncmm check` on real talking heads in the wild: the development protocol of issue 13.

Material: the 17 talking heads of ../shared/data/talking_heads and the 6 GRID clips of ../shared/data/lips.
Cases, each a file written by ffmpeg (video stream copied, GRID re-encoded to H.264; audio AAC):
- every clip with its audio shifted by -400 ... +400 ms in 80 ms steps (content shifted, length kept);
- every clip's picture with two other clips' sound (looped to cover it): must be undecidable;
- three joined files of 60 s and more (several speakers in turn, scaled to 512x512), each with its audio
  shifted by -200, 0 and +120 ms, each also with another joined file's sound and with its own sound rotated
  by 23 s;
- the audio stepping from in place to 120 ms late at 30 s: in the German anchor clip played three times
  (60 s, one speaker) and in the first joined file (several speakers, each clip with its own offset).
Each file is analysed in process (measure_lipsync, as `syncmm check` does; two worker processes).
Usage: python bench/bench_check_wild.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "check_wild"
sys.path.insert(0, str(HERE))
from _lipdata import clips  # noqa: E402

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
BINS = [(0, 5, "< 5 s"), (5, 10, "5-10 s"), (10, 30, "10-30 s"), (30, 1e9, "> 30 s")]


def _dur(p: Path) -> float:
    from syncmm.media import probe

    return float(probe(p).duration_s)


def _vcodec(p: Path) -> list[str]:
    return ["-c:v", "copy"] if p.suffix == ".mp4" else ["-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p"]


def shifted(src: Path, dst: Path, shift_s: float) -> None:
    """``src`` with its audio content ``shift_s`` later (negative: earlier), same duration."""
    d = _dur(src)
    if shift_s >= 0:
        af = f"adelay=delays={shift_s * 1000:.0f}:all=1,atrim=0:{d:.3f}"
    else:
        af = f"atrim=start={-shift_s:.3f},asetpts=PTS-STARTPTS,apad,atrim=0:{d:.3f}"
    cmd = [*FFMPEG, "-i", str(src), "-map", "0:v:0", "-map", "0:a:0", *_vcodec(src), "-af", af]
    subprocess.run([*cmd, "-c:a", "aac", "-b:a", "128k", str(dst)], check=True)


def dubbed(picture: Path, sound: Path, dst: Path) -> None:
    """``picture``'s video with ``sound``'s audio, looped to cover it."""
    d = _dur(picture)
    cmd = [*FFMPEG, "-i", str(picture), "-stream_loop", "-1", "-i", str(sound), "-map", "0:v:0", "-map", "1:a:0"]
    subprocess.run([*cmd, *_vcodec(picture), "-c:a", "aac", "-b:a", "128k", "-t", f"{d:.3f}", str(dst)], check=True)


def joined(parts: list[Path], dst: Path) -> None:
    """The clips one after another at 512x512, 25 fps, audio 48 kHz (concat filter: no drift)."""
    ins, chains, labels = [], [], ""
    for i, p in enumerate(parts):
        ins += ["-i", str(p)]
        chains.append(f"[{i}:v:0]scale=512:512,setsar=1,fps=25,format=yuv420p[v{i}]")
        chains.append(f"[{i}:a:0]aresample=48000:async=1:first_pts=0,aformat=channel_layouts=mono[a{i}]")
        labels += f"[v{i}][a{i}]"
    graph = ";".join(chains) + f";{labels}concat=n={len(parts)}:v=1:a=1[v][a]"
    cmd = [*FFMPEG, *ins, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-crf", "20"]
    subprocess.run([*cmd, "-c:a", "aac", "-b:a", "128k", str(dst)], check=True)


def rotated(src: Path, dst: Path, by_s: float) -> None:
    """``src`` with its own audio rotated by ``by_s`` (its speech at the wrong time)."""
    d = _dur(src)
    af = (f"[0:a:0]asplit[x][y];[x]atrim=start={by_s:.3f},asetpts=PTS-STARTPTS[p];"
          f"[y]atrim=0:{by_s:.3f},asetpts=PTS-STARTPTS[q];[p][q]concat=n=2:v=0:a=1,atrim=0:{d:.3f}[a]")  # fmt: skip
    cmd = [*FFMPEG, "-i", str(src), "-filter_complex", af, "-map", "0:v:0", "-map", "[a]", "-c:v", "copy"]
    subprocess.run([*cmd, "-c:a", "aac", "-b:a", "128k", str(dst)], check=True)


def stepped(src: Path, dst: Path, at_s: float, step_s: float) -> None:
    """``src`` whose audio is in place before ``at_s`` and ``step_s`` late after it."""
    d = _dur(src)
    af = (f"[0:a:0]asplit[x][y];[x]atrim=0:{at_s:.3f},asetpts=PTS-STARTPTS[p];"
          f"[y]atrim=start={at_s:.3f},asetpts=PTS-STARTPTS,adelay=delays={step_s * 1000:.0f}:all=1[q];"
          f"[p][q]concat=n=2:v=0:a=1,atrim=0:{d:.3f}[a]")  # fmt: skip
    cmd = [*FFMPEG, "-i", str(src), "-filter_complex", af, "-map", "0:v:0", "-map", "[a]", "-c:v", "copy"]
    subprocess.run([*cmd, "-c:a", "aac", "-b:a", "128k", str(dst)], check=True)


def analyse(path: str) -> dict:
    """What `syncmm check` finds in one file (also when undecidable), and how long it took."""
    from syncmm.exceptions import SyncmmError
    from syncmm.jobs.check import measure_lipsync

    t = time.perf_counter()
    try:
        est, _ = measure_lipsync(path)
        decided = True
    except SyncmmError as e:
        est, decided = getattr(e, "estimate", None), False
        if est is None:
            return {"path": path, "decided": False, "error": str(e), "wall_s": time.perf_counter() - t}
    return {
        "path": path, "decided": decided, "offset_s": est.offset_s, "confidence": est.confidence,
        "speech_s": est.speech_s, "face_s": est.face_s, "wall_s": time.perf_counter() - t,
        "segments": [(g.start_s, g.end_s, g.offset_s, g.confidence) for g in est.segments], "step_s": est.step_s,
    }  # fmt: skip


def build(quick: bool) -> list[dict]:
    """Write every case file (kept between runs) and describe it."""
    WORK.mkdir(parents=True, exist_ok=True)
    src = clips()
    cases = []
    shifts = [-0.4, 0.0, 0.4] if quick else [round(-0.4 + 0.08 * i, 2) for i in range(11)]
    for p in src:
        for s in shifts:
            f = WORK / f"{p.stem}_shift{s * 1000:+04.0f}.mp4"
            if not f.exists():
                shifted(p, f, s)
            cases.append({"path": str(f), "kind": "shift", "clip": p.stem, "shift": s})
    n = len(src)
    for i, p in enumerate(src):
        for j in (i + 1, i + 7):
            o = src[j % n]
            f = WORK / f"{p.stem}_with_{o.stem}.mp4"
            if not f.exists():
                dubbed(p, o, f)
            cases.append({"path": str(f), "kind": "mismatch", "clip": p.stem})
    heads = [p for p in src if p.suffix == ".mp4"]
    groups = [heads[0:6] + heads[11:13], heads[6:11] + heads[13:17], heads[3:9] + src[-6:]]
    for g, parts in enumerate(groups):
        f = WORK / f"joined{g}.mp4"
        if not f.exists():
            joined(parts, f)
        for s in (-0.2, 0.0, 0.12):
            fs = WORK / f"joined{g}_shift{s * 1000:+04.0f}.mp4"
            if not fs.exists():
                shifted(f, fs, s)
            cases.append({"path": str(fs), "kind": "joined", "clip": f"joined{g}", "shift": s})
        fr = WORK / f"joined{g}_rotated.mp4"
        if not fr.exists():
            rotated(f, fr, 23.0)
        cases.append({"path": str(fr), "kind": "mismatch_joined", "clip": f"joined{g}"})
    for g in range(3):
        fd = WORK / f"joined{g}_with_joined{(g + 1) % 3}.mp4"
        if not fd.exists():
            dubbed(WORK / f"joined{g}.mp4", WORK / f"joined{(g + 1) % 3}.mp4", fd)
        cases.append({"path": str(fd), "kind": "mismatch_joined", "clip": f"joined{g}"})
    german = next(p for p in src if "German" in p.name)
    g3 = WORK / "german3.mp4"
    if not g3.exists():
        joined([german] * 3, g3)
    cases.append({"path": str(g3), "kind": "plain", "clip": "german3"})
    for base, name in ((g3, "german3"), (WORK / "joined0.mp4", "joined0")):
        fst = WORK / f"{name}_step120_at30.mp4"
        if not fst.exists():
            stepped(base, fst, 30.0, 0.12)
        cases.append({"path": str(fst), "kind": "step", "clip": name})
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true", help="(no peers here)")
    args, _ = ap.parse_known_args()
    print("## `syncmm check` on talking heads in the wild (development protocol)\n")
    if not clips():
        print("skipped: ../shared/data is not present")
        return
    if shutil.which("ffmpeg") is None:
        print("skipped: the ffmpeg CLI (Debian package `ffmpeg`, installed by bench/setup_peers.sh) is not on PATH")
        return
    cases = build(args.quick)
    import multiprocessing as mp

    t = time.perf_counter()
    with mp.get_context("spawn").Pool(2) as pool:
        res = pool.map(analyse, [c["path"] for c in cases], chunksize=1)
    wall = time.perf_counter() - t
    for c, r in zip(cases, res, strict=True):
        c.update(r)
    (WORK / "results.json").write_text(json.dumps(cases, indent=1))
    report(cases, wall)


def _frame(c: dict) -> float:
    return 0.04  # every clip here is 25 fps


def report(cases: list[dict], wall: float) -> None:
    base = {c["clip"]: c for c in cases if c["kind"] in ("shift", "joined") and c["shift"] == 0.0}
    print(
        "Audio shifted by -400 ... +400 ms (80 ms steps; the joined files -200, 0, +120 ms); binned by the seconds"
        " of visible speech of the unshifted file. *Relative*: of the decided shifted files, the share within"
        " ±1 frame of (the unshifted file's estimate − shift), decided or not. *Absolute*: of the decided"
        " unshifted files, the share within ±2 frames of 0 (presumed in sync). Mismatched: another clip's sound"
        " under the picture (or the file's own sound rotated by 23 s); a decision there is a false accept.\n"
    )
    print("| visible speech | files | decided | relative ±1 frame | unshifted decided | absolute ±2 frames |"
          " mismatched | false accepts |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    tot = {"n": 0, "dec": 0, "rel": [], "abs": [], "mm": 0, "fa": 0}
    for lo, hi, name in BINS:
        sel = [c for c in cases if c["kind"] in ("shift", "joined") and lo <= base[c["clip"]].get("speech_s", 0) < hi]
        dec = [c for c in sel if c["decided"]]
        rel = [abs(c["offset_s"] - (base[c["clip"]]["offset_s"] - c["shift"])) <= _frame(c) + 1e-9
               for c in dec if c["shift"] != 0.0 and "offset_s" in base[c["clip"]]]  # fmt: skip
        ab = [abs(c["offset_s"]) <= 2 * _frame(c) + 1e-9 for c in dec if c["shift"] == 0.0]
        mm = [c for c in cases if c["kind"].startswith("mismatch") and lo <= c.get("speech_s", 0) < hi]
        fa = [c for c in mm if c["decided"]]
        tot["n"] += len(sel)
        tot["dec"] += len(dec)
        tot["rel"] += rel
        tot["abs"] += ab
        tot["mm"] += len(mm)
        tot["fa"] += len(fa)
        print(f"| {name} | {len(sel)} | {_pct(len(dec), len(sel))} | {_pct(sum(rel), len(rel))} | "
              f"{len(ab)} | {_pct(sum(ab), len(ab))} | {len(mm)} | {_pct(len(fa), len(mm))} |")  # fmt: skip
    rel, ab = tot["rel"], tot["abs"]
    print(f"| **all** | {tot['n']} | {_pct(tot['dec'], tot['n'])} | {_pct(sum(rel), len(rel))} | "
          f"{len(ab)} | {_pct(sum(ab), len(ab))} | {tot['mm']} | {_pct(tot['fa'], tot['mm'])} |")  # fmt: skip
    print("\nUnshifted files (offset in ms, or why undecided):\n")
    print("| file | visible speech s | offset ms | confidence |")
    print("|---|---|---|---|")
    for k, c in sorted(base.items()):
        off = f"{c['offset_s'] * 1e3:+.0f}" if c["decided"] else ("undecided" if "offset_s" in c else c["error"][:60])
        conf = f"{c['confidence']:.3f}" if "confidence" in c else ""
        print(f"| {k} | {c.get('speech_s', 0):.1f} | {off} | {conf} |")
    plain = {c["clip"]: c for c in cases if c["kind"] == "plain"} | base
    print("\nAudio in place for 30 s, then 120 ms late (truth relative to the same file without the step):\n")
    print("| file | without the step ms | step found at s | whole-file offset ms | window offsets ms (- undecided) |")
    print("|---|---|---|---|---|")
    for st in (c for c in cases if c["kind"] == "step"):
        p0 = plain[st["clip"]]
        ref = f"{p0['offset_s'] * 1e3:+.0f}" if p0.get("decided") else "undecided"
        wins = ", ".join("-" if g[2] is None else f"{g[2] * 1e3:+.0f}" for g in st.get("segments", []))
        off = f"{st['offset_s'] * 1e3:+.0f}" if st.get("decided") else "undecided"
        print(f"| {st['clip']} | {ref} | {st.get('step_s') or 'none'} | {off} | {wins} |")
    secs = sum(c.get("face_s", 0) for c in cases)
    busy = sum(c["wall_s"] for c in cases)
    print(
        f"\n{len(cases)} files, {secs / 60:.1f} min of picture with a face, analysed in {wall:.0f} s on 2 worker "
        f"processes ({busy:.0f} s of work: {secs * 25 / busy:.0f} frames/s per process, decode included)."
    )


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "-"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--report":
        report(json.loads((WORK / "results.json").read_text()), float("nan"))
    else:
        main()
