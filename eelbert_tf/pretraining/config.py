"""What a pretraining run is: `PretrainConfig` (typed, unknown keys refused, a fingerprint of what a checkpoint
depends on) and the token cache it names (`open_token_cache`, built when missing)."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import pathlib

from eelbert_lite.vocabulary import load_vocabulary
from eelbert_tf.data_paths import default_vocabulary_path
from eelbert_tf.models.eelbert_backbone import EelbertBackbone
from eelbert_tf.models.presets import BACKBONE_PRESETS
from eelbert_tf.preprocessing.word_tokenizer import TOKENIZERS
from eelbert_tf.pretraining.corpus import default_corpus_paths
from eelbert_tf.pretraining.distribute import STRATEGIES
from eelbert_tf.pretraining.pipeline import DATA_ORDERS, MASKINGS
from eelbert_tf.pretraining.token_cache import TokenCache, build_token_cache


@dataclasses.dataclass
class PretrainConfig:
    preset: str
    out_dir: str
    tokens: int
    corpus: list[str] | None = None  # default: every corpus file in <data_dir>/corpus
    data_dir: str | None = None
    cache_dir: str | None = None  # default: <out_dir>/../token_cache-<settings hash>
    mlm_head: str | None = None  # default: "tied" for BERT, "separate" for EELBERT
    batch_size: int = 32  # the shipped presets' recipe (shuffled_v2): batch 32, peak 2e-3, 10% warm-up
    sequence_length: int = 128
    learning_rate: float = 2e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    clipnorm: float = 1.0
    validation_sequences: int = 1024
    checkpoint_every: int = 200
    log_every: int = 50
    seed: int = 0
    resume: bool = False
    stop_after_steps: int | None = None  # end early (the run stays resumable); for tests and time slots
    threads: int | None = None  # TF intra/inter-op threads (None: all cores)
    backbone_overrides: dict | None = None  # backbone arguments over the preset's, e.g. {"normalize_first": True}
    # The backbone's dropout while pretraining: 0, the shipped presets' recipe (docs/pretraining.md); None keeps the
    # preset's own. A "dropout" in backbone_overrides wins. (The same default for `eelbert pretrain` and the API.)
    dropout: float | None = 0.0
    data_order: str = "shuffled"  # "shuffled": one permutation of the cache drawn from `seed`; "in_order"
    masking: str = "per_batch"  # "per_batch": masks keyed by seed and batch position; "keras_hub": the presets'
    strategy: str = "default"  # tf.distribute: "default", "mirrored", "multi-worker" (TF_CONFIG), "tpu"
    worker_timeout: float = 120.0  # seconds to wait for the other workers (multi-worker)
    tokenizer: str = "wordpiece"  # "words": the vocabulary-free words tokenizer (hash backbones only)
    max_word_bytes: int = 20  # words: the longest word kept whole (spec section 9)
    target_words: int = 30_000  # words: MLM targets of their own (the commonest words, special tokens included)
    target_buckets: int = 2_048  # words: buckets shared by every other word's MLM target
    # Distillation (`distillation.py`): a frozen teacher masked LM (shipped preset or run folder) and each term's weight.
    teacher: str | None = None
    distill_kl: float = 1.0  # KL to the teacher's MLM distribution at the masked positions
    distill_temperature: float = 1.0
    distill_hidden: float = 1.0  # MSE of hidden states, student block -> teacher block
    distill_attention: float = 1.0  # KL of attention distributions per head (MiniLM)
    distill_layer_map: list[int] | None = None  # teacher block (1-based) per student block; default: uniform

    @classmethod
    def from_dict(cls, values: dict) -> "PretrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown pretraining settings: {unknown}. Known: {sorted(known)}.")
        return cls(**values)

    def validate(self):
        if self.preset not in BACKBONE_PRESETS:
            raise ValueError(f"Unknown preset {self.preset!r}. Known: {', '.join(sorted(BACKBONE_PRESETS))}.")
        for name in ("tokens", "batch_size", "sequence_length", "checkpoint_every", "log_every"):
            if getattr(self, name) <= 0:
                raise ValueError(f"`{name}` must be positive. Received: {getattr(self, name)!r}")
        if self.total_steps < 1:
            raise ValueError(
                f"`tokens`={self.tokens} is less than one batch ({self.batch_size} x {self.sequence_length})."
            )
        if self.data_order not in DATA_ORDERS:
            raise ValueError(f"`data_order` must be one of {DATA_ORDERS}. Received: {self.data_order!r}")
        if self.masking not in MASKINGS:
            raise ValueError(f"`masking` must be one of {MASKINGS}. Received: {self.masking!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: {self.strategy!r}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"`tokenizer` must be one of {TOKENIZERS}. Received: {self.tokenizer!r}")
        if self.tokenizer == "words":
            if BACKBONE_PRESETS[self.preset]["embedding_type"] == "table":
                raise ValueError(f"--tokenizer words needs a hash embedding (it has no vocabulary to look up); "
                                 f"{self.preset!r} has a table. Use an eelbert_* or random_hash_* preset.")
            if self.mlm_head not in (None, "separate"):
                raise ValueError(f"--tokenizer words pretrains with the 'separate' MLM head over its training-only "
                                 f"target vocabulary. Received: mlm_head={self.mlm_head!r}")
        if self.teacher is not None:
            for name in ("distill_kl", "distill_hidden", "distill_attention"):
                if getattr(self, name) < 0:
                    raise ValueError(f"`{name}` must be 0 (off) or positive. Received: {getattr(self, name)!r}")
            if self.distill_temperature <= 0:
                raise ValueError(f"`distill_temperature` must be positive. Received: {self.distill_temperature!r}")
            if self.tokenizer == "words":
                raise ValueError("--teacher: a teacher masked LM predicts WordPiece tokens; the words tokenizer's "
                                 "student reads other tokens. Distil a words student on a task instead "
                                 "(`eelbert finetune --teacher`).")
            if self.strategy != "default":
                raise ValueError("--teacher runs on one device for now (`strategy` 'default').")
        if self.backbone_overrides:
            known = set(inspect.signature(EelbertBackbone.__init__).parameters) - {"self", "kwargs"}
            unknown = sorted(set(self.backbone_overrides) - known)
            if unknown:
                raise ValueError(f"Unknown backbone arguments {unknown} in `backbone_overrides`. Known: {sorted(known)}.")

    def backbone_arguments(self) -> dict:
        """What the backbone is built with over the preset's own: `dropout`, then `backbone_overrides`."""
        return {**({} if self.dropout is None else {"dropout": self.dropout}), **(self.backbone_overrides or {})}

    @property
    def total_steps(self) -> int:
        return self.tokens // (self.batch_size * self.sequence_length)

    def fingerprint(self) -> str:
        """Identifies what a checkpoint depends on (not where it is or how often it is saved)."""
        ignore = {"out_dir", "resume", "checkpoint_every", "log_every", "stop_after_steps", "cache_dir",
                  "data_dir", "threads", "strategy", "worker_timeout"}
        values = {k: v for k, v in dataclasses.asdict(self).items() if k not in ignore}
        # Dropout counts as the backbone argument it is: runs from `eelbert pretrain` before the field (which set
        # backbone_overrides {"dropout": 0.0}) keep their fingerprint; `dropout=None` is the preset's own, as
        # the API's default was before.
        values["backbone_overrides"] = self.backbone_arguments()
        del values["dropout"]
        if not values["backbone_overrides"]:
            del values["backbone_overrides"]  # runs from before the field existed keep their fingerprint
        if values["data_order"] == "in_order":
            del values["data_order"]  # ... as do in-order runs from before the shuffle
        if values["masking"] == "keras_hub":
            del values["masking"]  # ... and runs masked by keras-hub, before per-batch masks
        if values["tokenizer"] == "wordpiece":  # ... and WordPiece runs, before the words tokenizer
            for key in ("tokenizer", "max_word_bytes", "target_words", "target_buckets"):
                del values[key]
        if values["teacher"] is None:  # ... and runs without a teacher, before distillation
            for key in [k for k in values if k == "teacher" or k.startswith("distill_")]:
                del values[key]
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def open_token_cache(config: PretrainConfig, data_dir=None, cache_dir=None, log=print):
    """(vocabulary, TokenCache) of a run, building the cache if it is missing.

    The cache folder is `cache_dir`, else `config.cache_dir`, else a folder beside
    `config.out_dir` named by the cache's settings, so a run and its later
    evaluation find the same cache.
    """
    data_dir = data_dir or config.data_dir
    words = config.tokenizer == "words"
    vocabulary = None if words else load_vocabulary(default_vocabulary_path(data_dir))
    corpus = [pathlib.Path(p) for p in (config.corpus or default_corpus_paths(data_dir))]
    if cache_dir is None and config.cache_dir:
        cache_dir = config.cache_dir
    if cache_dir is None:
        settings = (f"{[p.name for p in corpus]}|{config.tokens}|{config.sequence_length}|"
                    f"{config.validation_sequences}|{config.seed}")
        if words:
            settings += f"|words|{config.max_word_bytes}|{config.target_words}|{config.target_buckets}"
        cache_dir = pathlib.Path(config.out_dir).parent / (
            f"token_cache-{hashlib.sha256(settings.encode()).hexdigest()[:12]}")
    word_settings = (dict(tokenizer="words", max_word_bytes=config.max_word_bytes, target_words=config.target_words,
                          target_buckets=config.target_buckets) if words else {})
    cache = TokenCache(build_token_cache(
        corpus, cache_dir, train_tokens=config.tokens, vocabulary=vocabulary,
        sequence_length=config.sequence_length, validation_sequences=config.validation_sequences,
        seed=config.seed, log=log, **word_settings,
    ))
    # A words cache's ids index its own word table; the model's output layer predicts its target vocabulary.
    return (cache.target_vocabulary() if words else vocabulary), cache
