#!/usr/bin/env bash
# Installs the peer tools the offset benchmark compares against, in their own environment (never a
# dependency of syncmm), plus Debian's ffmpeg CLI, which they call, and fluidsynth with the FluidR3 GM
# sound font (bench_warp_vienna.py renders the Vienna performances with ../shared/data/vienna_dev/render.sh).
# Idempotent; exits 0 even when something cannot be installed (the benchmark then says what it skipped).
set -u
cd "$(dirname "$0")"
missing=""
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
command -v fluidsynth >/dev/null 2>&1 || missing="$missing fluidsynth"
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing="$missing fluid-soundfont-gm"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 \
      || echo "setup_peers: could not install$missing; what needs it will be skipped" >&2
  else
    echo "setup_peers: missing$missing and apt-get not usable; what needs it will be skipped" >&2
  fi
fi
if [ ! -x .venv-peers/bin/python ] || [ ! -f .venv-peers/.ok ]; then
  python3 -m venv .venv-peers && .venv-peers/bin/pip install -q --upgrade pip >/dev/null 2>&1 \
    && .venv-peers/bin/pip install -q polysync==0.3.0 audalign==1.3.1 audio-offset-finder==0.5.5 syncstart==1.1.1 \
       >/dev/null 2>&1 && touch .venv-peers/.ok \
    || echo "setup_peers: could not install the peer tools; they will be skipped" >&2
fi
# DTW peers (bench_dtw.py): synctoolbox (MrMsDTW), dtaidistance and librosa in their own environment
if [ ! -x .venv-dtw/bin/python ] || [ ! -f .venv-dtw/.ok ]; then
  python3 -m venv .venv-dtw && .venv-dtw/bin/pip install -q --upgrade pip >/dev/null 2>&1 \
    && .venv-dtw/bin/pip install -q "synctoolbox==1.4.*" "dtaidistance==2.5.*" librosa >/dev/null 2>&1 \
    && touch .venv-dtw/.ok \
    || echo "setup_peers: could not install the DTW peers; they will be skipped" >&2
fi
exit 0
