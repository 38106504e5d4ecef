"""Run audalign's correlation recognizer on REF OTHER; print offset_s (t_REF - t_OTHER) as JSON.

Runs inside bench/.venv-peers (never imported by syncmm)."""

import json
import sys

import audalign

ref, other = sys.argv[1], sys.argv[2]
res = audalign.align_files(ref, other, destination_path=None, recognizer=audalign.CorrelationRecognizer())
names = res["names_and_paths"]
pos = {path: res[name] for name, path in names.items()}
print(json.dumps({"offset_s": pos[other] - pos[ref]}))
