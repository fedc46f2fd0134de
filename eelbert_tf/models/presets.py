"""Presets: architectures by size, for EELBERT (hash embedding) and BERT (table).

Sizes follow BERT's small models (Turc et al., 2019) plus EELBERT's one-layer
`uno`. Names are `<family>_<size>`: `eelbert_uno`, `bert_tiny`,
`random_hash_tiny` (the paper's hash ablation).
"""

from __future__ import annotations

SIZES = {
    "uno": dict(num_layers=1, hidden_dim=128, num_heads=2, intermediate_dim=512),
    "tiny": dict(num_layers=2, hidden_dim=128, num_heads=2, intermediate_dim=512),
    "mini": dict(num_layers=4, hidden_dim=256, num_heads=4, intermediate_dim=1024),
    "small": dict(num_layers=4, hidden_dim=512, num_heads=8, intermediate_dim=2048),
    "base": dict(num_layers=12, hidden_dim=768, num_heads=12, intermediate_dim=3072),
}
FAMILIES = {"eelbert": "ngram_hash", "random_hash": "random_hash", "bert": "table"}
COMMON = dict(vocabulary_size=30522, max_sequence_length=512, num_segments=2, dropout=0.1)

BACKBONE_PRESETS = {
    f"{family}_{size}": {**COMMON, **arch, "embedding_type": embedding_type}
    for family, embedding_type in FAMILIES.items()
    for size, arch in SIZES.items()
}


def backbone_config(preset: str) -> dict:
    """The backbone constructor arguments of a preset; ValueError lists the known names."""
    if preset not in BACKBONE_PRESETS:
        from eelbert_tf.models.pretrained import pretrained_presets

        shipped = ", ".join(pretrained_presets()) or "none yet"
        raise ValueError(
            f"Unknown preset {preset!r}. Known presets: {', '.join(sorted(BACKBONE_PRESETS))}; "
            f"pretrained: {shipped}."
        )
    return dict(BACKBONE_PRESETS[preset])
