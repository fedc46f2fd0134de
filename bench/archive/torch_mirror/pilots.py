"""Recipe pilots for pretraining on a GPU: a PyTorch mirror of the package's TF pretraining.

    python bench/archive/torch_mirror/pilots.py --data .pilot --out OUT --pilots all --steps 15000 --deadline 420

Why it exists. Pretraining on this project's 2-core CPUs takes about an hour per 60M tokens, so a
recipe pilot that must run past BERT-tiny's breakout (about 39M tokens, where its MLM loss leaves the
unigram plateau) costs a session per pilot. Some sessions are lent a GPU machine for minutes; it has
PyTorch but no TensorFlow. This file rebuilds, in PyTorch, exactly the model and recipe that
`eelbert_tf.pretraining.trainer` trains, and runs many pilots at once on that GPU. It never ships a
model: it chooses between recipes, and the chosen recipe is then trained by the package (TF) on the CPU.

What is mirrored (and checked by `tests/bench/test_torch_mirror.py` where torch is installed):
- the backbone (`EelbertBackbone`): token vectors (fixed hash vectors read from the carried reference
  table, or a trainable table) + position + segment embeddings, LayerNorm (eps 1e-12), then keras-hub
  `TransformerEncoder` blocks (post-LN; pre-LN with one final LayerNorm when `prenorm`), GELU, dropout 0;
- the MLM head (keras-hub `MaskedLMHead`): gather at the mask positions, dense + GELU, LayerNorm, logits
  against the table (`tied`) or a separate `hidden x vocabulary` matrix, with a bias;
- the loss (mean cross-entropy over real predictions), AdamW (eps 1e-6, weight decay 0.01 except biases
  and LayerNorms, decoupled as Keras's), Keras's per-variable `clipnorm` 1.0, BERT's initializers
  (truncated normal 0.02), and the `shuffled_v2` schedule (linear warm-up over 10%, linear decay);
- the data: the first sequences of the TF runs' shuffled order, masked by keras-hub's rule (15%, at most
  20 per sequence, 80/10/10), and the cache's fixed pre-masked validation set for the held-out loss.

Not mirrored: TF's random streams (initial weights and masks differ, so curves match in shape, not to
the digit), and data past the carried sequences (they are read again, reshuffled, when a pilot runs past).

Each pilot writes one JSON line per logged step; the driver merges them into `pilots.jsonl` in `--out`.
"""

from __future__ import annotations

import argparse
import json
import lzma
import math
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[3]
BASE = dict(hidden=128, heads=2, intermediate=512, embedding="ngram_hash", head="separate", lr=2e-3,
            warmup=0.1, batch=32, schedule_steps=30_000, pos_std=0.02, proj=None, prenorm=False,
            frozen_table_std=None, layers=1, seed=0, hash_dim=None, pool_rows=0, pool_k=2, top_table=0)
