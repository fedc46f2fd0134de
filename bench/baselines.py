"""The baseline a practitioner fits first: TF-IDF plus logistic regression (scikit-learn), on a GLUE task.

    python bench/baselines.py [--task sst2]

Word 1-2 gram TF-IDF (sublinear tf) and logistic regression (C=4), fitted on the task's train split and
scored on its dev split; with `--char` a `char_wb` 2-5 gram TF-IDF is stacked beside it. Writes
bench/results/baselines.json (score, fit seconds, machine, commit) for the tables that compare against it.
For STS-B (`--task stsb`, a regression) the TF-IDF cosine of the two texts and ridge regression instead.

It also probes what EELBERT's fixed token vectors carry for the task (`hash_probe`): logistic regression on
each text's mean 128-d n-gram hash vector (the input the backbone sees, before any trained layer), the same
through 2,048 fixed random ReLU features, each token's vector through those features before the mean (a
nonlinearity per token, as a mean-pooled encoder has and a one-layer `[CLS]` readout has not), and TF-IDF unigrams through a random projection to 128 dimensions.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def tfidf_logistic_regression(train, dev, char: bool = False) -> dict:
    """The package's baseline (`eelbert_tf.classification.baseline`, which `eelbert distil` fits too)."""
    from eelbert_tf.classification.baseline import tfidf_baseline

    result = tfidf_baseline(train, dev, char=char)
    return {"accuracy": result["score"], "fit_seconds": result["fit_seconds"], "features": result["features"],
            "C": 4}


def hash_probe(train, dev, dim: int = 128, seed: int = 0) -> dict:
    """Linear probes of the fixed token vectors (single-text tasks): how much of the task a model can read
    from the mean of its inputs, and how much a bag of words loses when squeezed into `dim` dimensions."""
    import numpy as np
    import tensorflow as tf
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding
    from eelbert_tf.preprocessing import EelbertTokenizer

    tokenizer, embedding = EelbertTokenizer(), DynamicHashEmbedding(output_dim=dim)

    def mean_vectors(texts, w=None):
        """Each text's mean token vector; with `w`, the mean of each token's fixed random ReLU features
        `relu(vector @ w)` (a nonlinearity per token before pooling, as a mean-pooled encoder has and a `[CLS]`
        readout of one layer has not). `[PAD]` vectors are zeros, and so are their ReLU features."""
        out = []
        for i in range(0, len(texts), 2048):
            tokens = tokenizer(tf.constant(list(texts[i:i + 2048])))["tokens"]
            vectors = embedding(tokens.to_tensor(default_value="[PAD]"))  # zeros at [PAD]
            if w is not None:
                vectors = tf.nn.relu(tf.einsum("btd,df->btf", vectors, tf.constant(w, tf.float32)))
            count = tf.maximum(tf.cast(tokens.row_lengths(), tf.float32), 1.0)[:, None]
            out.append((tf.reduce_sum(vectors, 1) / count).numpy())
        return np.concatenate(out)

    def fit(x_train, x_dev, c):
        model = LogisticRegression(C=c, max_iter=3000).fit(x_train, train.labels)
        return {"train": float(model.score(x_train, train.labels) * 100), "dev": float(model.score(x_dev, dev.labels) * 100)}

    rng = np.random.default_rng(seed)
    h_train, h_dev = mean_vectors(train.texts), mean_vectors(dev.texts)
    w = rng.normal(size=(dim, 2048)) / np.sqrt(dim)
    tfidf = TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True)
    t_train, t_dev = tfidf.fit_transform(train.texts), tfidf.transform(dev.texts)
    projection = rng.normal(size=(t_train.shape[1], dim)) / np.sqrt(dim)
    return {"mean_hash_vector_lr": fit(h_train, h_dev, 10),
            "mean_hash_vector_random_relu_2048_lr": fit(np.maximum(h_train @ w, 0), np.maximum(h_dev @ w, 0), 10),
            "token_random_relu_2048_mean_lr": fit(mean_vectors(train.texts, w), mean_vectors(dev.texts, w), 10),
            "tfidf_unigrams_lr": fit(t_train, t_dev, 4),
            f"tfidf_unigrams_projected_{dim}_lr": fit(t_train @ projection, t_dev @ projection, 10),
            "dim": dim, "seed": seed}


def tfidf_similarity(train, dev) -> dict:
    """For STS-B (a regression on pairs): the cosine of the two texts' TF-IDF vectors (no training), and the
    package's ridge baseline on the pair's features (`eelbert_tf.classification.baseline`); dev Pearson x100."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from eelbert_tf.classification.baseline import tfidf_baseline

    started = time.time()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train.texts + train.text_pairs)
    a, b = vectorizer.transform(dev.texts), vectorizer.transform(dev.text_pairs)
    cosine = np.asarray(a.multiply(b).sum(axis=1)).ravel()  # rows are L2-normalized
    ridge = tfidf_baseline(train, dev)
    return {"cosine_pearson": float(np.corrcoef(cosine, np.asarray(dev.labels, np.float64))[0, 1] * 100),
            "ridge_pearson": ridge["score"], "fit_seconds": round(time.time() - started, 1),
            "features": "word 1-2 grams", "ridge_alpha": ridge["ridge_alpha"]}


def main():
    from eelbert_tf.glue.tasks import from_glue
    from eelbert_tf.data_paths import data_dir
    from eelbert_tf.io_utils import git_commit, machine, utc_now, write_json_atomically

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="sst2")
    args = parser.parse_args()
    glue = data_dir() / "glue"
    train, dev = from_glue(args.task, glue, "train"), from_glue(args.task, glue, "validation")
    result = {"task": args.task, "train_examples": len(train), "dev_examples": len(dev),
              **({"tfidf_similarity": tfidf_similarity(train, dev)} if train.is_regression else
                 {"tfidf_lr": tfidf_logistic_regression(train, dev),
                  "tfidf_char_lr": tfidf_logistic_regression(train, dev, char=True)}),
              **({"hash_probe": hash_probe(train, dev)} if train.text_pairs is None else {}),
              "machine": machine(), "date": utc_now(), "commit": git_commit()}
    path = REPO / "bench" / "results" / "baselines.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing[args.task] = result
    write_json_atomically(path, existing)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
