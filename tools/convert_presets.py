"""Converts every shipped and staged preset folder of the former layout (config.json of constructor arguments,
weights.npz) into keras-hub's (issue 28): `eelbert_tf.models.preset_writer.to_keras_hub_preset`, the same weight
values bit for bit (each record's `shipped.weights_values_sha256`, checked by tests/models/test_pretrained_presets.py).

GLUE results are keyed by the fingerprint of the backbone they fine-tuned (its weights file and config); the
weights are the same, so each result's key is carried over from the former file's fingerprint to the new one.

    python tools/convert_presets.py
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _former_fingerprint(folder):
    from eelbert_tf.io_utils import file_sha256
    from eelbert_tf.models.pretrained import _constructor_args

    digest = hashlib.sha256(file_sha256(folder / "weights.npz").encode())
    digest.update(json.dumps(_constructor_args(json.loads((folder / "config.json").read_text())), sort_keys=True).encode())
    return digest.hexdigest()


def main():
    from eelbert_tf.models.preset_writer import to_keras_hub_preset
    from eelbert_tf.models.pretrained import preset_fingerprint

    folders = [p for p in sorted((REPO / "eelbert_tf" / "presets").iterdir()) + sorted(
        (REPO / "bench" / "results").glob("presets_*/*")) if (p / "weights.npz").is_file()]
    keys = {}
    for folder in folders:
        shipped = folder.parent.name == "presets"
        before = _former_fingerprint(folder) if shipped else None
        to_keras_hub_preset(folder)
        if shipped:
            keys[before] = preset_fingerprint(folder)
        print(f"{folder.relative_to(REPO)}: converted", flush=True)
    changed = 0
    for path in sorted((REPO / "bench" / "results" / "glue").rglob("*.json")):
        text = path.read_text()
        new = text
        for before, after in keys.items():
            new = new.replace(before, after)
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"GLUE results re-keyed: {changed} files")


if __name__ == "__main__":
    main()