# Each pilot is BASE with a few changes. `schedule_steps` is the length of the learning-rate schedule
# (shuffled_v2's 30,000 steps of 32 x 128 = 122.88M tokens); a pilot may stop before it ends.
PILOTS = {
    # Faithfulness: the TF runs of shuffled_v2 (bench/results/presets_v2) give these curves.
    "bert_tiny": dict(layers=2, embedding="table", head="tied"),
    "eelbert_uno": dict(),
    "eelbert_tiny": dict(layers=2),
    # Which difference between BERT-tiny and EELBERT keeps EELBERT on the plateau?
    "bert_tiny_separate": dict(layers=2, embedding="table", head="separate"),   # the untied head?
    "bert_tiny_frozen": dict(layers=2, embedding="table", head="separate", frozen_table_std=0.02),  # fixed inputs?
    "bert_uno": dict(embedding="table", head="tied"),                             # one layer?
    # Candidate recipes for the hash models.
    "eelbert_uno_proj": dict(proj="identity"),      # trainable hidden x hidden map of the hash vectors
    "eelbert_tiny_proj": dict(layers=2, proj="identity"),
    "eelbert_uno_prenorm": dict(prenorm=True),
    "eelbert_uno_lr5e-3": dict(lr=5e-3),
    "eelbert_uno_headinit": dict(head="separate_hash_init"),  # output matrix started from the hash vectors
    "eelbert_uno_proj_pos": dict(proj="identity", pos_std=0.29),
    # Second round (after the first showed a frozen random table plateauing like the hash): how much
    # trainable input capacity, and of which kind, lets a one-layer hash model leave the plateau?
    "bert_uno_separate": dict(embedding="table", head="separate"),  # the learned-input reference for UNO
    "eelbert_uno_wide1024": dict(hash_dim=1024, proj="wide"),      # wider hash, trainable 1024 x 128 map
    "eelbert_uno_wide4096": dict(hash_dim=4096, proj="wide"),
    "eelbert_uno_mlp": dict(proj="mlp"),                            # hash + a trainable 128-512-128 MLP of it
    "eelbert_uno_pool2k": dict(pool_rows=2048),                     # hash + 2 rows of a trainable 2048 x 128 pool
    "eelbert_uno_top1k": dict(top_table=1024),                      # hash + trainable rows for the 1,024 commonest
}


def config_of(name: str, overrides: dict | None = None) -> dict:
    if name not in PILOTS:
        raise SystemExit(f"Unknown pilot {name!r}. Known: {', '.join(PILOTS)}.")
    return {**BASE, **PILOTS[name], **(overrides or {})}


# ----------------------------------------------------------------------------------------------- model
def build(cfg: dict, hash_table, vocabulary_size: int, top_rows=None):
    import numpy as np
    import torch
    from torch import nn
    import torch.nn.functional as F

    H, V = cfg["hidden"], vocabulary_size

    def trunc(shape, std=0.02):
        w = torch.empty(shape)
        nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std)
        return w

    def dense(i, o):
        layer = nn.Linear(i, o)
        with torch.no_grad():
            layer.weight.copy_(trunc((o, i)))
            layer.bias.zero_()
        return layer

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (dense(H, H) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
            self.ff1, self.ff2 = dense(H, cfg["intermediate"]), dense(cfg["intermediate"], H)

        def attention(self, x, key_mask):
            B, L, _ = x.shape
            nh = cfg["heads"]
            split = lambda t: t.view(B, L, nh, H // nh).transpose(1, 2)  # noqa: E731
            y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                               attn_mask=key_mask)
            return self.o(y.transpose(1, 2).reshape(B, L, H))

        def forward(self, x, key_mask):
            if cfg["prenorm"]:
                x = x + self.attention(self.ln1(x), key_mask)
                return x + self.ff2(F.gelu(self.ff1(self.ln2(x))))
            x = self.ln1(x + self.attention(x, key_mask))
            return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))

    class MaskedLM(nn.Module):
        def __init__(self):
            super().__init__()
            if cfg["embedding"] == "table":
                std = cfg["frozen_table_std"]
                self.table = nn.Parameter(trunc((V, H), std or 0.02), requires_grad=std is None)
            else:
                self.register_buffer("fixed", torch.as_tensor(hash_table, dtype=torch.float32))
            self.proj = self.mlp = self.pool = self.top = None
            if cfg["proj"] == "identity":
                self.proj = nn.Parameter(torch.eye(H))
            elif cfg["proj"] == "wide":
                d = cfg["hash_dim"]
                self.proj = nn.Parameter(trunc((d, H), d ** -0.5))
            elif cfg["proj"] == "mlp":
                self.mlp = nn.Sequential(dense(H, cfg["intermediate"]), nn.GELU(), dense(cfg["intermediate"], H))
            if cfg["pool_rows"]:
                rows = np.random.default_rng(7).integers(0, cfg["pool_rows"], (V, cfg["pool_k"]))
                self.register_buffer("pool_index", torch.as_tensor(rows))
                self.pool = nn.Parameter(trunc((cfg["pool_rows"], H)))
            if cfg["top_table"]:
                self.register_buffer("top_index", torch.as_tensor(top_rows))
                self.top = nn.Parameter(trunc((cfg["top_table"] + 1, H)))
            self.position = nn.Parameter(trunc((512, H), cfg["pos_std"]))
            self.segment = nn.Parameter(trunc((2, H), cfg["pos_std"]))
            self.emb_ln = nn.LayerNorm(H, eps=1e-12)
            self.blocks = nn.ModuleList(Block() for _ in range(cfg["layers"]))
            self.final_ln = nn.LayerNorm(H, eps=1e-12) if cfg["prenorm"] else None
            self.head_dense = dense(H, H)
            self.head_ln = nn.LayerNorm(H, eps=1e-12)
            if cfg["head"] == "separate":
                self.out_kernel = nn.Parameter(trunc((H, V)))
            elif cfg["head"] == "separate_hash_init":  # BERT's tying at the start only, at BERT's scale
                table = torch.as_tensor(hash_table, dtype=torch.float32)
                self.out_kernel = nn.Parameter((table * (0.02 / table.std())).t().contiguous())
            self.out_bias = nn.Parameter(torch.zeros(V))

        def token_vectors(self, ids):
            if cfg["embedding"] == "table":
                return self.table[ids]
            t = self.fixed[ids]
            if self.proj is not None:
                t = t @ self.proj
            if self.mlp is not None:
                t = t + self.mlp(t)
            if self.pool is not None:
                t = t + self.pool[self.pool_index[ids]].sum(-2)
            if self.top is not None:
                t = t + self.top[self.top_index[ids]]  # row 0 (zeros' stand-in) for the rest
            return t

        def forward(self, ids, segments, padding, positions):
            L = ids.shape[1]
            x = self.token_vectors(ids) + self.position[:L][None] + self.segment[segments]
            x = self.emb_ln(x)
            key_mask = padding[:, None, None, :].bool()
            for block in self.blocks:
                x = block(x, key_mask)
            if self.final_ln is not None:
                x = self.final_ln(x)
            x = torch.gather(x, 1, positions[..., None].expand(-1, -1, H))
            x = self.head_ln(F.gelu(self.head_dense(x)))
            kernel = self.table.t() if cfg["head"] == "tied" else self.out_kernel
            return x @ kernel + self.out_bias

    return MaskedLM()


