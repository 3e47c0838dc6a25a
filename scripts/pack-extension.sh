#!/usr/bin/env bash
# Packs the built extension into a zip, ready to unzip and "Load unpacked" (Chrome, Edge,
# Brave) or to upload to the Chrome Web Store.
#
#   scripts/pack-extension.sh [--out DIR] [--no-build]
#
# Writes DIR/opendevbrowser-extension-<version>.zip (default DIR: dist/). It keeps the
# manifest's fixed "key", so a user who loads it gets the id the hub expects,
# mpkgehknfgpdeghekbkgbgcfcihhfejp. The Web Store refuses a manifest with a "key" (it
# assigns its own), so a second zip, ...-store.zip, leaves it out.
# --no-build packs extension/ as it is (scripts/build-extension.sh must have run).
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack-extension: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  EXTENSION_PROFILE=release scripts/build-extension.sh
fi
[ -f extension/pkg/extension_bg.wasm ] || { echo "pack-extension: extension/pkg is missing: run scripts/build-extension.sh" >&2; exit 1; }
mkdir -p "$out"

python3 - "$out" <<'PY'
import base64, hashlib, json, os, sys, zipfile

out = sys.argv[1]
root = "extension"
manifest = json.load(open(os.path.join(root, "manifest.json")))
files = sorted(
    os.path.relpath(os.path.join(d, f), root)
    for d, _, names in os.walk(root) for f in names
    if not f.startswith(".") and f != "README.md"
)

def pack(path, manifest_bytes):
    # Fixed timestamps and order: the same build gives the same bytes.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in files:
            info = zipfile.ZipInfo(name.replace(os.sep, "/"), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = manifest_bytes if name == "manifest.json" else open(os.path.join(root, name), "rb").read()
            z.writestr(info, data)
    return os.path.getsize(path)

# Chrome's id of an extension: the first 32 hex digits of sha256(public key), 0-f -> a-p.
digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
ext_id = "".join(chr(ord("a") + int(c, 16)) for c in digest)

base = os.path.join(out, f"opendevbrowser-extension-{manifest['version']}")
size = pack(base + ".zip", json.dumps(manifest, indent=2).encode() + b"\n")
store = {k: v for k, v in manifest.items() if k != "key"}
store_size = pack(base + "-store.zip", json.dumps(store, indent=2).encode() + b"\n")
print(f"[pack-extension] {base}.zip: {size} bytes, {len(files)} files, extension id {ext_id}")
print(f"[pack-extension] {base}-store.zip: {store_size} bytes (no \"key\": for the Chrome Web Store)")
print(f"[pack-extension] to load it: unzip it into a folder you keep, then chrome://extensions -> "
      f"Developer mode -> Load unpacked -> that folder")
PY
