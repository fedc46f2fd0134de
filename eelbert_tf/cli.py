"""The `eelbert` command (also `python -m eelbert_tf`; the entry point `eelbert_lite.cli` runs a builtin-kernel
.tflite `predict` itself, without TensorFlow, and hands every other command here). The only module that parses flags and prints.

One job, over 350 lines: the parser of every subcommand. Each `_cmd_*` turns flags into the API's own recipes
(their defaults are the API's: `tests/test_cli.py`) and calls the module that does the work."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

import tensorflow as tf

from eelbert_lite import predict
from eelbert_lite.logs import quiet_runtime_logs
from eelbert_tf.models.pooling import POOLINGS
from eelbert_tf.pretraining.checkpoint import CheckpointError


def _cmd_info(args) -> int:
    from eelbert_tf.models.model_info import model_info

    info = model_info(args.preset)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    p, b = info["parameters"], info["bytes"]
    print(f"preset            {info['preset']}  ({info['config']['embedding_type']} embedding)")
    print(f"embedding params  {p['embedding']:>12,}  (token embedding {p['token_embedding']:,})")
    print(f"encoder params    {p['encoder']:>12,}")
    print(f"pooler params     {p['pooler']:>12,}")
    print(f"total params      {p['total']:>12,}")
    print(f"float32 bytes     {b['float32']:>12,}  ({b['float32'] / 2**20:.2f} MiB)")
    print(f"int8 bytes        {b['int8']:>12,}  ({b['int8'] / 2**20:.2f} MiB)")
    for other, ratio in info.get("ratio_to_bert", {}).items():
        print(f"{other} / this    {ratio:>12.2f}x")
    return 0


def _key_value(item: str):
    """`KEY=VALUE` with VALUE read as JSON where it parses (`true`, `3`, `[3, 4]`), else as a string."""
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"--backbone-arg expects KEY=VALUE. Received: {item!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


NOT_FLAGS = ("command", "func", "argv")  # what `main` puts in the parsed namespace beside the flags


def _pretrain_config(args):
    """The PretrainConfig of the flags given over the API's defaults (no dropout unless --backbone-arg dropout=...,
    as the shipped presets were pretrained: `PretrainConfig.dropout`)."""
    from eelbert_tf.pretraining.config import PretrainConfig

    values = {k: v for k, v in vars(args).items() if k not in NOT_FLAGS and v is not None}
    values["out_dir"] = values.pop("out")
    if "backbone_arg" in values:
        values["backbone_overrides"] = dict(_key_value(item) for item in values.pop("backbone_arg"))
    return PretrainConfig.from_dict(values)


def _cmd_pretrain(args) -> int:
    from eelbert_tf.pretraining.trainer import pretrain

    record = pretrain(_pretrain_config(args))
    print(json.dumps({k: v for k, v in record.items() if k not in ("backbone_config", "config")}, indent=2))
    return 0


def _cmd_evaluate_mlm(args) -> int:
    from eelbert_tf.pretraining.evaluation import evaluate_preset, evaluate_run

    if (args.run is None) == (args.preset is None):
        raise ValueError("evaluate-mlm needs exactly one of --run RUN_FOLDER or --preset NAME.")
    if args.run is not None:
        result = evaluate_run(args.run, data_dir=args.data_dir, cache_dir=args.cache_dir)
    else:
        result = evaluate_preset(args.preset, args.mlm_head_weights, data_dir=args.data_dir, cache_dir=args.cache_dir)
    print(json.dumps(result, indent=2))
    return 0


def _cmd_glue(args) -> int:
    from eelbert_tf.glue.finetune import GlueRecipe, run_glue

    recipe = GlueRecipe(max_train_examples=args.max_train_examples, tokenizer=args.tokenizer, dropout=args.dropout,
                        pooling=args.pooling)
    if args.seeds:
        recipe.seeds = tuple(int(s) for s in args.seeds.split(","))
    if args.epochs:
        recipe.epochs_large = recipe.epochs_small = args.epochs
    if args.learning_rate:
        recipe.learning_rate = args.learning_rate
    if args.batch_size:
        recipe.batch_size = args.batch_size
    glue_dir = args.glue_dir
    if glue_dir is None:
        from eelbert_tf.data_paths import data_dir

        glue_dir = data_dir() / "glue"
    tasks = "all" if args.tasks == "all" else args.tasks.split(",")
    results = run_glue(args.model, tasks, glue_dir, args.out, recipe=recipe, tfds_dir=args.tfds_dir)
    print(json.dumps({"glue5": results["glue5"], "glue9": results["glue9"],
                      "tasks": {t: (v["score"] if v else "absent") for t, v in results["tasks"].items()}},
                     indent=2))
    return 0


def _training_data(args):
    """`(train, dev, source, default_epochs)` from `--task` or `--train` (finetune and augment)."""
    from eelbert_tf.classification.labeled_text import read_labeled_file
    from eelbert_tf.glue.tasks import from_glue

    if (args.task is None) == (args.train is None):
        raise ValueError(f"{args.command} needs exactly one of --task GLUE_TASK or --train FILE.")
    if args.task:
        from eelbert_tf.data_paths import data_dir
        from eelbert_tf.glue.finetune import GlueRecipe
        from eelbert_tf.glue.tasks import get_task

        task = get_task(args.task)
        glue_dir = args.glue_dir or str(data_dir(args.data_dir) / "glue")
        train = from_glue(task.name, glue_dir, "train")
        dev = from_glue(task.name, glue_dir, next(s for s in task.splits if s.startswith("validation")))
        return train, dev, {"glue_task": task.name}, GlueRecipe().epochs(task.name)
    if args.text_column is None or args.label_column is None:
        raise ValueError("--train needs --text-column and --label-column (and --text-pair-column for pairs).")
    columns = dict(text_column=args.text_column, label_column=args.label_column,
                   text_pair_column=args.text_pair_column, delimiter=args.delimiter)
    train = read_labeled_file(args.train, **columns)
    dev = read_labeled_file(args.dev, label_names=train.label_names, **columns) if args.dev else None
    return train, dev, {"train": args.train, "dev": args.dev, **columns}, None


def _finetune_recipe(args, base):
    """`base` (a `FinetuneRecipe`) with the flags given on the command line over it: the CLI's defaults are the
    API's."""
    import dataclasses

    fields = ("epochs", "learning_rate", "batch_size", "sequence_length", "seed", "max_train_examples", "activation",
              "dropout", "pooling", "distill_alpha", "temperature", "augment", "augment_seed")
    return dataclasses.replace(base, **{k: getattr(args, k) for k in fields if getattr(args, k, None) is not None})