def load_keras_weights(model, weights: dict):
    """Copies a Keras `EelbertMaskedLM`'s weights (`{variable.path: array}`) into the mirror: how
    `tests/bench/test_torch_mirror.py` checks that both compute the same logits."""
    import torch

    def put(param, value):
        with torch.no_grad():
            param.copy_(torch.as_tensor(value, dtype=param.dtype).reshape(param.shape))

    def norm(layer, prefix):
        put(layer.weight, weights[f"{prefix}/gamma"])
        put(layer.bias, weights[f"{prefix}/beta"])

    if hasattr(model, "table"):
        put(model.table, weights["token_embedding/embeddings"])
    put(model.position, weights["position_embedding/embeddings"])
    put(model.segment, weights["segment_embedding/embeddings"])
    norm(model.emb_ln, "embeddings_layer_norm")
    for i, block in enumerate(model.blocks):
        t = f"transformer_layer_{i}"
        for name in ("query", "key", "value"):  # kernel [hidden, heads, head_dim] -> torch [heads*head_dim, hidden]
            k = weights[f"{t}/self_attention_layer/{name}/kernel"]
            put(getattr(block, name[0]).weight, k.reshape(k.shape[0], -1).T)
            put(getattr(block, name[0]).bias, weights[f"{t}/self_attention_layer/{name}/bias"].reshape(-1))
        k = weights[f"{t}/self_attention_layer/attention_output/kernel"]  # [heads, head_dim, hidden]
        put(block.o.weight, k.reshape(-1, k.shape[-1]).T)
        put(block.o.bias, weights[f"{t}/self_attention_layer/attention_output/bias"])
        norm(block.ln1, f"{t}/self_attention_layer_norm")
        norm(block.ln2, f"{t}/feedforward_layer_norm")
        for mine, theirs in ((block.ff1, "feedforward_intermediate_dense"), (block.ff2, "feedforward_output_dense")):
            put(mine.weight, weights[f"{t}/{theirs}/kernel"].T)
            put(mine.bias, weights[f"{t}/{theirs}/bias"])
    if model.final_ln is not None:
        norm(model.final_ln, "final_layer_norm")
    put(model.head_dense.weight, weights["mlm_head/intermediate_dense/kernel"].T)
    put(model.head_dense.bias, weights["mlm_head/intermediate_dense/bias"])
    norm(model.head_ln, "mlm_head/intermediate_layer_norm")
    if hasattr(model, "out_kernel"):
        put(model.out_kernel, weights["mlm_head/output_kernel"])
    put(model.out_bias, weights["mlm_head/output_bias"])


