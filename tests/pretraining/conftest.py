"""Shared fixtures of the pretraining tests."""

import itertools
import lzma

import pytest


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory, real_vocab_path):
    """About 150 Wikipedia articles, cut from the shared corpus (never copied into the repo)."""
    from eelbert_tf.pretraining.corpus import default_corpus_paths

    wiki = [p for p in default_corpus_paths() if "enwiki" in p.name][0]
    path = tmp_path_factory.mktemp("corpus") / "wiki_slice.txt.xz"
    with lzma.open(wiki, "rt", encoding="utf-8") as f:
        text = "".join(itertools.islice(f, 6000))
    path.write_bytes(lzma.compress(text[: text.rfind("</doc>") + 7].encode()))
    return path
