"""A `micro` file's inputs and its interpreter, as a device prepares and runs them: each packed token's hash
vector by the NumPy reference (`eelbert_lite.hashing`, what `tflite/c/eelbert_micro_input.c` computes in C),
quantized to int8, and TFLite Micro's own Python interpreter (no TensorFlow).

`eelbert_tf.export.micro_format` writes the files (and measures their arena with `micro_interpreter`)."""

from __future__ import annotations

import numpy as np

from eelbert_lite import wordpiece
from eelbert_lite.hashing import embed_tokens


def quantize(values, scale: float, zero_point: int) -> np.ndarray:
    """round(v / scale) + zero_point, halves away from zero (TFLite's rule and C's roundf), clamped to int8."""
    scaled = np.asarray(values, np.float32) / np.float32(scale)
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    return np.clip(rounded + zero_point, -128, 127).astype(np.int8)


def _as_bytes(tokens) -> list[bytes]:
    return [t if isinstance(t, bytes) else t.encode("utf-8") for t in tokens]


def packed_tokens(tokens_a, tokens_b, sequence_length: int) -> tuple[list[bytes], list[int]]:
    """`[CLS] a [SEP] (b [SEP])` cut round robin (`eelbert_lite.wordpiece.pack`), as bytes, with segment ids."""
    segments = [_as_bytes(tokens_a)] + ([] if tokens_b is None else [_as_bytes(tokens_b)])
    tokens, segment_ids = wordpiece.pack(segments, sequence_length)
    return _as_bytes(tokens), segment_ids


def float_inputs(tokens, segment_ids, sequence_length: int, hidden_dim: int, hash_params: dict) -> dict:
    """The model's inputs before quantization (float32 `[1, L, H]`, `[1, L]`, `[1, L]`) from packed tokens (str or
    bytes) and their segment ids: each token's hash vector by the NumPy reference, zero rows after.
    `hash_params`: the file's `hash` metadata (`hash_type`, `ngram_orders`, `seed`)."""
    h = hash_params
    vectors = np.zeros([1, sequence_length, hidden_dim], np.float32)
    vectors[0, : len(tokens)] = embed_tokens(_as_bytes(tokens), hidden_dim, h["hash_type"], h["ngram_orders"],
                                             h["seed"])
    mask = np.zeros([1, sequence_length], np.float32)
    mask[0, : len(tokens)] = 1
    segments = np.zeros([1, sequence_length], np.float32)
    segments[0, : len(segment_ids)] = segment_ids
    return {"token_vectors": vectors, "padding_mask": mask, "segment_ids": segments}


def quantized_inputs(tokens_a, tokens_b, meta: dict) -> dict:
    """The model's int8 inputs from tokens (str or bytes), by the NumPy reference of the hash: what
    `tflite/c/eelbert_micro_input.c` computes on the device, bit for bit. `meta` is the file's metadata."""
    length = meta["sequence_length"]
    x = float_inputs(*packed_tokens(tokens_a, tokens_b, length), length, meta["hidden_dim"], meta["hash"])
    return {name: quantize(value, *meta["input_quantization"][name]) for name, value in x.items()}


def micro_interpreter(model: bytes, arena_size: int):
    """TFLite Micro's Python interpreter for a flatbuffer, in an arena of `arena_size` bytes."""
    # tflite-micro is an optional dependency (the `micro` extra): imported only to run a micro file.
    from tflite_micro.python.tflite_micro import runtime

    return runtime.Interpreter.from_bytes(model, arena_size=arena_size)


class MicroInterpreter:
    """TFLite Micro's interpreter behind the `set_tensor`/`invoke`/`get_tensor` calls the runner makes of a
    TFLite interpreter (tensor indices from the TFLite interpreter of the same file)."""

    def __init__(self, content: bytes, meta: dict, tflite_interpreter):
        self.micro = micro_interpreter(content, meta.get("arena_bytes") or (1 << 20))
        order = [d["index"] for d in tflite_interpreter.get_input_details()]
        self.position = {index: i for i, index in enumerate(order)}

    def set_tensor(self, index, value):
        self.micro.set_input(value, self.position[index])

    def invoke(self):
        self.micro.invoke()

    def get_tensor(self, index):
        return self.micro.get_output(0)