def decay_groups(model):
    """Keras's `exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])`: no decay on biases and
    LayerNorms; the embeddings, projections and kernels decay."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if name.endswith("bias") or "ln" in name.split(".")[-2:][0] else decay).append(p)
    return decay, no_decay


def lr_at(step: int, cfg: dict) -> float:
    """`schedules.WarmupLinearDecay` at the optimizer's iteration count `step` (0 for the first update): linear
    warm-up from 0 to the peak, then linear decay to 0 at the schedule's end. (The pilots logged in
    bench/results/torch_pilots ran with `(step + 1) / warm-up` during warm-up, one step ahead of it.)"""
    total = cfg["schedule_steps"]
    warm = int(cfg["warmup"] * total)
    return cfg["lr"] * min(max(min(step / max(warm, 1), (total - step) / max(total - warm, 1)), 0.0), 1.0)


# ------------------------------------------------------------------------------------------------ data
def load_data(folder: pathlib.Path):
    import numpy as np

    meta = json.loads((folder / "meta.json").read_text())
    L = meta["sequence_length"]
    ids = np.frombuffer(lzma.decompress((folder / "train_ids.u16.xz").read_bytes()), "<u2").reshape(-1, L)
    pairs = np.frombuffer(lzma.decompress((folder / "train_pairs.i16.xz").read_bytes()), "<i2").reshape(-1, 2)
    valid = dict(np.load(folder / "validation.npz"))
    return meta, ids, pairs, valid


def segments_and_padding(torch, pairs, L):
    """`pipeline._segment_and_padding`: segment 1 from the B part's start, padding mask from the length."""
    position = torch.arange(L, device=pairs.device)[None]
    padding = (position < pairs[:, 1:]).long()
    return (position >= pairs[:, :1]).long() * padding, padding


def mask_batch(torch, ids, special, mask_id, V, k, gen):
    """keras-hub `MaskedLMMaskGenerator`'s rule: each non-special token selected with p 0.15, at most
    `k` per sequence (a random subset), at least one; of those 80% [MASK], 10% random, 10% kept."""
    B, L = ids.shape
    candidate = torch.ones_like(ids, dtype=torch.bool)
    for s in special:
        candidate &= ids != s
    u = torch.rand(ids.shape, generator=gen, device=ids.device)
    selected = candidate & (torch.rand(ids.shape, generator=gen, device=ids.device) < 0.15)
    score = torch.where(selected, 2 + u, torch.where(candidate, u, torch.full_like(u, -1.0)))
    top, positions = torch.topk(score, k, dim=1)
    keep = (top >= 2) | ((torch.arange(k, device=ids.device)[None] == 0) & (top >= 0))
    weights = keep.float()
    positions = torch.where(keep, positions, torch.zeros_like(positions))
    targets = torch.gather(ids, 1, positions) * keep
    r = torch.rand(positions.shape, generator=gen, device=ids.device)
    random_ids = torch.randint(0, V, positions.shape, generator=gen, device=ids.device)
    replacement = torch.where(r < 0.8, torch.full_like(targets, mask_id), torch.where(r < 0.9, random_ids, targets))
    masked = ids.clone()
    rows = torch.arange(B, device=ids.device)[:, None].expand(-1, k)
    masked[rows[keep], positions[keep]] = replacement[keep]
    return masked, positions, targets, weights


