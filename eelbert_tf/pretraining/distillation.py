"""Distillation in pretraining: a frozen teacher masked LM adds targets to the student's MLM loss.

`eelbert pretrain --teacher T` (`PretrainConfig.teacher`) trains the student on

    MLM(labels, s)
    + distill_kl        * T^2 * KL(softmax(t / T) || softmax(s / T))   at the masked positions
    + distill_hidden    * MSE(W h_s, h_t)       student block i -> teacher block `layer_map[i]`
    + distill_attention * KL(a_t || a_s)        per head, the same blocks (MiniLM)

where `t`, `s` are the teacher's and student's MLM logits over the vocabulary, `h` a block's
output hidden states (the mean squared error over real tokens and the hidden width; `W` a
learned projection, used only in pretraining and dropped like the MLM head, when the widths
differ), `a` a block's attention probabilities (the KL over keys, averaged over real query
tokens and heads; the teacher and student must have as many heads). The layer map defaults to
the uniform one of TinyBERT: student block `i` (1-based) learns from teacher block
`round(i * N / M)`, so a one-block student learns from the teacher's last block. A weight of 0
switches a term off (and skips its computation).

The teacher is a masked LM on the same tokenizer and vocabulary: a shipped preset whose record
names its MLM head (`bert_tiny_en`), or a finished `eelbert pretrain` run folder. It is frozen,
runs inside the same `fit` (one forward pass per step, no gradients), and is never part of a
checkpoint: it is read from its files at every (re)start and checked against the fingerprint of
its weights that the checkpoint recorded. The student's checkpoints hold its own weights and
the projections.

Pilots that chose the default weights: BENCHMARKS.md, "Distillation in pretraining".
"""

from __future__ import annotations

import hashlib
import json
import pathlib

import keras

from eelbert_lite.vocabulary import vocabulary_sha256
from eelbert_tf.io_utils import file_sha256
from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM, build_masked_lm, build_variables, mlm_head_variables
from eelbert_tf.models.presets import shipped_mlm_head
from eelbert_tf.models.pretrained import load_npz_weights, load_pretrained_backbone, pretrained_presets
from eelbert_tf.models.saving import load_weights_file

TERMS = ("kl", "hidden", "attention")


class MaskedLMTeacherError(ValueError):
    """A masked-LM teacher (pretraining's `--teacher`) that cannot teach this student; the message names it and
    what was expected. A task teacher's refusal is `classification.teacher.TeacherError`."""


def default_layer_map(student_layers: int, teacher_layers: int) -> list[int]:
    """TinyBERT's uniform map: student block i (1-based) -> teacher block round(i * N / M)."""
    return [max(1, round(i * teacher_layers / student_layers)) for i in range(1, student_layers + 1)]