def _cmd_finetune(args) -> int:
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune

    train, dev, source, default_epochs = _training_data(args)
    base = FinetuneRecipe() if default_epochs is None else FinetuneRecipe(epochs=default_epochs)  # GLUE's rule
    info = finetune(args.model, train, dev, args.out, _finetune_recipe(args, base), vocabulary=args.vocab,
                    source=source, verbose=1 if sys.stdout.isatty() else 2, tokenizer=args.tokenizer,
                    teacher=args.teacher, unlabeled=args.unlabeled, teacher_recipe=_teacher_recipe(args))
    print(json.dumps({"out": info["path"], "labels": info["label_names"], **info["metrics"]}, indent=2))
    return 0


def _cmd_augment(args) -> int:
    """Writes every text `eelbert finetune --teacher SCORES.jsonl` will ask the scores file for."""
    from eelbert_tf.classification.finetune import FinetuneRecipe, teacher_texts
    from eelbert_tf.classification.labeled_text import subsample
    from eelbert_tf.classification.teacher import read_unlabeled
    from eelbert_tf.io_utils import write_atomically

    train, dev, _, _ = _training_data(args)
    recipe = _finetune_recipe(args, FinetuneRecipe())  # the texts `eelbert finetune` with the same flags asks for
    train = subsample(train, recipe.max_train_examples)
    pair = train.text_pairs is not None
    extra = read_unlabeled(args.unlabeled, pair) if args.unlabeled else None

    rows, _ = teacher_texts(train, recipe, extra, dev if args.with_dev else None,
                            log=lambda m: print(m, file=sys.stderr))
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            for a, b in rows:
                f.write(json.dumps({"text": a, **({"text_pair": b} if pair else {})}, ensure_ascii=False) + "\n")

    write_atomically(write, args.out, args.out + ".tmp")
    print(json.dumps({"out": args.out, "texts": len(rows)}))
    return 0


