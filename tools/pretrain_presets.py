"""Pretrains the shipped models on one equal budget, exports them, writes the pretraining table.

    python tools/pretrain_presets.py --models eelbert_uno,eelbert_tiny,bert_tiny,random_hash_tiny \
        [--recipe shuffled_v2 --runs runs/presets_v2]   # the retraining (pretraining issue)
    python tools/pretrain_presets.py --table-only

Recipe `v1` (the presets shipped so far): 61,440,000 tokens (7,500 steps of 64 x 128), cache
order, AdamW at 1e-3 with 5% warm-up and linear decay, dropout 0.1, seed 0, the default MLM
head. Recipe `shuffled_v2` (chosen by the shuffled recipe pilots, BENCHMARKS.md): 122,880,000
tokens, the seeded permutation of the cache, batch 32 x 128, peak 2e-3 with 10% warm-up,
dropout 0 in pretraining. Every model of a recipe sees the same token cache (so the
same sequences in the same order). A run that is interrupted resumes from its last checkpoint when the
command is repeated; a finished run is reused. Each finished run is exported to
`eelbert_tf/presets/<model>_en/` (BERT's table in float16, which changes no measured
figure; the EELBERT models in float32), and the "Pretraining" section of BENCHMARKS.md
is rewritten from the shipped records.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))  # _report

import _report  # noqa: E402

RECIPES = {
    "v1": {"tokens": 61_440_000, "cache": "cache_61M", "settings": {"data_order": "in_order", "masking": "keras_hub",
                                                                  # PretrainConfig's defaults before issue 27
                                                                  "batch_size": 64, "learning_rate": 1e-3,
                                                                  "warmup_ratio": 0.05}},
    "shuffled_v2": {"tokens": 122_880_000, "cache": "cache_123M",
                    "settings": {"batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1,
                                 "backbone_overrides": {"dropout": 0.0}, "masking": "keras_hub"}},
    # shuffled_v2, with the hash vectors scaled to the spread of BERT's initial embeddings (hash models only:
    # BERT's table rows already start at the positions' scale). Same cache, order, schedule and masks.
    "shuffled_v3": {"tokens": 122_880_000, "cache": "cache_123M",
                    "settings": {"batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1,
                                 "backbone_overrides": {"dropout": 0.0}, "masking": "keras_hub"},
                    "hash_overrides": {"token_embedding_scale": 0.07}},
    # shuffled_v2, with the hash models' position and segment embeddings started at the spread of their
    # fixed token vectors (0.29 for n-gram pooling, 0.58 for the random hash) instead of 0.02: the
    # balance BERT starts with (its table rows and positions both at 0.02), kept at the tokens' scale
    # so AdamW's steps do not swamp the tokens as they did with shuffled_v3. Same cache, order, masks.
    "shuffled_v4": {"tokens": 122_880_000, "cache": "cache_123M",
                    "settings": {"batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1,
                                 "backbone_overrides": {"dropout": 0.0}, "masking": "keras_hub"},
                    "embedding_overrides": {"ngram_hash": {"position_embedding_stddev": 0.29},
                                            "random_hash": {"position_embedding_stddev": 0.58}}},
    # shuffled_v2 with the frozen `bert_tiny_en` preset as teacher (`eelbert pretrain --teacher`, issue 27): KL to
    # its MLM distribution at the masked positions (T 1), MSE of the last hidden states and KL of the last block's
    # attention distributions per head, each weight 1 (the `distil-all` pilot, BENCHMARKS.md "Distillation
    # pilots"). Same cache, order, batch, peak rate, warm-up share and masks as shuffled_v2, on a third of its
    # tokens (10,000 steps): a distilled step costs 2x a plain one here (about 7K tokens/s on one thread), and a
    # run must finish inside one 3-hour session, because nothing outside the repository survives between
    # sessions on this machine (an 81 MB checkpoint, teacher included, is no thing to commit each session).
    # Ships as `<model>_distilled_en`; the plain presets stay the paper's equal-budget comparison.
    "distilled_v1": {"tokens": 40_960_000, "cache": "cache_123M", "suffix": "distilled",
                     "settings": {"batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1,
                                  "backbone_overrides": {"dropout": 0.0}, "masking": "keras_hub",
                                  "teacher": "bert_tiny_en", "distill_kl": 1.0, "distill_hidden": 1.0,
                                  "distill_attention": 1.0}},
    # shuffled_v2 on the vocabulary-free words tokenizer (the vocabulary-free issue): the same budget, batch,
    # schedule and seed; the cache holds words (ids ranked by frequency, MLM targets the 30,000 commonest words
    # and 2,048 hashed buckets); masks drawn per batch (the same 15% / 80-10-10 rule as keras-hub's generator,
    # from a generator keyed by seed and batch, so a resumed run sees the same masks). Hash models only; the
    # preset ships as `<model>_words_en`, without an MLM head (its output layer predicts the training-only words).
    "words_v2": {"tokens": 122_880_000, "cache": "cache_123M_words",
                 "settings": {"batch_size": 32, "learning_rate": 2e-3, "warmup_ratio": 0.1,
                              "backbone_overrides": {"dropout": 0.0}, "masking": "per_batch", "tokenizer": "words"}},
}
REPO = pathlib.Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
WEIGHTS_DTYPE = {"bert_tiny": "float16"}


def pretrain_and_export(model, runs, threads=None, recipe="v1"):
    from eelbert_tf.models.preset_writer import PRESETS_DIR, export_preset, record_shipped_evaluation
    from eelbert_tf.models.presets import MLM_HEAD_FILE
    from eelbert_tf.pretraining.evaluation import evaluate_preset, export_mlm_head

    out = train_only(model, runs, threads, recipe)
    r = RECIPES[recipe]
    name = preset_name(model, recipe)
    folder = PRESETS_DIR / name
    if not _exported_from(folder, out):
        folder = export_preset(out, name, dtype=WEIGHTS_DTYPE.get(model, "float32"))
    if _words(recipe):
        # No MLM head to ship (its targets are the training-only words); the weights are shipped in float32,
        # the very values the run evaluated, so its held-out figure is the shipped weights' own.
        run = json.loads((out / "record.json").read_text())
        record_shipped_evaluation(name, {"loss": run["heldout_mlm_loss"], "accuracy": run["heldout_mlm_accuracy"]},
                                  None)
        return folder
    # The held-out MLM loss of the weights exactly as shipped (float16 for BERT's table), with the MLM head
    # beside them (float16; in a checkout, not in the wheel: `presets.shipped_mlm_head`): `eelbert evaluate-mlm
    # --preset` recomputes it from a clean checkout, and it shows whether rounding lost anything against the
    # run's float32 figure.
    head = export_mlm_head(out, folder / MLM_HEAD_FILE)
    evaluation = evaluate_preset(name, head, cache_dir=runs / r["cache"])
    record_shipped_evaluation(name, evaluation, MLM_HEAD_FILE)
    return folder


STAGED = REPO / "bench" / "results"


def stage(model, runs, recipe):
    """Copies a finished run's backbone (shipped dtype and config), record, log, loss curve and MLM head
    into bench/results/presets_<recipe>/: a run folder under runs/ may not outlive its session, and the
    presets are shipped together only when every model of the recipe is done."""
    from eelbert_tf.models.preset_writer import export_preset
    from eelbert_tf.pretraining.evaluation import export_mlm_head

    out, name = runs / model, preset_name(model, recipe)
    staged = _staged(recipe)
    if not (out / "record.json").is_file():
        raise SystemExit(f"{out} has no record.json: the run is not finished.")
    folder = export_preset(out, name, presets_dir=staged, dtype=WEIGHTS_DTYPE.get(model, "float32"))
    for extra in ("train_log.jsonl", "loss_curve.png"):
        (folder / extra).write_bytes((out / extra).read_bytes())
    head = export_mlm_head(out, staged / f"{name}.mlm_head.npz")
    print(f"staged {folder} and {head}", flush=True)
    return folder


def ship(model, runs, recipe):
    """Ships a staged preset (`stage`): its backbone folder into eelbert_tf/presets/ (replacing the one
    there, through a temporary sibling and renames), its MLM head beside its weights, then measures
    the held-out MLM loss of the weights exactly as shipped and records it."""
    import shutil

    from eelbert_tf.io_utils import replace_folder
    from eelbert_tf.models.preset_writer import PRESETS_DIR, record_shipped_evaluation
    from eelbert_tf.models.presets import MLM_HEAD_FILE
    from eelbert_tf.pretraining.evaluation import evaluate_preset

    name = preset_name(model, recipe)
    staged = _staged(recipe)
    source, target = staged / name, PRESETS_DIR / name
    if not (source / "record.json").is_file():
        raise SystemExit(f"{source} is not staged: run --stage first.")
    if not (source / "model.weights.h5").is_file() or not (staged / f"{name}.mlm_head.npz").is_file():
        # Once shipped, a staged folder keeps its record, log and loss curve (what the tables read), not the
        # weights and MLM head, which live in eelbert_tf/presets/.
        raise SystemExit(f"{source} holds no weights or MLM head (shipped already): run --stage again first.")
    tmp = target.with_name(f".{name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)  # keras-hub's preset layout, record and loss curve
    replace_folder(tmp, target)
    head = target / MLM_HEAD_FILE
    shutil.copy2(staged / f"{name}.mlm_head.npz", head)
    evaluation = evaluate_preset(name, head, cache_dir=runs / RECIPES[recipe]["cache"])
    record_shipped_evaluation(name, evaluation, MLM_HEAD_FILE)
    print(f"shipped {target}: held-out MLM loss as shipped {evaluation['loss']:.4f}", flush=True)


def plot_heldout_against_tokens(folders, path):
    """Each shipped preset's loss against tokens: the training loss, which on shuffled data read once
    is measured on sequences the model has not trained on yet (a running held-out estimate), and
    the held-out loss of the finished run on the cache's validation set (a marker)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.4), dpi=110)
    for folder in folders:
        log = folder / "train_log.jsonl"
        if not log.is_file():
            continue
        rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        record = json.loads((folder / "record.json").read_text())
        line, = ax.plot([r["tokens"] / 1e6 for r in rows], [r["loss"] for r in rows], lw=0.9, alpha=0.8,
                        label=f"{folder.name} (held-out {record['heldout_mlm_loss']:.2f})")
        ax.plot([record["tokens_seen"] / 1e6], [record["heldout_mlm_loss"]], "o", color=line.get_color())
    ax.axhline(6.42, color="grey", ls=":", lw=1, label="unigram entropy of the corpus (6.42)")
    ax.set_xlabel("tokens seen (millions)")
    ax.set_ylabel("MLM loss (nats per masked token)")
    ax.set_ylim(top=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _words(recipe):
    """Whether `recipe` pretrains on the vocabulary-free words tokenizer."""
    return RECIPES[recipe]["settings"].get("tokenizer") == "words"


def _staged(recipe):
    """bench/results/presets_<version>/ (`shuffled_v2`: presets_v2), or presets_<recipe> for a named recipe."""
    return STAGED / (f"presets_{recipe}" if RECIPES[recipe].get("suffix") else f"presets_{recipe.split('_')[-1]}")


def preset_name(model, recipe):
    """The shipped name of `model` trained by `recipe`: `<model>_en`, `<model>_words_en` without a vocabulary,
    `<model>_<suffix>_en` for a recipe that names one (`distilled_v1`: `<model>_distilled_en`)."""
    if _words(recipe):
        return f"{model}_words_en"
    suffix = RECIPES[recipe].get("suffix")
    return f"{model}_{suffix}_en" if suffix else f"{model}_en"


def reconfigure():
    """Ships every preset (and its staged copy) with its backbone config exactly as pretrained. The v2 presets were
    first shipped with dropout 0.1 put back for fine-tuning after pretraining without it; fine-tuned that way
    BERT-tiny lost most of STS-B and CoLA (`bench/archive/finetune_diagnosis.py`), so they now keep dropout 0. The weights
    do not change; their fingerprint does, so GLUE results of the former config are not reused."""
    from eelbert_tf.models.preset_writer import pretrained_presets, set_shipped_config

    for name, folder in pretrained_presets().items():
        if "config_updates" not in json.loads((folder / "record.json").read_text())["shipped"]:
            continue
        for root in [None, *(p.parent for p in sorted(STAGED.glob(f"presets_*/{name}")))]:
            config = set_shipped_config(name, None, presets_dir=root)
            print(f"{root or 'eelbert_tf/presets'}/{name}: shipped as pretrained (dropout {config['dropout']})")


def train_only(model, runs, threads=None, recipe="v1"):
    from eelbert_tf.pretraining.trainer import PretrainConfig, pretrain

    r = RECIPES[recipe]
    out = runs / model
    settings = dict(r["settings"])
    if r.get("hash_overrides") and not model.startswith("bert"):
        settings["backbone_overrides"] = {**settings.get("backbone_overrides", {}), **r["hash_overrides"]}
    if r.get("embedding_overrides"):
        from eelbert_tf.models.presets import backbone_config

        extra = r["embedding_overrides"].get(backbone_config(model)["embedding_type"], {})
        settings["backbone_overrides"] = {**settings.get("backbone_overrides", {}), **extra}
    if not (out / "record.json").exists():
        pretrain(PretrainConfig(preset=model, tokens=r["tokens"], out_dir=str(out), cache_dir=str(runs / r["cache"]),
                                checkpoint_every=250, log_every=50, resume=True, threads=threads, **settings))
    return out


def _shipped_loss(record):
    """The held-out loss of the weights as shipped: measured again when they were rounded (float16)."""
    shipped = record["shipped"]
    if "heldout_mlm_loss" in shipped:
        return f"{shipped['heldout_mlm_loss']:.3f} ({shipped['weights_dtype']})"
    return "same (float32)" if shipped["weights_dtype"] == "float32" else "not measured"


def _exported_from(folder, run):
    """Whether the shipped preset in `folder` already holds this run's weights (then it is left alone)."""
    if not (folder / "record.json").is_file():
        return False
    shipped, trained = (json.loads((p / "record.json").read_text()) for p in (folder, run))
    return all(shipped.get(k) == trained.get(k) for k in ("commit", "steps", "wall_seconds", "final_train_loss"))


# Runs trained before records listed their sessions (`record["sessions"]`), with more than one.
# random_hash_tiny was stopped by a session's end at step 4,250 and resumed in the next; the
# training code is the same at both commits (`git diff 2e2ecbe de670e4 -- eelbert_tf` changes only
# how files are written and the evaluation helpers).
EARLIER_SESSIONS = {"random_hash_tiny_en": "2e2ecbe (from step 0), de670e4 (from step 4,250)"}


def _commits(name, record):
    """The commit(s) that trained a run (older multi-session runs from EARLIER_SESSIONS)."""
    if name in EARLIER_SESSIONS and len(record.get("sessions") or []) < 2:
        return EARLIER_SESSIONS[name]
    return _report.commit_cell(record)


def _recipe_of(record):
    """The recipe (a key of RECIPES) whose settings a run's record holds."""
    c = record["config"]
    for name, r in RECIPES.items():
        settings = r["settings"]
        if (c["tokens"] == r["tokens"] and c.get("data_order", "in_order") == settings.get("data_order", "shuffled")
                and c.get("tokenizer", "wordpiece") == settings.get("tokenizer", "wordpiece")
                and c["batch_size"] == settings.get("batch_size", 64)
                and c["learning_rate"] == settings.get("learning_rate", 1e-3)):
            extra = (c.get("backbone_overrides") or {})
            wanted = dict(settings.get("backbone_overrides") or {})
            if r.get("hash_overrides") and not c["preset"].startswith("bert"):
                wanted.update(r["hash_overrides"])
            for embedding, more in (r.get("embedding_overrides") or {}).items():
                if not c["preset"].startswith("bert") and (embedding == "random_hash") == c["preset"].startswith("random"):
                    wanted.update(more)
            if extra == wanted:
                return f"`{name}`"
    return "other"


def write_table(runs=pathlib.Path("runs/presets")):
    from eelbert_tf.models.pretrained import pretrained_presets
    from eelbert_tf.pretraining.evaluation import plot_loss_curves

    rows = []
    for name, folder in pretrained_presets().items():
        r = json.loads((folder / "record.json").read_text())
        rows.append(
            f"| `{name}` | {_recipe_of(r)} | {r['shipped']['parameters']:,} | {r['shipped']['weights_dtype']} | "
            f"{r['mlm_head']} | {r['tokens_seen']:,} | {r['steps']:,} | {r['config'].get('threads') or 'all'} | "
            f"{r['wall_seconds'] / 60:.0f} min | "
            f"{r['tokens_seen'] / r['wall_seconds']:,.0f} | {_report.train_loss_cell(r)} | "
            f"{r['heldout_mlm_loss']:.3f} | {100 * r['heldout_mlm_accuracy']:.2f}% | {_shipped_loss(r)} | "
            f"{_commits(name, r)} |"
        )
    body = "\n".join([
        "Shipped pretrained backbones (`eelbert_tf/presets/`), each trained by this command on this project's "
        "2-core CPU from a token cache of Wikipedia + Gutenberg (`../shared/data/corpus`; sha256 in each "
        "record.json) with the recipe its row names (`RECIPES` in tools/pretrain_presets.py: `v1` read the cache in "
        "document order at batch 64, the `shuffled_v2` runs read one seeded permutation of a twice-as-large cache "
        "at batch 32, no dropout). Rows of one recipe saw the same sequences in the same order. Tokens count "
        "sequence positions (the cache is 99% full). Held-out MLM loss and accuracy are on the cache's fixed, "
        "pre-masked validation sequences (held-out documents; the 61M and 123M caches hold the same ones), "
        "reproduced by `eelbert evaluate-mlm --run <run folder>` (float32); the next column is the same measurement "
        "of the weights exactly as shipped, with the MLM head beside the weights (float16), recomputed from "
        "a clean checkout by `eelbert evaluate-mlm --preset <model>_en` (it rebuilds the token cache from the "
        "corpus if missing and checks its sha256). Parameters shipped exclude the MLM head. Wall time and tokens/s "
        "are those of the run as it was scheduled (its TF threads column; a one-thread run had the other core busy); "
        "`bench/pretrain_throughput.py` is the like-for-like speed comparison. The last column names the commit(s) "
        "that trained each run (a stopped run resumes from its last checkpoint; each session is listed with the "
        "step it started from).",
        "",
        "| preset | recipe | parameters shipped | weights | MLM head | tokens | steps | TF threads | wall time | "
        "tokens/s | final train loss | held-out MLM loss | held-out MLM accuracy | held-out loss, shipped weights "
        "| commit |",
        "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        _report.TRAIN_LOSS_NOTE,
    ])
    if any(name.endswith("_words_en") for name in pretrained_presets()):
        body += ("\n\nA `_words_en` row (recipe `words_v2`) was pretrained on the vocabulary-free words tokenizer: its "
                 "tokens are whole words, and its MLM targets are the 30,000 commonest words of the training "
                 "sequences, every other word one of 2,048 buckets by a hash of its bytes. That is another "
                 "prediction problem over another token sequence, so its MLM loss does not compare with the "
                 "WordPiece rows'; GLUE compares the models (BENCHMARKS.md, \"GLUE\"). It ships without an MLM "
                 "head: its held-out figures are the run's own, measured on the same float32 weights.")
    staged = []  # the staged copy of each shipped preset (same weights), which keeps its training log
    for name, folder in pretrained_presets().items():
        sha = json.loads((folder / "record.json").read_text())["shipped"]["weights_sha256"]
        staged += [f for f in sorted(STAGED.glob(f"presets_*/{name}")) if (f / "train_log.jsonl").is_file()
                   and json.loads((f / "record.json").read_text())["shipped"]["weights_sha256"] == sha][:1]
    if staged:
        plot_heldout_against_tokens(staged, DOCS / "pretraining_heldout_vs_tokens.png")
        body += "\n\n![MLM loss against tokens, held-out loss marked](docs/pretraining_heldout_vs_tokens.png)"
    finished = [runs / name[: -len("_en")] for name in pretrained_presets() if (runs / name[: -len("_en")]).is_dir()]
    if finished and not staged:
        plot_loss_curves(finished, DOCS / "pretraining_loss_curves.png", labels=[p.name for p in finished])
        body += "\n\n![training MLM loss against tokens](docs/pretraining_loss_curves.png)"
    _report.write_section("Pretraining", body, "python tools/pretrain_presets.py --models ...")
    print(body)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="eelbert_uno,eelbert_tiny,bert_tiny,random_hash_tiny")
    parser.add_argument("--runs", default="runs/presets")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="v1")
    parser.add_argument("--no-export", action="store_true", help="train only (export when all models are done)")
    parser.add_argument("--stage", action="store_true",
                        help="copy the finished runs to bench/results/presets_<recipe>/ (nothing else)")
    parser.add_argument("--ship", action="store_true",
                        help="ship the staged presets of --recipe (bench/results/presets_<recipe>/), then the table")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--reconfigure", action="store_true",
                        help="ship every preset with its config as pretrained (no config_updates); weights unchanged")
    args = parser.parse_args(argv)
    if args.reconfigure:
        reconfigure()
        return
    if args.stage:
        for model in args.models.split(","):
            stage(model, pathlib.Path(args.runs), args.recipe)
        return
    if args.ship:
        for model in args.models.split(","):
            ship(model, pathlib.Path(args.runs), args.recipe)
        write_table(pathlib.Path(args.runs))
        return
    if not args.table_only:
        for model in args.models.split(","):
            if args.no_export:
                train_only(model, pathlib.Path(args.runs), args.threads, args.recipe)
                continue
            print(f"exported {pretrain_and_export(model, pathlib.Path(args.runs), args.threads, args.recipe)}",
                  flush=True)
    if not args.no_export:  # the table and plot describe the shipped presets
        write_table(pathlib.Path(args.runs))


if __name__ == "__main__":
    main()