def load_masked_lm_teacher(spec: str, vocabulary, student_tokenizer: str, log=print):
    """`(EelbertMaskedLM, description)` of a teacher named by a shipped preset or a run folder.

    Refused (MaskedLMTeacherError): a words-tokenizer student (its tokens are not the teacher's), a
    teacher pretrained on words, a teacher with no MLM head, another vocabulary.
    """
    if student_tokenizer != "wordpiece":
        raise MaskedLMTeacherError(
            f"--teacher {spec}: the student reads the words tokenizer; a teacher masked LM predicts "
            "WordPiece tokens at WordPiece positions. Distil a words student on a task instead "
            "(`eelbert finetune --teacher`).")
    presets = pretrained_presets()
    path = pathlib.Path(spec)
    if spec in presets:
        record = json.loads((presets[spec] / "record.json").read_text())
        try:
            head = shipped_mlm_head(spec)
        except ValueError as e:
            raise MaskedLMTeacherError(f"--teacher {spec}: a teacher needs its MLM head. {e}") from None
        files = [presets[spec] / "model.weights.h5", head]
    elif (path / "record.json").is_file() and (path / "masked_lm.weights.h5").is_file():
        record = json.loads((path / "record.json").read_text())
        files = [path / "masked_lm.weights.h5"]
    else:
        raise MaskedLMTeacherError(
            f"--teacher {spec} is neither a shipped preset with an MLM head ({', '.join(presets)}) "
            "nor a finished `eelbert pretrain` run folder (record.json and masked_lm.weights.h5).")
    teacher_tokenizer = (record.get("config") or {}).get("tokenizer", "wordpiece")
    if teacher_tokenizer != "wordpiece":
        raise MaskedLMTeacherError(
            f"--teacher {spec} was pretrained with the {teacher_tokenizer} tokenizer; the student "
            "reads WordPiece.")
    size = record["backbone_config"]["vocabulary_size"]
    if size != len(vocabulary):
        raise MaskedLMTeacherError(f"--teacher {spec} predicts a vocabulary of {size:,} tokens; the student's has "
                                   f"{len(vocabulary):,}. Both must read the same WordPiece vocabulary.")
    recorded_vocab = (record.get("data") or {}).get("vocabulary_sha256")
    ours = vocabulary_sha256(vocabulary)
    if recorded_vocab and recorded_vocab != ours:
        raise MaskedLMTeacherError(
            f"--teacher {spec} was pretrained on another vocabulary (sha256 {recorded_vocab[:12]}, "
            f"the student's {ours[:12]}).")
    if spec in presets:
        teacher = EelbertMaskedLM(load_pretrained_backbone(spec), vocabulary, mlm_head=record["mlm_head"],
                                  compile=False)
        build_variables(teacher)
        load_npz_weights(mlm_head_variables(teacher), files[1], what="teacher MLM head weights")
    else:
        teacher = build_masked_lm(record["backbone_config"], vocabulary, mlm_head=record["mlm_head"])
        build_variables(teacher)
        load_weights_file(teacher, files[0])
    teacher.trainable = False
    digest = hashlib.sha256("".join(file_sha256(f) for f in files).encode()).hexdigest()
    description = {"teacher": spec, "weights_fingerprint": digest[:16], "files": [str(f) for f in files],
                   "heldout_mlm_loss": (record.get("shipped") or {}).get("heldout_mlm_loss",
                                                                           record.get("heldout_mlm_loss")),
                   "num_layers": teacher.backbone.num_layers, "hidden_dim": teacher.backbone.hidden_dim,
                   "num_heads": teacher.backbone.num_heads}
    log(f"teacher {spec}: {teacher.backbone.num_layers} layers x {teacher.backbone.hidden_dim}, "
        f"weights fingerprint {description['weights_fingerprint']}")
    return teacher, description


class _Frozen:
    """Holds the teacher as a plain object: Keras neither tracks, trains nor saves what it holds (a Layer
    attribute, even one set through `__dict__`, is walked by `save_weights`)."""

    def __init__(self, model):
        self.model = model