def _teacher_recipe(args):
    """How a backbone teacher is fine-tuned (`--teacher-*` flags over `TeacherRecipe`'s defaults)."""
    from eelbert_tf.classification.keras_hub_teacher import TeacherRecipe

    return TeacherRecipe(**{k: v for k, v in {
        "epochs": args.teacher_epochs, "learning_rate": args.teacher_learning_rate,
        "batch_size": args.teacher_batch_size, "sequence_length": args.teacher_sequence_length,
        "max_train_examples": args.teacher_max_train_examples}.items() if v is not None})


def _cmd_distil(args) -> int:
    from eelbert_tf.distil import DistilConfig, distil, report_table, student_recipe, summary_line

    recipe = _finetune_recipe(args, student_recipe())
    teacher_recipe = _teacher_recipe(args)
    train, dev, source, _ = _training_data(args)
    config = DistilConfig(teacher=args.teacher, students=tuple(s.strip() for s in args.student.split(",") if s.strip()),
                          formats=tuple(args.format.split(",")) if args.format else None, recipe=recipe,
                          teacher_recipe=teacher_recipe, unlabeled=args.unlabeled)
    result = distil(config, train, dev, args.out, source=source, verbose=1 if sys.stdout.isatty() else 2,
                    log=lambda m: print(m, file=sys.stderr, flush=True),
                    command="eelbert " + shlex.join(getattr(args, "argv", [])))
    print(report_table(result))
    print(summary_line(result))
    return 0


def _cmd_convert(args) -> int:
    from eelbert_tf.classification.convert import convert

    print(json.dumps({"out": str(convert(args.old, args.new))}))
    return 0


def _cmd_export(args) -> int:
    from eelbert_tf.export.exporter import export

    widths = {}
    if args.hash_buckets is not None:
        text = args.hash_buckets.strip().lower()
        try:
            widths["hash_widths"] = () if text == "none" else tuple(int(w) for w in text.split(","))
        except ValueError:
            raise ValueError(f"--hash-buckets expects 'none' or byte widths like 6,10. Received: {args.hash_buckets!r}")
    if args.per_tensor and not args.int8:
        raise ValueError("--per-tensor sets the scales of int8 weights: give it with --int8.")
    report = export(args.model, args.format, args.out, int8=args.int8, sequence_length=args.sequence_length,
                    int8_weights="per_tensor" if args.per_tensor else "per_channel", **widths)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"wrote {report['path']}: {report['bytes']:,} bytes ({report['bytes'] / 1024:.1f} KiB), "
          f"format {report['format']}{' int8' if report['int8'] else ''}, sequence length {report['sequence_length']}")
    print(f"ops ({len(report['ops'])}): {', '.join(report['ops'])}")
    print(f"runtime: {report['runtime']}")
    return 0


def _cmd_predict(args) -> int:
    from eelbert_tf.export.runner import load_predictor

    return predict.run(args, lambda: load_predictor(args.model, vocabulary=args.vocab))


def _distillation_arguments(parser, teacher=True):
    if teacher:
        parser.add_argument("--teacher", help="distil from a classifier folder (`eelbert finetune`), a keras-hub "
                                              "TextClassifier (folder or .keras), a keras-hub backbone or Hugging Face "
                                              "folder (fine-tuned on your labels first, into OUT.teacher), or a .jsonl "
                                              "file of teacher scores: {\"text\", \"text_pair\"?, \"scores\": [logits]}")
    parser.add_argument("--unlabeled", help="texts of the task's domain for the teacher to label, one per line "
                                            "(pairs: tab-separated)")
    parser.add_argument("--augment", type=int, help="teacher-labelled variants per training text (masking, word "
                                                    "replacement, n-gram sampling; finetune's default 0; distil's: 4 "
                                                    "to 16 by the training set's size, about 64,000 texts in all)")
    parser.add_argument("--augment-seed", type=int, help="seed of the variants (default 0)")