def hash_vectors(folder: pathlib.Path, meta: dict, embedding: str, dim: int):
    """The vocabulary's hash vectors by the specification's NumPy reference, loaded from its file so that
    the package (and TensorFlow) is not imported; checked against the sum the export recorded."""
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("eelbert_hashing", REPO / "eelbert_tf" / "hashing.py")
    hashing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hashing)
    vocabulary = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:meta["vocabulary_size"]]
    check = hashing.embed_tokens(vocabulary[1000:1010], 128)
    if abs(float(check.astype(np.float64).sum()) - meta["hash_check"]["sum"]) > 1e-9:
        raise SystemExit("The hash reference here differs from the one that exported the data.")
    hash_type = {"ngram_hash": "ngram_pooling", "random_hash": "whole_token"}[embedding]
    return hashing.embed_tokens(vocabulary, dim, hash_type)


# --------------------------------------------------------------------------------------------- training
def run_pilot(name: str, cfg: dict, data: pathlib.Path, out: pathlib.Path, steps: int, deadline: float,
              log_every: int = 250, eval_every: int = 2500, device: str | None = None):
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(cfg["seed"])
    meta, ids_np, pairs_np, valid = load_data(data)
    V, L = meta["vocabulary_size"], meta["sequence_length"]
    special = [meta["special"][t] for t in ("[PAD]", "[CLS]", "[SEP]")]
    mask_id = meta["special"]["[MASK]"]
    k = math.ceil(0.15 * L)
    hash_table = None
    if cfg["embedding"] != "table":
        hash_table = hash_vectors(data, meta, cfg["embedding"], cfg["hash_dim"] or cfg["hidden"])
    top_rows = None
    if cfg["top_table"]:  # the commonest tokens of the carried training data get rows 1..K, the rest row 0
        counts = np.bincount(ids_np.reshape(-1), minlength=V)
        counts[special + [mask_id]] = 0
        top_rows = np.zeros(V, np.int64)
        top_rows[np.argsort(-counts, kind="stable")[:cfg["top_table"]]] = np.arange(1, cfg["top_table"] + 1)
    model = build(cfg, hash_table, V, top_rows).to(device)
    decay, no_decay = decay_groups(model)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-6)
    params = decay + no_decay
    train_ids = torch.as_tensor(ids_np.astype(np.int64), device=device)
    train_pairs = torch.as_tensor(pairs_np.astype(np.int64), device=device)
    v = {key: torch.as_tensor(val.astype(np.int64 if val.dtype != np.float32 else np.float32), device=device)
         for key, val in valid.items()}
    gen = torch.Generator(device=device)
    gen.manual_seed(1234 + cfg["seed"])
    n, B = len(train_ids), cfg["batch"]
    epoch_order = torch.arange(n, device=device)
    started = time.time()
    log_path = out / f"{name}.jsonl"
    log_file = open(log_path, "w")

    def loss_of(ids, pairs, positions, targets, weights):
        segments, padding = segments_and_padding(torch, pairs, L)
        logits = model(ids, segments, padding, positions)
        ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none").view_as(weights)
        correct = (logits.argmax(-1) == targets).float()
        return (ce * weights).sum() / weights.sum(), (correct * weights).sum() / weights.sum()

    @torch.no_grad()
    def held_out():
        model.eval()
        total, acc, count = 0.0, 0.0, 0.0
        for s in range(0, len(v["token_ids_masked"]), 256):
            sl = slice(s, s + 256)
            w = v["mask_weights"][sl]
            loss, a = loss_of(v["token_ids_masked"][sl], v["pairs"][sl], v["mask_positions"][sl], v["mask_ids"][sl], w)
            total += float(loss) * float(w.sum())
            acc += float(a) * float(w.sum())
            count += float(w.sum())
        model.train()
        return total / count, acc / count

    def write(record):
        log_file.write(json.dumps(record) + "\n")
        log_file.flush()

    window, window_n = 0.0, 0
    step = 0
    write({"pilot": name, "config": cfg, "data": {k2: meta[k2] for k2 in ("cache_sha256", "order_fingerprint", "sequences")},
           "device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "torch": torch.__version__})
    while step < steps:
        start = (step * B) % n
        if start + B > n:  # past the carried sequences: read them again in a new order
            epoch_order = torch.randperm(n, generator=gen, device=device)
            start = 0
        rows = epoch_order[start:start + B] if step * B >= n else torch.arange(start, start + B, device=device)
        ids, pairs = train_ids[rows], train_pairs[rows]
        masked, positions, targets, weights = mask_batch(torch, ids, special, mask_id, V, k, gen)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        loss, _ = loss_of(masked, pairs, positions, targets, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        # Keras's clipnorm: each variable's gradient clipped to norm 1.0 on its own.
        grads = [p.grad for p in params]
        norms = torch._foreach_norm(grads)
        torch._foreach_mul_(grads, [torch.clamp(1.0 / (nm + 1e-12), max=1.0) for nm in norms])
        optimizer.step()
        step += 1
        window = window + loss.detach()
        window_n += 1
        if step % log_every == 0:
            record = {"pilot": name, "step": step, "tokens": step * B * L, "train_loss": float(window) / max(window_n, 1),
                      "lr": lr_at(step, cfg), "seconds": round(time.time() - started, 1)}
            window, window_n = 0.0, 0
            if step % eval_every == 0:
                record["val_loss"], record["val_accuracy"] = held_out()
            write(record)
        if time.time() > deadline:
            break
    val_loss, val_acc = held_out()
    write({"pilot": name, "final": True, "step": step, "tokens": step * B * L, "val_loss": val_loss,
           "val_accuracy": val_acc, "seconds": round(time.time() - started, 1)})
    log_file.close()
    print(f"{name}: step {step} held-out {val_loss:.3f} / {val_acc:.2%} in {time.time() - started:.0f} s", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the folder export_pilot_data.py wrote")
    p.add_argument("--out", required=True)
    p.add_argument("--pilots", default="all", help="comma-separated names, or 'all'")
    p.add_argument("--steps", type=int, default=15_000)
    p.add_argument("--deadline", type=float, default=None, help="seconds from now after which every pilot stops")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a child process: one pilot
    p.add_argument("--at", type=float, default=None, help=argparse.SUPPRESS)
    p.add_argument("--device", default=None)
    p.add_argument("--log-every", type=int, default=250)
    p.add_argument("--eval-every", type=int, default=2500)
    a = p.parse_args(argv)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.one:
        run_pilot(a.one, config_of(a.one), pathlib.Path(a.data), out, a.steps, a.at, a.log_every, a.eval_every,
                  a.device)
        return
    names = list(PILOTS) if a.pilots == "all" else a.pilots.split(",")
    for name in names:
        config_of(name)
    at = time.time() + (a.deadline if a.deadline else 1e9)
    children = []
    for name in names:
        cmd = [sys.executable, __file__, "--data", a.data, "--out", str(out / "parts"), "--one", name,
               "--steps", str(a.steps), "--at", str(at), "--log-every", str(a.log_every),
               "--eval-every", str(a.eval_every)] + (["--device", a.device] if a.device else [])
        children.append(subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}))
    codes = [c.wait() for c in children]
    with open(out / "pilots.jsonl", "w") as merged:
        for name in names:
            part = out / "parts" / f"{name}.jsonl"
            if part.exists():
                merged.write(part.read_text())
    for part in (out / "parts").glob("*.jsonl"):
        part.unlink()
    (out / "parts").rmdir()
    print(f"exit codes {dict(zip(names, codes))}; merged log {out / 'pilots.jsonl'}", flush=True)


if __name__ == "__main__":
    main()
