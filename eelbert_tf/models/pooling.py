"""How a classifier head reads the backbone's outputs (`EelbertTextClassifier(pooling=...)`, `--pooling`). Light to
import: the command line's parser reads `POOLINGS` without loading Keras."""

POOLINGS = ("cls", "mean")


def pool(backbone_outputs, padding_mask, pooling: str):
    """`[batch, hidden]` from the backbone's outputs: its `pooled_output` (`"cls"`), or the mean of its
    `sequence_output` where `padding_mask` is 1 (`"mean"`; `None`: every position is a real token)."""
    import keras

    if pooling == "cls":
        return backbone_outputs["pooled_output"]
    sequence = backbone_outputs["sequence_output"]
    if padding_mask is None:
        return keras.ops.mean(sequence, axis=1)
    mask = keras.ops.expand_dims(keras.ops.cast(padding_mask, sequence.dtype), -1)
    return keras.ops.sum(sequence * mask, axis=1) / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
