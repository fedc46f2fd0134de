"""Masked-LM pretraining with Keras `fit`: config, schedule, checkpoints, resume, records.

`pretrain(PretrainConfig(...))` writes into `out_dir`:

- `config.json`: the resolved config (written before training starts);
- `checkpoints/`: atomic checkpoints every `checkpoint_every` steps (see
  `checkpoint.py`); `resume=True` continues from the last one with the same
  step, learning-rate schedule and data position;
- `tensorboard/`: loss, MLM accuracy, tokens/s and learning rate;
- `train_log.jsonl`: the same scalars, one line per `log_every` steps;
- `backbone.weights.h5`: the trained backbone alone (no head, no optimizer);
- `masked_lm.weights.h5`: backbone and MLM head, for `evaluate_run`;
- `record.json`: config, data and checksums, tokens seen, steps, wall time,
  final training loss, held-out MLM loss and accuracy, the git commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import sys
import time

from eelbert_tf.hashing import spec_fingerprint
from eelbert_tf.io_utils import git_commit, write_json_atomically
from eelbert_tf.models.eelbert_masked_lm import build_masked_lm, build_variables, mlm_head_variables
from eelbert_tf.models.presets import BACKBONE_PRESETS
from eelbert_tf.models.saving import load_weights_file, save_weights_file
from eelbert_tf.schedules import make_schedule


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
        from eelbert_tf.pretraining.distribute import STRATEGIES
        from eelbert_tf.pretraining.pipeline import DATA_ORDERS, MASKINGS

        if self.data_order not in DATA_ORDERS:
            raise ValueError(f"`data_order` must be one of {DATA_ORDERS}. Received: {self.data_order!r}")
        if self.masking not in MASKINGS:
            raise ValueError(f"`masking` must be one of {MASKINGS}. Received: {self.masking!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: {self.strategy!r}")
        from eelbert_tf.pretraining.token_cache import TOKENIZERS

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
            import inspect

            from eelbert_tf.models.eelbert_backbone import EelbertBackbone

            known = set(inspect.signature(EelbertBackbone.__init__).parameters) - {"self", "kwargs"}
            unknown = sorted(set(self.backbone_overrides) - known)
            if unknown:
                raise ValueError(f"Unknown backbone arguments {unknown} in `backbone_overrides`. Known: {sorted(known)}.")

    @property
    def total_steps(self) -> int:
        return self.tokens // (self.batch_size * self.sequence_length)

    def fingerprint(self) -> str:
        """Identifies what a checkpoint depends on (not where it is or how often it is saved)."""
        ignore = {"out_dir", "resume", "checkpoint_every", "log_every", "stop_after_steps", "cache_dir",
                  "data_dir", "threads", "strategy", "worker_timeout"}
        values = {k: v for k, v in dataclasses.asdict(self).items() if k not in ignore}
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
    from eelbert_tf.data_paths import default_vocabulary_path
    from eelbert_tf.preprocessing.vocabulary import load_vocabulary
    from eelbert_tf.pretraining.token_cache import TokenCache, build_token_cache, default_corpus_paths

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


def pretrain(config: PretrainConfig, log=print) -> dict:
    """Runs (or resumes) a pretraining run; returns its record."""
    import keras
    import tensorflow as tf

    from eelbert_tf.pretraining import checkpoint as ckpt
    from eelbert_tf.pretraining.loss import MaskedLMAccuracy, MaskedLMLoss
    from eelbert_tf.pretraining.pipeline import order_fingerprint, training_dataset, training_order

    config.validate()
    if os.environ.get("EELBERT_TRACEBACK"):
        keras.config.disable_traceback_filtering()  # the whole traceback, Keras's frames included
    if config.threads:
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)
    from eelbert_tf.pretraining.distribute import (check_global_batch, clipped_adamw, distributed_dataset, is_chief,
                                                   keras_multi_worker_fixes, make_strategy)

    strategy = make_strategy(config.strategy, config.worker_timeout)
    check_global_batch(config.batch_size, strategy)
    chief = is_chief(strategy)  # only the chief writes; every worker trains
    commit = git_commit()
    out = pathlib.Path(config.out_dir)
    checkpoints = out / "checkpoints"
    if not config.resume and ckpt.latest_checkpoint(checkpoints) is not None:
        raise FileExistsError(f"{out} already holds checkpoints: pass resume=True (--resume) or a new out_dir.")
    if chief:
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomically(out / "config.json", dataclasses.asdict(config))

    keras.utils.set_random_seed(config.seed)
    vocabulary, cache = open_token_cache(config, log=log)

    total = config.total_steps
    schedule = make_schedule(config.learning_rate, int(config.warmup_ratio * total), total)
    with strategy.scope():
        overrides = dict(config.backbone_overrides or {})
        if config.tokenizer == "words":  # the output layer's size: the training-only target vocabulary
            overrides["vocabulary_size"] = len(vocabulary)
        model = build_masked_lm(config.preset, vocabulary, mlm_head=config.mlm_head, **overrides)
        # AdamW whose clipnorm clips the gradient of the global batch under any strategy (distribute.py).
        optimizer = clipped_adamw(
            learning_rate=schedule, weight_decay=config.weight_decay, beta_1=0.9, beta_2=0.999,
            epsilon=1e-6, clipnorm=config.clipnorm,
        )
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
        train_model, teacher_info = model, None
        if config.teacher is not None:
            from eelbert_tf.pretraining.distillation import DistilledMaskedLM, load_teacher

            teacher, teacher_info = load_teacher(config.teacher, vocabulary, config.tokenizer, log=log)
            train_model = DistilledMaskedLM(
                model, teacher, kl=config.distill_kl, temperature=config.distill_temperature,
                hidden=config.distill_hidden, attention=config.distill_attention, layer_map=config.distill_layer_map)
            build_variables(train_model, teacher_inputs=True)  # its projections exist before a checkpoint is restored
            teacher_info.update(train_model.describe())
        train_model.compile(
            optimizer=optimizer,
            loss=MaskedLMLoss(),
            weighted_metrics=[MaskedLMAccuracy()],
        )

    fingerprint = config.fingerprint()
    order = training_order(cache.num_train_sequences, config.seed, config.data_order)
    order_id = order_fingerprint(order)
    step, elapsed = 0, 0.0
    latest = ckpt.latest_checkpoint(checkpoints)
    if config.resume and latest is not None:
        state = ckpt.read_state(latest, fingerprint)
        checks = [("cache_sha256", cache.sha256(), f"token cache {cache.path}"),
                  ("order_fingerprint", order_id, f"data order ({config.data_order}, seed {config.seed})")]
        if teacher_info is not None:
            checks.append(("teacher_fingerprint", teacher_info["weights_fingerprint"], f"teacher ({config.teacher})"))
        for key, now, what in checks:
            if key in state and state[key] != now:
                raise ckpt.CheckpointError(
                    f"Checkpoint {latest} was trained on another {what.split(' (')[0]}: {what} gives "
                    f"{now[:16]}, the checkpoint recorded {state[key][:16]}; resume with the cache and order "
                    "it was trained on, or start a new --out.")
        with strategy.scope():
            ckpt.restore(latest, train_model, optimizer)
        step, elapsed = state["step"], state["elapsed_seconds"]
        log(f"resumed from {latest.name}: step {step}/{total}")
    # One line per (re)start, so that a record shows every commit that trained the run.
    sessions_path = out / "sessions.jsonl"
    if chief:
        with open(sessions_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"commit": commit, "start_step": step, "strategy": config.strategy,
                                "replicas": strategy.num_replicas_in_sync,
                                "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}) + "\n")
    token_input = model.backbone.token_input_name
    if teacher_info is not None:  # the teacher reads the same masked sequences, by id or by token string
        token_input = tuple(dict.fromkeys((token_input, teacher.backbone.token_input_name)))
    logged_terms = ("loss", "accuracy") + tuple(f"{t}_loss" for t in (getattr(train_model, "term_trackers", None) or {}))
    remaining = total - step
    if config.stop_after_steps is not None:
        remaining = min(remaining, max(config.stop_after_steps - step, 0))
    tokens_per_step = config.batch_size * config.sequence_length

    class Progress(keras.callbacks.Callback):
        """Checkpoints, TensorBoard scalars and the JSONL log, keyed by the global step."""

        def __init__(self):
            super().__init__()
            self.writer = tf.summary.create_file_writer(str(out / "tensorboard")) if chief else None
            self.mark_time, self.mark_step = time.time(), step
            self.session_start = time.time()
            self.mark_batches, self.mark_sums = 0, {}

        def global_step(self):
            return int(optimizer.iterations.numpy())

        def elapsed(self):
            return elapsed + time.time() - self.session_start

        def on_train_batch_end(self, batch, logs=None):
            g = self.global_step()
            # Keras reports running means over this fit() call; turn them into interval means.
            n = batch + 1
            sums = {k: float(logs[k]) * n for k in logged_terms}
            if g % config.log_every == 0 and chief:
                now = time.time()
                seen = n - self.mark_batches
                rate = (g - self.mark_step) * tokens_per_step / max(now - self.mark_time, 1e-9)
                interval = {k: (sums[k] - self.mark_sums.get(k, 0.0)) / max(seen, 1) for k in sums}
                self.mark_time, self.mark_step, self.mark_batches, self.mark_sums = now, g, n, sums
                scalars = {
                    **interval, "tokens_per_second": rate, "learning_rate": float(schedule(g - 1)),
                }
                if teacher_info is not None:  # "loss" is the sum of every term; the MLM loss alone:
                    scalars["mlm_loss"] = interval["loss"] - sum(
                        getattr(train_model, t) * interval[f"{t}_loss"] for t in train_model.term_trackers)
                with self.writer.as_default():
                    for k, v in scalars.items():
                        tf.summary.scalar(k, v, step=g)
                with open(out / "train_log.jsonl", "a") as f:
                    f.write(json.dumps({"step": g, "tokens": g * tokens_per_step,
                                        "elapsed_seconds": round(self.elapsed(), 1), **scalars}) + "\n")
                log(f"step {g}/{total} loss {scalars['loss']:.4f} acc {scalars['accuracy']:.4f} "
                    f"{rate:,.0f} tokens/s lr {scalars['learning_rate']:.2e}")
            if g % config.checkpoint_every == 0 or g == total:
                self.save(g)

        def save(self, g):
            if not chief:
                return
            state = {"step": g, "sequences_consumed": g * config.batch_size, "elapsed_seconds": self.elapsed(),
                     "fingerprint": fingerprint, "cache_sha256": cache.sha256(), "order_fingerprint": order_id}
            if teacher_info is not None:
                state["teacher_fingerprint"] = teacher_info["weights_fingerprint"]
            ckpt.save_checkpoint(checkpoints, train_model, optimizer, state)

    progress = Progress()
    if remaining > 0:
        def make_dataset(rows):
            dataset = training_dataset(
                cache, vocabulary, token_input, config.batch_size,
                start_sequence=step * config.batch_size, num_batches=remaining, order=order,
                masking=config.masking, seed=config.seed, rows=rows,
            )[0]
            if teacher_info is not None:  # the distillation terms weigh the masked slots as the MLM loss does
                dataset = dataset.map(lambda x, ids, weights: ({**x, "mask_weights": weights}, ids, weights))
            return dataset

        dataset = distributed_dataset(strategy, make_dataset, config.batch_size)
        if isinstance(dataset, tf.distribute.DistributedDataset):
            keras_multi_worker_fixes(model, next(iter(make_dataset(rows=None).take(1))))
        verbose = 1 if sys.stdout.isatty() else 0  # a progress bar on a terminal; log lines always
        train_model.fit(dataset, epochs=1, steps_per_epoch=remaining, callbacks=[progress], verbose=verbose)
        g = progress.global_step()
        if g % config.checkpoint_every and g != total:
            progress.save(g)
    final_step = progress.global_step()
    wall = progress.elapsed()
    if final_step < total:
        log(f"stopped at step {final_step}/{total}; resume with --resume")
        return {"step": final_step, "total_steps": total, "finished": False}

    evaluation = evaluate_masked_lm(model, cache, vocabulary)
    if not chief:
        log(f"done (worker): held-out MLM loss {evaluation['loss']:.4f}; the chief writes the record")
        return {"step": final_step, "total_steps": total, "finished": True, "chief": False,
                "heldout_mlm_loss": evaluation["loss"]}
    save_weights_file(model.backbone, out / "backbone.weights.h5")
    save_weights_file(model, out / "masked_lm.weights.h5")
    last = _last_logged(out / "train_log.jsonl")
    record = {
        "preset": config.preset,
        "backbone_config": model.backbone.get_config(),
        "mlm_head": model.mlm_head_type,
        "mlm_head_parameters_dropped": model.head_parameter_count(),
        "config": dataclasses.asdict(config),
        "data": {
            "corpus": cache.meta["settings"]["corpus"],
            "vocabulary_sha256": cache.meta["settings"].get("vocabulary_sha256"),  # None for words
            "tokenizer": cache.tokenizer,
            "token_cache_sha256": cache.sha256(),
            "train_fill": cache.meta["train_fill"],
            "order": {"data_order": config.data_order, "seed": config.seed, "fingerprint": order_id},
        },
        "tokens_seen": final_step * tokens_per_step,
        "steps": final_step,
        "wall_seconds": round(wall, 1),
        "final_train_loss": last.get("loss"),
        "train_loss_reduction": train_model.loss.reduction,  # "mean_with_sample_weight": per masked token
        "final_train_accuracy": last.get("accuracy"),
        "heldout_mlm_loss": evaluation["loss"],
        "heldout_mlm_accuracy": evaluation["accuracy"],
        "heldout_sequences": evaluation["sequences"],
        **({"distillation": teacher_info, "final_train_mlm_loss": last.get("mlm_loss")} if teacher_info else {}),
        "hash_spec_fingerprint": spec_fingerprint(),
        "commit": commit,  # at the start of the last (resumed) session
        "sessions": [json.loads(line) for line in sessions_path.read_text(encoding="utf-8").splitlines()
                     if line.strip()],
    }
    write_json_atomically(out / "record.json", record)
    plot_loss_curves([out], out / "loss_curve.png")
    log(f"done: held-out MLM loss {evaluation['loss']:.4f}, accuracy {evaluation['accuracy']:.4f}")
    return record


def evaluate_run(run_dir, data_dir=None, cache_dir=None, log=print) -> dict:
    """Recomputes a finished run's held-out MLM loss and accuracy from its files.

    The model is rebuilt from `record.json`, its weights read from
    `masked_lm.weights.h5`, and the run's token cache opened where the run put it
    (or in `cache_dir`), rebuilt if it is missing (the build is deterministic;
    its checksum must equal the recorded one).
    """

    run_dir = pathlib.Path(run_dir)
    record = json.loads((run_dir / "record.json").read_text())
    vocabulary, cache = _open_recorded_cache(record, run_dir, data_dir, cache_dir, log)
    model = build_masked_lm(record["backbone_config"], vocabulary, mlm_head=record["mlm_head"])
    load_weights_file(model, run_dir / "masked_lm.weights.h5")
    return evaluate_masked_lm(model, cache, vocabulary)


def _open_recorded_cache(record, trained, data_dir, cache_dir, log):
    """(vocabulary, TokenCache) a record was trained on; refused if its checksum differs from the recorded one."""
    vocabulary, cache = open_token_cache(PretrainConfig.from_dict(record["config"]), data_dir=data_dir,
                                         cache_dir=cache_dir, log=log)
    if cache.sha256() != record["data"]["token_cache_sha256"]:
        raise ValueError(f"The token cache in {cache.path} differs from the one {trained} was trained on.")
    return vocabulary, cache


def export_mlm_head(run_dir, path, dtype: str = "float16") -> pathlib.Path:
    """Saves a finished run's MLM head (not shipped with the backbone) so that the held-out MLM
    loss of a shipped preset can be recomputed from a clean checkout (`evaluate_preset`)."""
    from eelbert_tf.data_paths import default_vocabulary_path
    from eelbert_tf.io_utils import write_atomically
    from eelbert_tf.models.preset_writer import save_npz_weights
    from eelbert_tf.models.pretrained import record_tokenizer
    from eelbert_tf.preprocessing.vocabulary import load_vocabulary

    run_dir, path = pathlib.Path(run_dir), pathlib.Path(path)
    record = json.loads((run_dir / "record.json").read_text())
    if record_tokenizer(record) != "wordpiece":
        raise ValueError(f"{run_dir} was pretrained with --tokenizer {record['config']['tokenizer']}: its MLM head "
                         "predicts a training-only target vocabulary, which export_mlm_head does not ship yet.")
    vocabulary = load_vocabulary(default_vocabulary_path(record["config"].get("data_dir")))
    model = build_masked_lm(record["backbone_config"], vocabulary, mlm_head=record["mlm_head"])
    build_variables(model)
    load_weights_file(model, run_dir / "masked_lm.weights.h5")
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(lambda tmp: save_npz_weights(mlm_head_variables(model), tmp, dtype), path,
                            path.with_name(f".{path.stem}.tmp.npz"))


def evaluate_preset(name, mlm_head_weights=None, data_dir=None, cache_dir=None, log=print,
                    presets_dir=None) -> dict:
    """Held-out MLM loss and accuracy of a shipped preset, exactly as shipped (its weights' dtype),
    with the MLM head saved by `export_mlm_head` (default: the file its record names, relative to
    the repository), on the token cache its record names (rebuilt deterministically from the
    corpus when missing; its checksum must equal the recorded one)."""
    from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM
    from eelbert_tf.models.pretrained import (load_npz_weights, load_pretrained_backbone, pretrained_presets,
                                              record_tokenizer)

    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r}. Shipped: {', '.join(presets) or 'none'}.")
    record = json.loads((presets[name] / "record.json").read_text())
    if mlm_head_weights is None:
        if record_tokenizer(record) == "words":
            raise ValueError(f"{name} was pretrained on words and ships no MLM head (its output layer predicts the "
                             "training-only word targets); its record holds the run's held-out loss, measured on "
                             "the same float32 weights: `eelbert evaluate-mlm --run` on the run folder recomputes it.")
        if record["shipped"].get("mlm_head_weights") is None:
            raise ValueError(f"The record of {name} names no MLM head: pass mlm_head_weights (--mlm-head-weights).")
        mlm_head_weights = pathlib.Path(__file__).resolve().parents[2] / record["shipped"]["mlm_head_weights"]
    vocabulary, cache = _open_recorded_cache(record, name, data_dir, cache_dir, log)
    model = EelbertMaskedLM(load_pretrained_backbone(name, presets_dir), vocabulary, mlm_head=record["mlm_head"],
                            compile=False)
    build_variables(model)
    load_npz_weights(mlm_head_variables(model), mlm_head_weights, what="MLM head weights")
    return evaluate_masked_lm(model, cache, vocabulary)


def _last_logged(path: pathlib.Path) -> dict:
    if not path.exists():
        return {}
    lines = path.read_text().strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def evaluate_masked_lm(model, cache, vocabulary, batch_size: int = 64) -> dict:
    """Held-out MLM loss (mean over masked tokens) and accuracy on the cache's fixed validation set."""
    import tensorflow as tf

    from eelbert_tf.pretraining.pipeline import validation_dataset

    total_loss = total_correct = total_weight = 0.0
    sequences = 0
    for x, y, w in validation_dataset(cache, vocabulary, model.backbone.token_input_name, batch_size):
        sequences += int(w.shape[0])
        logits = model(x, training=False)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        correct = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        total_loss += float(tf.reduce_sum(loss * w))
        total_correct += float(tf.reduce_sum(correct * w))
        total_weight += float(tf.reduce_sum(w))
    return {"loss": total_loss / total_weight, "accuracy": total_correct / total_weight,
            "sequences": sequences,
            "masked_tokens": int(total_weight)}


def plot_loss_curves(run_dirs, path, labels=None):
    """One PNG of training loss against tokens for one or more runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for i, run in enumerate(run_dirs):
        run = pathlib.Path(run)
        log_file = run / "train_log.jsonl"
        if not log_file.exists():
            continue
        rows = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
        label = labels[i] if labels else run.name
        ax.plot([r["tokens"] / 1e6 for r in rows], [r["loss"] for r in rows], label=label)
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("training MLM loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
