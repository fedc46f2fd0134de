"""Parameter counts and sizes of a preset, as `eelbert info` reports them."""

from __future__ import annotations

from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.presets import BACKBONE_PRESETS, SIZES

BYTES_FLOAT32 = 4
BYTES_INT8 = 1


def model_info(preset: str) -> dict:
    """Parameter counts (embedding / encoder / pooler) and sizes of a preset's backbone.

    Counts come from the built Keras model's weights. Sizes are parameters times
    bytes per weight: 4 at float32, 1 at int8 (the weights alone; a .tflite adds
    quantization scales and graph metadata, measured by the export benchmarks).
    `ratio_to_bert` compares the total with the BERT (table) model of the same size.
    """
    counts = EelbertBackbone.from_preset(preset).parameter_counts()
    size = preset.rsplit("_", 1)[-1]
    info = {
        "preset": preset,
        "config": BACKBONE_PRESETS[preset],
        "parameters": counts,
        "bytes": {
            "float32": counts["total"] * BYTES_FLOAT32,
            "int8": counts["total"] * BYTES_INT8,
        },
    }
    if size in SIZES:
        bert_counts = EelbertBackbone.from_preset(f"bert_{size}").parameter_counts()
        info["ratio_to_bert"] = {f"bert_{size}": bert_counts["total"] / counts["total"]}
        if size != "tiny":
            tiny = EelbertBackbone.from_preset("bert_tiny").parameter_counts()
            info["ratio_to_bert"]["bert_tiny"] = tiny["total"] / counts["total"]
    return info