class DistilledMaskedLM(keras.Model):
    """A student `EelbertMaskedLM` trained with a frozen teacher's targets (see the module docstring).

    Args:
        student: the `EelbertMaskedLM` being trained.
        teacher: a frozen `EelbertMaskedLM` on the same vocabulary (any token input, width, depth).
        kl: weight of the MLM-distribution KL term. Defaults to `1.0`.
        temperature: softmax temperature of that term. Defaults to `1.0`.
        hidden: weight of the hidden-state MSE term. Defaults to `1.0`.
        attention: weight of the attention KL term. Defaults to `1.0`.
        layer_map: teacher block (1-based) for each student block. Defaults to `default_layer_map`.

    Inputs: the student's inputs, the teacher's token input (`"token_ids"` for a table teacher),
    `"mask_positions"` and `"mask_weights"` (float `[batch, masks]`, 0 on padded slots). Output:
    the student's logits, so the compiled MLM loss and accuracy apply as without a teacher; each
    distillation term is added with `add_loss` and logged as `kl_loss`, `hidden_loss`,
    `attention_loss` (unweighted values).
    """

    def __init__(self, student, teacher, kl=1.0, temperature=1.0, hidden=1.0, attention=1.0, layer_map=None,
                 **kwargs):
        super().__init__(**kwargs)
        s, t = student.backbone, teacher.backbone
        layer_map = list(layer_map) if layer_map is not None else default_layer_map(s.num_layers, t.num_layers)
        if len(layer_map) != s.num_layers or not all(1 <= j <= t.num_layers for j in layer_map):
            raise MaskedLMTeacherError(
                f"The layer map {layer_map} must name one teacher block in 1..{t.num_layers} for each "
                f"of the student's {s.num_layers} blocks.")
        if attention and s.num_heads != t.num_heads:
            raise MaskedLMTeacherError(
                f"Attention distillation compares heads one to one: the student has {s.num_heads} "
                f"heads, the teacher {t.num_heads}. Set the attention weight to 0.")
        if temperature <= 0:
            raise ValueError(f"The distillation temperature must be positive. Received: {temperature}")
        self.student = student
        # The teacher is not tracked: its weights are not this run's (never trained, never checkpointed).
        self.frozen_teacher = _Frozen(teacher)
        self.kl, self.temperature, self.hidden, self.attention = float(kl), float(temperature), float(hidden), \
            float(attention)
        self.layer_map = layer_map
        self.projections = [keras.layers.Dense(t.hidden_dim, name=f"distill_projection_{i}")
                            if hidden and s.hidden_dim != t.hidden_dim else None for i in range(s.num_layers)]
        self.projections_list = [p for p in self.projections if p is not None]  # tracked
        self.term_trackers = {name: keras.metrics.Mean(name=f"{name}_loss") for name in TERMS
                              if getattr(self, name)}

    def _forward(self, model, inputs, intermediates):
        backbone = model.backbone
        vectors = backbone.token_embedding(inputs[backbone.token_input_name])
        out = backbone.encode(vectors, inputs["segment_ids"], inputs["padding_mask"],
                              return_intermediates=intermediates)
        logits = model.mlm_head(out["sequence_output"], mask_positions=inputs["mask_positions"])
        return logits, out

    def call(self, inputs, training=False):
        import tensorflow as tf

        intermediates = bool(self.hidden or self.attention)
        logits, out = self._forward(self.student, inputs, intermediates)
        t_logits, t_out = self._forward(self.frozen_teacher.model, inputs, intermediates)
        t_logits = tf.stop_gradient(t_logits)
        weights = tf.cast(inputs["mask_weights"], tf.float32)
        tokens = tf.cast(inputs["padding_mask"], tf.float32)
        terms = {}
        if self.kl:
            T = self.temperature
            log_t = tf.nn.log_softmax(tf.cast(t_logits, tf.float32) / T, axis=-1)
            log_s = tf.nn.log_softmax(tf.cast(logits, tf.float32) / T, axis=-1)
            per = tf.reduce_sum(tf.exp(log_t) * (log_t - log_s), axis=-1) * (T * T)
            terms["kl"] = tf.math.divide_no_nan(tf.reduce_sum(per * weights), tf.reduce_sum(weights))
        if self.hidden:
            values = []
            for i, j in enumerate(self.layer_map):
                h_s = out["hidden_states"][i + 1]
                if self.projections[i] is not None:
                    h_s = self.projections[i](h_s)
                h_t = tf.stop_gradient(t_out["hidden_states"][j])
                per = tf.reduce_mean(tf.square(h_s - h_t), axis=-1)
                values.append(tf.math.divide_no_nan(tf.reduce_sum(per * tokens), tf.reduce_sum(tokens)))
            terms["hidden"] = tf.add_n(values) / len(values)
        if self.attention:
            values = []
            eps = 1e-9
            for i, j in enumerate(self.layer_map):
                a_s = tf.cast(out["attention_scores"][i], tf.float32)
                a_t = tf.stop_gradient(tf.cast(t_out["attention_scores"][j - 1], tf.float32))
                per = tf.reduce_sum(a_t * (tf.math.log(a_t + eps) - tf.math.log(a_s + eps)), axis=-1)  # [b, h, q]
                per = tf.reduce_mean(per, axis=1)  # over heads
                values.append(tf.math.divide_no_nan(tf.reduce_sum(per * tokens), tf.reduce_sum(tokens)))
            terms["attention"] = tf.add_n(values) / len(values)
        for name, value in terms.items():
            self.add_loss(getattr(self, name) * value)
            self.term_trackers[name].update_state(value)
        return logits

    def describe(self) -> dict:
        return {"kl": self.kl, "temperature": self.temperature, "hidden": self.hidden, "attention": self.attention,
                "layer_map": self.layer_map,
                "projection_parameters": sum(int(w.numpy().size) for p in self.projections_list for w in p.weights)}