def _teacher_arguments(parser):
    for flag, kind, text in (("--teacher-epochs", int, "backbone teacher: epochs of its fine-tuning (default 2)"),
                             ("--teacher-learning-rate", float, "backbone teacher: peak learning rate (default 5e-5)"),
                             ("--teacher-batch-size", int, "backbone teacher: batch size (default 32)"),
                             ("--teacher-sequence-length", int, "backbone teacher: most tokens per text (default 128)"),
                             ("--teacher-max-train-examples", int, "backbone teacher: fine-tune on a seeded subset")):
        parser.add_argument(flag, type=kind, help=text)


def build_parser() -> argparse.ArgumentParser:
    from eelbert_tf.models.presets import BACKBONE_PRESETS

    parser = argparse.ArgumentParser(prog="eelbert", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="parameter counts and sizes of a preset")
    info.add_argument("--preset", required=True, choices=sorted(BACKBONE_PRESETS), metavar="NAME")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_cmd_info)

    pre = sub.add_parser("pretrain", help="masked-LM pretraining (resumable)")
    pre.add_argument("--preset", required=True, choices=sorted(BACKBONE_PRESETS), metavar="NAME")
    pre.add_argument("--tokens", required=True, type=int, help="training budget in tokens (sequence positions)")
    pre.add_argument("--out", required=True, help="run folder (checkpoints, logs, weights, record.json)")
    pre.add_argument("--corpus", nargs="+", help="corpus files (default: <data dir>/corpus/*)")
    pre.add_argument("--data-dir", help="data folder (default: $EELBERT_DATA_DIR or ../shared/data)")
    pre.add_argument("--cache-dir", help="token cache folder (default: beside --out, keyed by settings)")
    pre.add_argument("--mlm-head", choices=["tied", "separate", "hash_tied"])
    pre.add_argument("--batch-size", type=int, help="sequences per step (default 32, the shipped presets' recipe)")
    pre.add_argument("--sequence-length", type=int)
    pre.add_argument("--learning-rate", type=float, help="peak learning rate (default 2e-3)")
    pre.add_argument("--warmup-ratio", type=float, help="share of the steps in linear warm-up (default 0.1)")
    pre.add_argument("--validation-sequences", type=int)
    pre.add_argument("--checkpoint-every", type=int, help="steps between checkpoints")
    pre.add_argument("--log-every", type=int, help="steps between log lines")
    pre.add_argument("--seed", type=int)
    pre.add_argument("--data-order", choices=["shuffled", "in_order"],
                     help="shuffled (default): one seeded permutation of the cache; in_order: cache order")
    pre.add_argument("--weight-decay", type=float)
    pre.add_argument("--masking", choices=["per_batch", "keras_hub"],
                     help="per_batch (default): masks keyed by seed and batch position (exact across resumes and "
                          "workers); keras_hub: keras-hub's generator, as the shipped presets")
    pre.add_argument("--strategy", choices=["default", "mirrored", "multi-worker", "tpu"],
                     help="tf.distribute strategy: default (one process), mirrored (this machine's GPUs), "
                          "multi-worker (cluster from TF_CONFIG), tpu; --batch-size stays the global batch")
    pre.add_argument("--worker-timeout", type=float,
                     help="seconds to wait for the other workers, at start and whenever one goes silent (default 120)")
    pre.add_argument("--threads", type=int, help="TensorFlow threads (default: all cores)")
    pre.add_argument("--stop-after-steps", type=int, help="stop at this step; finish later with --resume")
    pre.add_argument("--resume", action="store_true", default=None, help="continue from the last checkpoint")
    pre.add_argument("--backbone-arg", action="append", metavar="KEY=VALUE",
                     help="a backbone argument over the preset's, e.g. normalize_first=true (repeatable; "
                          "dropout is 0 unless given, as in the shipped presets' pretraining)")
    pre.add_argument("--tokenizer", choices=("wordpiece", "words"),
                     help="words: pretrain on the vocabulary-free words tokenizer (hash presets only; MLM targets are "
                          "a training-only word vocabulary, dropped after pretraining). Default: wordpiece")
    pre.add_argument("--max-word-bytes", type=int, help="words: the longest word kept whole (default 20)")
    pre.add_argument("--target-words", type=int,
                     help="words: the commonest words that are MLM targets of their own (default 30000)")
    pre.add_argument("--target-buckets", type=int,
                     help="words: hashed buckets shared by every other word's MLM target (default 2048)")
    pre.add_argument("--teacher", help="distil from a frozen teacher masked LM: a shipped preset with an MLM head "
                                       "(bert_tiny_en) or a finished run folder, on the same WordPiece vocabulary")
    pre.add_argument("--distill-kl", type=float, help="weight of the KL to the teacher's MLM distribution (default 1)")
    pre.add_argument("--distill-temperature", type=float, help="softmax temperature of that KL (default 1)")
    pre.add_argument("--distill-hidden", type=float, help="weight of the hidden-state MSE (default 1; 0: off)")
    pre.add_argument("--distill-attention", type=float, help="weight of the attention KL (default 1; 0: off)")
    pre.add_argument("--distill-layer-map", type=lambda v: [int(x) for x in v.split(",")],
                     help="teacher block (1-based) per student block, e.g. 2 or 1,2 (default: uniform)")
    pre.set_defaults(func=_cmd_pretrain)

    ev = sub.add_parser("evaluate-mlm", help="recompute the held-out MLM loss of a run or a shipped preset")
    ev.add_argument("--run", help="a pretraining run folder (with record.json)")
    ev.add_argument("--preset", help="a shipped pretrained preset, e.g. eelbert_uno_en")
    ev.add_argument("--mlm-head-weights", help="the preset's MLM head (default: the file its record names, "
                                               "eelbert_tf/presets/<preset>/mlm_head.npz in a checkout)")
    ev.add_argument("--data-dir")
    ev.add_argument("--cache-dir", help="token cache (default: where the run put it; rebuilt if missing)")
    ev.set_defaults(func=_cmd_evaluate_mlm)

    glue = sub.add_parser("glue", help="fine-tune and evaluate on GLUE dev sets")
    glue.add_argument("--model", required=True, help="a preset name or a pretraining run folder")
    glue.add_argument("--tasks", default="all", help="all, or a comma list: cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli")
    glue.add_argument("--glue-dir", help="folder in the glue_data layout (default: <data dir>/glue)")
    glue.add_argument("--out", required=True, help="folder for results.json and row.md")
    glue.add_argument("--seeds", help="comma list of fine-tuning seeds (default: 0,1,2)")
    glue.add_argument("--epochs", type=int, help="override the recipe's epochs for every task")
    glue.add_argument("--learning-rate", type=float, help="override the recipe's learning rate")
    glue.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    glue.add_argument("--max-train-examples", type=int, help="subsample training sets (recorded in results)")
    glue.add_argument("--tfds-dir", help="TFDS cache (default: $EELBERT_CACHE_DIR or ~/.cache/eelbert_tf)")
    glue.add_argument("--tokenizer", choices=["wordpiece", "words"],
                      help="default: the one the model was pretrained on (WordPiece for an architecture)")
    glue.add_argument("--dropout", type=float, help="replace the backbone's dropout (default: the model's own)")
    glue.add_argument("--pooling", choices=POOLINGS, help="the head's input (default: cls, BERT's pooler)")
    glue.set_defaults(func=_cmd_glue)

    ft = sub.add_parser("finetune", help="fine-tune a classifier on a GLUE task or your own CSV/TSV")
    ft.add_argument("--model", required=True, help="a shipped preset (eelbert_uno_en), an architecture preset "
                                                   "or a pretraining run folder")
    ft.add_argument("--task", help="a GLUE task: cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli")
    ft.add_argument("--train", help="your training file (.csv or .tsv with a header row)")
    ft.add_argument("--dev", help="your dev file (same columns), evaluated after training")
    ft.add_argument("--text-column", help="column holding the text")
    ft.add_argument("--text-pair-column", help="column holding the second text, for two-text tasks")
    ft.add_argument("--label-column", help="column holding the label (kept by name)")
    ft.add_argument("--delimiter", help="field delimiter (default: from the extension)")
    ft.add_argument("--out", required=True, help="new folder for the classifier (.keras, labels.txt, metrics)")
    ft.add_argument("--epochs", type=int, help="default: 3 (GLUE: 3 on large tasks, 5 on small ones)")
    ft.add_argument("--learning-rate", type=float)
    ft.add_argument("--batch-size", type=int)
    ft.add_argument("--sequence-length", type=int)
    ft.add_argument("--seed", type=int)
    ft.add_argument("--max-train-examples", type=int, help="a seeded subset of the training data")
    ft.add_argument("--activation", help="replace the feed-forward activation (relu for --format micro)")
    ft.add_argument("--pooling", choices=POOLINGS,
                    help="the head reads BERT's [CLS] pooler (cls, the default) or the mean of every token's "
                         "output (mean: higher on SST-2 for the one-layer UNO, docs/finetuning.md)")
    ft.add_argument("--dropout", type=float, help="replace the backbone's dropout (default: the model's own; the "
                    "shipped presets keep the dropout they were pretrained with, 0)")
    ft.add_argument("--vocab", help="vocabulary file (default: the BERT uncased one in the data folder)")
    ft.add_argument("--tokenizer", choices=["wordpiece", "words"],
                    help="wordpiece (BERT's, with its vocabulary) or words (vocabulary-free, hash backbones only: "
                         "no tokenizer table on the device); default: the one the model was pretrained on")
    ft.add_argument("--glue-dir", help="folder in the glue_data layout (default: <data dir>/glue)")
    ft.add_argument("--data-dir")
    _distillation_arguments(ft)
    ft.add_argument("--distill-alpha", type=float,
                    help="with --teacher: weight of the labels' loss; 1 - alpha weighs the teacher's (default 0.5)")
    ft.add_argument("--temperature", type=float, help="with --teacher: softmax temperature of the KL term (default 1)")
    _teacher_arguments(ft)
    ft.set_defaults(func=_cmd_finetune)

    au = sub.add_parser("augment", help="list the texts a --teacher scores file must score (JSONL, no scores)")
    for flag, kwargs in (("--task", {}), ("--train", {}), ("--dev", {}), ("--text-column", {}),
                         ("--text-pair-column", {}), ("--label-column", {}), ("--delimiter", {}),
                         ("--glue-dir", {}), ("--data-dir", {}), ("--max-train-examples", {"type": int})):
        au.add_argument(flag, **kwargs)
    _distillation_arguments(au, teacher=False)
    au.add_argument("--with-dev", action="store_true", help="list the dev texts too (the teacher's dev score)")
    au.add_argument("--out", required=True, help="the .jsonl file to write: add \"scores\" to each line")
    au.set_defaults(func=_cmd_augment)

    di = sub.add_parser("distil", help="a teacher (keras-hub classifier or backbone, Hugging Face folder, scores "
                                       "file) to small int8 students, judged against TF-IDF: one command")
    for flag, kwargs in (("--task", {"help": "a GLUE task (or --train/--dev)"}), ("--train", {}), ("--dev", {}),
                         ("--text-column", {}), ("--text-pair-column", {}), ("--label-column", {}),
                         ("--delimiter", {}), ("--glue-dir", {}), ("--data-dir", {})):
        di.add_argument(flag, **kwargs)
    di.add_argument("--teacher", required=True,
                    help="a keras-hub TextClassifier (preset folder or .keras), a keras-hub backbone (folder, "
                         "kaggle:// or hf:// handle, or a Hugging Face folder keras-hub converts: fine-tuned on "
                         "your labels first), a classifier folder from `eelbert finetune`, or a .jsonl scores file")
    di.add_argument("--student", default="eelbert_uno_en",
                    help="student preset(s), comma-separated, each distilled from the same scores; auto: the "
                         f"smallest of {','.join(('eelbert_uno_en', 'eelbert_tiny_en'))} whose int8 file beats "
                         "TF-IDF on dev (default eelbert_uno_en)")
    di.add_argument("--format", help="int8 files to export, comma-separated (default: mediapipe,bytes for one-text "
                                     "classes, else bytes; words students: utf8)")
    di.add_argument("--out", required=True, help="run folder (resumable: the same command continues it)")
    _distillation_arguments(di, teacher=False)
    for flag, kind, text in (("--epochs", int, "student epochs (default 3)"),
                             ("--learning-rate", float, "student peak learning rate (default 1e-3)"),
                             ("--batch-size", int, None), ("--sequence-length", int, None), ("--seed", int, None),
                             ("--max-train-examples", int, "a seeded subset of the training data"),
                             ("--distill-alpha", float, "weight of the labels' loss (default 0.5)"),
                             ("--temperature", float, None)):
        di.add_argument(flag, type=kind, help=text)
    _teacher_arguments(di)
    di.add_argument("--activation", help="replace the students' feed-forward activation (relu for --format micro)")
    di.add_argument("--pooling", choices=POOLINGS, help="the students' head input (default mean)")
    di.set_defaults(func=_cmd_distil)

    cv = sub.add_parser("convert", help="rewrite a classifier saved with the former classes (EelbertClassifier) "
                                        "as an EelbertTextClassifier, once")
    cv.add_argument("old", help="the former classifier folder or .keras file")
    cv.add_argument("new", help="the new folder (or .keras file) to write")
    cv.set_defaults(func=_cmd_convert)

    ex = sub.add_parser("export", help="a fine-tuned classifier to a .tflite file")
    ex.add_argument("--model", required=True, help="a classifier folder from `eelbert finetune` (or its .keras)")
    ex.add_argument("--format", required=True, help="text, mediapipe, bytes, utf8 (words tokenizer only) or micro")
    ex.add_argument("--int8", action="store_true", help="full-integer post-training quantization")
    ex.add_argument("--sequence-length", type=int, help="tokens per input (default: the classifier's)")
    ex.add_argument("--out", required=True, help="the .tflite file to write")
    ex.add_argument("--hash-buckets", help="byte widths tokens are hashed in, e.g. 6,10 (default), or none: "
                                           "one width for all (smaller file, slower hash)")
    ex.add_argument("--per-tensor", action="store_true",
                    help="with --int8: one scale per weight matrix instead of one per output channel (smaller file)")
    ex.add_argument("--json", action="store_true", help="print the report as JSON")
    ex.set_defaults(func=_cmd_export)

    pr = predict.add_arguments(sub.add_parser("predict", help="classify texts with a .keras or .tflite classifier"))
    pr.set_defaults(func=_cmd_predict)
    return parser


# Errors that describe bad input or a damaged file in their message (which names the file):
# the command prints the message alone and exits with status 2. EELBERT_TRACEBACK=1 shows the traceback.
USER_ERRORS = (*predict.USER_ERRORS, CheckpointError)


def quiet_int64_notice():
    """oneDNN writes `E0000 ... supports DT_INT64 only on platforms with AVX-512` at a process's first int64 op on
    a CPU without AVX-512: an error line that is none, which would open every training command's output. One such
    op runs here with that line kept off stderr. It starts TensorFlow's runtime, so it runs before the commands
    that do not set TensorFlow's threads (`pretrain` does, and must first)."""
    with quiet_runtime_logs():
        tf.transpose(tf.zeros([1, 1], tf.int64))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command as given, for the records of what it writes (`eelbert distil`)
    if args.command != "pretrain":
        quiet_int64_notice()
    try:
        return args.func(args)
    except USER_ERRORS as e:
        if os.environ.get("EELBERT_TRACEBACK"):
            raise
        return predict.report_error(args.command, e)


if __name__ == "__main__":
    sys.exit(main())
