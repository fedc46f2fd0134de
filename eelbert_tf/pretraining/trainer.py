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
import json
import os
import pathlib
import sys
import time

from eelbert_lite.hashing import spec_fingerprint
from eelbert_tf.io_utils import git_commit, write_json_atomically
from eelbert_tf.models.eelbert_masked_lm import build_masked_lm, build_variables
from eelbert_tf.models.saving import save_weights_file
from eelbert_tf.pretraining import checkpoint as ckpt
from eelbert_tf.pretraining.config import PretrainConfig, open_token_cache
from eelbert_tf.pretraining.distillation import DistilledMaskedLM, load_masked_lm_teacher
from eelbert_tf.pretraining.distribute import (
    check_global_batch,
    clipped_adamw,
    distributed_dataset,
    is_chief,
    keras_multi_worker_fixes,
    make_strategy,
)
from eelbert_tf.pretraining.evaluation import evaluate_masked_lm, plot_loss_curves
from eelbert_tf.pretraining.loss import MaskedLMAccuracy, MaskedLMLoss
from eelbert_tf.pretraining.pipeline import order_fingerprint, training_dataset, training_order
from eelbert_tf.schedules import make_schedule


def pretrain(config: PretrainConfig, log=print) -> dict:
    """Runs (or resumes) a pretraining run; returns its record."""
    import keras
    import tensorflow as tf

    config.validate()
    if os.environ.get("EELBERT_TRACEBACK"):
        keras.config.disable_traceback_filtering()  # the whole traceback, Keras's frames included
    if config.threads:
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)

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
        overrides = config.backbone_arguments()
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
            teacher, teacher_info = load_masked_lm_teacher(config.teacher, vocabulary, config.tokenizer, log=log)
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
        train_model.fit(dataset, epochs=1, steps_per_epoch=remaining, callbacks=[progress], verbose=verbose,
                        shuffle=False)  # the cache's order is the recipe's (Keras warns at True for a dataset)
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


def _last_logged(path: pathlib.Path) -> dict:
    if not path.exists():
        return {}
    lines = path.read_text().strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


