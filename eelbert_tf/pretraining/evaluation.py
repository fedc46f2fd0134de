"""Held-out masked-LM evaluation of a finished run or a shipped preset, the MLM head a preset's figures need
(`export_mlm_head`), and loss curves."""

from __future__ import annotations

import json
import pathlib

from eelbert_lite.vocabulary import load_vocabulary
from eelbert_tf.data_paths import default_vocabulary_path
from eelbert_tf.io_utils import write_atomically
from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM, build_masked_lm, build_variables, mlm_head_variables
from eelbert_tf.models.preset_writer import save_npz_weights
from eelbert_tf.models.pretrained import (
    load_npz_weights,
    load_pretrained_backbone,
    pretrained_presets,
    record_tokenizer,
)
from eelbert_tf.models.presets import shipped_mlm_head
from eelbert_tf.models.saving import load_weights_file
from eelbert_tf.pretraining.config import PretrainConfig, open_token_cache
from eelbert_tf.pretraining.pipeline import validation_dataset


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
    with the MLM head saved by `export_mlm_head` (default: the one beside its weights, `shipped_mlm_head`),
    on the token cache its record names (rebuilt deterministically from the corpus when missing; its
    checksum must equal the recorded one)."""
    presets = pretrained_presets(presets_dir)
    if name not in presets:
        raise ValueError(f"No pretrained preset {name!r}. Shipped: {', '.join(presets) or 'none'}.")
    record = json.loads((presets[name] / "record.json").read_text())
    if mlm_head_weights is None:
        if record_tokenizer(record) == "words":
            raise ValueError(f"{name} was pretrained on words and ships no MLM head (its output layer predicts the "
                             "training-only word targets); its record holds the run's held-out loss, measured on "
                             "the same float32 weights: `eelbert evaluate-mlm --run` on the run folder recomputes it.")
        mlm_head_weights = shipped_mlm_head(name, presets_dir)
    vocabulary, cache = _open_recorded_cache(record, name, data_dir, cache_dir, log)
    model = EelbertMaskedLM(load_pretrained_backbone(name, presets_dir), vocabulary, mlm_head=record["mlm_head"],
                            compile=False)
    build_variables(model)
    load_npz_weights(mlm_head_variables(model), mlm_head_weights, what="MLM head weights")
    return evaluate_masked_lm(model, cache, vocabulary)


def evaluate_masked_lm(model, cache, vocabulary, batch_size: int = 64) -> dict:
    """Held-out MLM loss (mean over masked tokens) and accuracy on the cache's fixed validation set."""
    import tensorflow as tf

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
