"""The words tokenizer's MLM targets while a token cache is built (`eelbert pretrain --tokenizer words`): an id
for every distinct word, renumbered by frequency at the end; the commonest `target_words` are targets of their
own and every other word shares one of `target_buckets` hashed buckets (`word_bucket`)."""

from __future__ import annotations

import hashlib

import numpy as np

from eelbert_lite.vocabulary import SPECIAL_TOKENS
from eelbert_lite import words
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer


class WordIds:
    """The words tokenizer with an id for every distinct word, given on first sight while the cache is built
    and renumbered by frequency at the end (`by_frequency`)."""

    def __init__(self, max_word_bytes):
        self.max_word_bytes = words.check_max_word_bytes(max_word_bytes)
        self.words = [t.encode() for t in SPECIAL_TOKENS]
        self.index = {w: i for i, w in enumerate(self.words)}
        self._layer = None

    def token_to_id(self, token: str) -> int:
        """The id of a special token (the only ones asked for; they keep their ids when words are renumbered)."""
        return SPECIAL_TOKENS.index(token)

    def vocabulary_size(self) -> int:
        return len(self.words)

    def ragged_ids(self, sentences):
        """(flat uint32 ids, row splits) of the sentences' words (`EelbertWordTokenizer`, in the graph)."""
        import tensorflow as tf

        if self._layer is None:
            self._layer = EelbertWordTokenizer(max_word_bytes=self.max_word_bytes)
        ragged = self._layer(tf.constant(sentences))["tokens"]
        index, table = self.index, self.words
        ids = np.empty(int(ragged.flat_values.shape[0]), np.uint32)
        for k, word in enumerate(ragged.flat_values.numpy().tolist()):
            i = index.get(word)
            if i is None:
                i = index[word] = len(table)
                table.append(word)
            ids[k] = i
        return ids, ragged.row_splits.numpy()

    def by_frequency(self, train, valid, target_words, target_buckets):
        """The sequences renumbered so that ids rank words by their count in the training sequences (special
        tokens first, ties in order of first sight); the word table (bytes, `S<width>`) in that order; and each
        word's MLM target: its own id below `target_words`, else `target_words` + a bucket (`word_bucket`)."""
        counts = np.bincount(train.reshape(-1), minlength=len(self.words)).astype(np.int64)
        special = len(SPECIAL_TOKENS)
        rest = special + np.argsort(-counts[special:], kind="stable")
        order = np.concatenate([np.arange(special), rest])
        new_id = np.empty_like(order)
        new_id[order] = np.arange(len(order))
        new_id = new_id.astype(np.uint32)
        table = self.words = [self.words[i] for i in order]
        del self.index  # the words are all seen: no id is looked up again
        targets = np.arange(len(table), dtype=np.int32)
        for i in range(target_words, len(table)):
            targets[i] = target_words + word_bucket(table[i], target_buckets)
        width = max(len(w) for w in table)
        return new_id[train], new_id[valid], np.array(table, dtype=f"S{width}"), targets


def word_bucket(word: bytes, buckets: int) -> int:
    """The MLM target bucket of a word outside the training-only target vocabulary (a stable hash)."""
    return int.from_bytes(hashlib.blake2b(word, digest_size=8).digest(), "little") % buckets
