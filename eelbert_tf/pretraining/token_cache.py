"""The pretraining token cache: a corpus tokenized once and packed into sequences.

Every model pretrained on a cache sees the same sequences in the same order, and
a resumed run restarts at an index into it. Building it:

1. Documents are read from each corpus file (`corpus.iter_documents`) and the
   files are interleaved in proportion to their sizes: the next document always
   comes from the file with the smallest share read so far (characters read over
   file size), so the mix is fixed and needs no random draw.
2. Every `holdout_every`-th document of each file is held out for validation
   (until `validation_sequences` are filled; later held-out documents are
   skipped, never trained on).
3. Sentences are tokenized in batches by `EelbertTokenizer` (the in-graph TF
   Text WordPiece used everywhere else).
4. A document's tokens are cut into consecutive windows of `sequence_length - 3`
   tokens; each window becomes `[CLS] A [SEP] B [SEP]`, split at a sentence
   boundary drawn at random inside the window (at a random token if it has
   none), as BERT pairs consecutive text. Nothing is truncated; the last window
   of a document is shorter and padded. There is no next-sentence objective.
5. The validation sequences are masked once (keras-hub's rule, a seeded NumPy
   draw) and stored, so held-out MLM loss is comparable across models and
   reruns, and a rebuilt cache is identical.

With `tokenizer="words"` (the vocabulary-free words tokenizer, `docs/hash_spec.md` section 9) step 3
tokenizes into words and gives each distinct word an id; the ids are then renumbered by frequency in the
training sequences (the five special tokens first), and the cache keeps the words themselves
(`words.npy`: what the hash embedding reads) and each word's MLM target: the `target_words` commonest
(special tokens included) are targets of their own, every other word shares one of `target_buckets`
buckets chosen by a hash of its bytes. That target vocabulary exists for pretraining only and is dropped
with the output layer afterwards; the model itself never sees a vocabulary.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import time

import numpy as np

from eelbert_lite.vocabulary import SPECIAL_TOKENS, vocabulary_sha256
from eelbert_tf.io_utils import file_sha256
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_tf.preprocessing.masking import mask_rows
from eelbert_tf.preprocessing.word_tokenizer import TOKENIZERS
from eelbert_tf.pretraining.corpus import iter_mixed_documents
from eelbert_tf.pretraining.word_targets import WordIds

CACHE_VERSION = 1


class _Packer:
    def __init__(self, sequence_length, cls_id, sep_id, rng, dtype=np.uint16):
        self.sequence_length = sequence_length
        self.dtype = dtype
        self.window = sequence_length - 3
        self.cls_id, self.sep_id, self.rng = cls_id, sep_id, rng

    def pack(self, sentence_ids: list[np.ndarray]):
        """Rows (token ids [L], b_start, length) for one tokenized document."""
        sentence_ids = [s for s in sentence_ids if len(s)]
        if not sentence_ids:
            return
        ids = np.concatenate(sentence_ids)
        ends = np.cumsum([len(s) for s in sentence_ids])
        for start in range(0, len(ids), self.window):
            piece = ids[start : start + self.window]
            if len(piece) < 2:
                continue
            inner = ends[(ends > start) & (ends < start + len(piece))] - start
            a_len = int(self.rng.choice(inner)) if len(inner) else int(self.rng.integers(1, len(piece)))
            a, b = piece[:a_len], piece[a_len:]
            row = np.zeros(self.sequence_length, self.dtype)
            seq = [self.cls_id, *a, self.sep_id, *b, self.sep_id]
            row[: len(seq)] = seq
            yield row, len(a) + 2, len(seq)


def build_token_cache(
    corpus_paths,
    out_dir,
    train_tokens: int,
    vocabulary=None,
    sequence_length: int = 128,
    validation_sequences: int = 1024,
    holdout_every: int = 100,
    seed: int = 0,
    sentence_batch: int = 8192,
    log=print,
    tokenizer: str = "wordpiece",
    max_word_bytes: int = 20,
    target_words: int = 30_000,
    target_buckets: int = 2_048,
) -> pathlib.Path:
    """Builds (or reuses) the cache in `out_dir`; returns its path.

    `train_tokens` counts sequence positions (`sequence_length` per sequence), the
    unit of every budget in this package. If `out_dir` already holds a complete
    cache with the same settings and corpus checksums, it is reused; if it holds
    a different one, ValueError says what differs.
    """
    import tensorflow as tf

    if tokenizer not in TOKENIZERS:
        raise ValueError(f"`tokenizer` must be one of {TOKENIZERS}. Received: {tokenizer!r}")
    words = tokenizer == "words"
    out_dir = pathlib.Path(out_dir)
    corpus_paths = [pathlib.Path(p) for p in corpus_paths]
    if words:
        if target_words < len(SPECIAL_TOKENS) or target_buckets < 1:
            raise ValueError(f"`target_words` must be at least {len(SPECIAL_TOKENS)} and `target_buckets` at least 1. "
                             f"Received: {target_words}, {target_buckets}")
        tokenizer = WordIds(max_word_bytes)
        vocabulary_setting = {"tokenizer": "words", "max_word_bytes": tokenizer.max_word_bytes,
                              "target_words": int(target_words), "target_buckets": int(target_buckets)}
    else:
        tokenizer = EelbertTokenizer(vocabulary=vocabulary)
        vocabulary_setting = {"vocabulary_sha256": vocabulary_sha256(tokenizer.vocabulary)}
    n_train = -(-int(train_tokens) // sequence_length)
    settings = {
        "cache_version": CACHE_VERSION,
        "corpus": [{"file": p.name, "bytes": p.stat().st_size, "sha256": file_sha256(p)} for p in corpus_paths],
        **vocabulary_setting,
        "sequence_length": sequence_length,
        "train_sequences": n_train,
        "validation_sequences": validation_sequences,
        "holdout_every": holdout_every,
        "seed": seed,
    }
    meta_path = out_dir / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("settings") == settings:
            log(f"token cache: reusing {out_dir}")
            return out_dir
        differs = sorted(k for k in settings if meta.get("settings", {}).get(k) != settings[k])
        raise ValueError(f"Token cache {out_dir} was built with other settings ({', '.join(differs)}).")

    rng = np.random.default_rng(seed)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    dtype = np.uint32 if words else np.uint16
    packer = _Packer(sequence_length, cls_id, sep_id, rng, dtype)
    train = np.zeros((n_train, sequence_length), dtype)
    train_pair = np.zeros((n_train, 2), np.int16)
    valid = np.zeros((validation_sequences, sequence_length), dtype)
    valid_pair = np.zeros((validation_sequences, 2), np.int16)
    counts = {"train": 0, "validation": 0, "documents": 0, "skipped_heldout_documents": 0}
    started = time.time()

    def add(split_rows, doc_sentences):
        for doc_key, ids in zip(split_rows, doc_sentences):
            target, pairs, key = (
                (train, train_pair, "train") if doc_key == "train" else (valid, valid_pair, "validation")
            )
            for row, b_start, length in packer.pack(ids):
                i = counts[key]
                if i >= len(target):
                    break
                target[i], pairs[i] = row, (b_start, length)
                counts[key] = i + 1

    pending_docs, pending_keys = [], []
    for source, index, doc in iter_mixed_documents(corpus_paths):
        heldout = index % holdout_every == 0
        if heldout and counts["validation"] >= validation_sequences:
            counts["skipped_heldout_documents"] += 1
            continue
        pending_docs.append(doc)
        pending_keys.append("validation" if heldout else "train")
        counts["documents"] += 1
        if sum(len(d) for d in pending_docs) >= sentence_batch:
            add(pending_keys, _tokenize_documents(tokenizer, pending_docs, tf))
            pending_docs, pending_keys = [], []
            log(
                f"token cache: {counts['train']:,}/{n_train:,} train sequences, "
                f"{counts['validation']:,} validation, {time.time() - started:.0f} s"
            )
            if counts["train"] >= n_train and counts["validation"] >= validation_sequences:
                break
    if pending_docs:
        add(pending_keys, _tokenize_documents(tokenizer, pending_docs, tf))
    if counts["train"] < n_train or counts["validation"] < validation_sequences:
        raise ValueError(
            f"The corpus ({', '.join(p.name for p in corpus_paths)}) holds only "
            f"{counts['train']:,} training sequences ({counts['train'] * sequence_length:,} tokens) "
            f"and {counts['validation']:,} validation sequences; {n_train:,} and "
            f"{validation_sequences:,} were asked for."
        )
    extra = {}
    if words:
        train, valid, word_table, targets = tokenizer.by_frequency(train, valid, target_words, target_buckets)
        extra = {"words.npy": word_table, "word_targets.npy": targets}
    masked = _mask_validation(valid, tokenizer, seed)
    real_tokens = int(train_pair[:, 1].astype(np.int64).sum())
    meta = {
        "settings": settings,
        "counts": counts,
        "train_real_tokens": real_tokens,
        "train_fill": real_tokens / (n_train * sequence_length),
        "build_seconds": round(time.time() - started, 1),
    }
    _write_atomically(
        out_dir,
        {
            "train_token_ids.npy": train,
            "train_pairs.npy": train_pair,
            "validation_token_ids.npy": valid,
            "validation_pairs.npy": valid_pair,
            **{f"validation_{k}.npy": v for k, v in masked.items()},
            **extra,
        },
        meta,
    )
    log(f"token cache: wrote {out_dir} in {meta['build_seconds']} s (fill {meta['train_fill']:.3f})")
    return out_dir


def _tokenize_documents(tokenizer, docs, tf):
    sentences = [s for d in docs for s in d]
    if isinstance(tokenizer, WordIds):
        flat, splits = tokenizer.ragged_ids(sentences)
    else:
        ragged = tokenizer(tf.constant(sentences))["token_ids"]
        flat = ragged.flat_values.numpy().astype(np.uint16)
        splits = ragged.row_splits.numpy()
    out, k = [], 0
    for d in docs:
        out.append([flat[splits[k + j] : splits[k + j + 1]] for j in range(len(d))])
        k += len(d)
    return out


def _mask_validation(valid, tokenizer, seed):
    """Masks the validation sequences once, reproducibly; the result is stored with the cache
    (`mask_rows`, drawn from `default_rng([seed, 1])`)."""
    special = [tokenizer.token_to_id(t) for t in ("[PAD]", "[CLS]", "[SEP]")]
    return mask_rows(valid, np.random.default_rng([seed, 1]), special, tokenizer.token_to_id("[MASK]"),
                     tokenizer.vocabulary_size())


def _write_atomically(out_dir: pathlib.Path, arrays: dict, meta: dict):
    """Writes into a temporary sibling folder, then renames it into place."""
    tmp = out_dir.with_name(out_dir.name + f".tmp-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(tmp / name, array)
    meta["files"] = {name: file_sha256(tmp / name) for name in arrays}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    if out_dir.exists():
        # Another process (a second worker of a multi-worker run) built it meanwhile: the build is
        # deterministic, and the caller checks the cache's settings and checksums when it opens it.
        shutil.rmtree(tmp, ignore_errors=True)
        return
    os.replace(tmp, out_dir)


class TokenCache:
    """A built cache, opened read-only (arrays memory-mapped)."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        meta_path = self.path / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{self.path} is not a token cache (no meta.json).")
        self.meta = json.loads(meta_path.read_text())
        self.sequence_length = self.meta["settings"]["sequence_length"]
        try:
            self.train_token_ids = np.load(self.path / "train_token_ids.npy", mmap_mode="r")
            self.train_pairs = np.load(self.path / "train_pairs.npy", mmap_mode="r")
        except (OSError, ValueError) as e:
            raise ValueError(f"Token cache {self.path} is damaged: {e}") from None

    @property
    def num_train_sequences(self):
        return len(self.train_token_ids)

    @property
    def tokenizer(self) -> str:
        """`"wordpiece"` (ids into the BERT vocabulary) or `"words"` (ids into the cache's own word table)."""
        return self.meta["settings"].get("tokenizer", "wordpiece")

    @property
    def words(self) -> list[bytes] | None:
        """A words cache's word table (what the hash embedding reads for each id); None for WordPiece."""
        if self.tokenizer != "words":
            return None
        if not hasattr(self, "_words"):
            self._words = np.load(self.path / "words.npy").tolist()
        return self._words

    @property
    def word_targets(self) -> np.ndarray | None:
        """A words cache's MLM target of each word id (int32); None for WordPiece."""
        if self.tokenizer != "words":
            return None
        if not hasattr(self, "_word_targets"):
            self._word_targets = np.load(self.path / "word_targets.npy")
        return self._word_targets

    def target_vocabulary(self) -> list[str]:
        """The names of a words cache's MLM targets: its `target_words` commonest words, then the buckets
        (`[BUCKET 0]`, ...). The model's output layer has one row per name; nothing else uses them."""
        s = self.meta["settings"]
        top = [w.decode("utf-8", "backslashreplace") for w in self.words[: s["target_words"]]]
        top += [f"[UNUSED {i}]" for i in range(len(top), s["target_words"])]  # a corpus with fewer words
        return top + [f"[BUCKET {i}]" for i in range(s["target_buckets"])]

    def validation(self) -> dict:
        names = ["token_ids", "pairs", "token_ids_masked", "mask_positions", "mask_ids", "mask_weights"]
        out = {}
        for name in names:
            file = "validation_token_ids.npy" if name == "token_ids" else f"validation_{name}.npy"
            out[name] = np.load(self.path / file)
        return out

    def sha256(self) -> str:
        """A digest of the cache's settings and file checksums (identifies the data)."""
        blob = json.dumps({"settings": self.meta["settings"], "files": self.meta["files"]}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()
