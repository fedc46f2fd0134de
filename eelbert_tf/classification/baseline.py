"""The baseline a practitioner fits first, which every model here is judged against in the same run.

Classes: TF-IDF of word 1-2 grams (sublinear tf) and logistic regression (C=4), scikit-learn's defaults
otherwise; a pair is one text, `a [SEP] b`. Regression (STS-B-like pairs): the same features of both texts,
their difference and the TF-IDF cosine of the two, and ridge regression (alpha 1). Fitted on the train split,
scored on dev: accuracy (%), or Pearson x100. SST-2 dev: 82.22% (`bench/baselines.py`, BENCHMARKS.md).
"""

from __future__ import annotations

import time

import numpy as np

from eelbert_tf.classification.labeled_text import LabeledText

C = 4.0
RIDGE_ALPHA = 1.0


def _joined(data: LabeledText) -> list[str]:
    if data.text_pairs is None:
        return list(data.texts)
    return [f"{a} [SEP] {b}" for a, b in zip(data.texts, data.text_pairs)]


def tfidf_baseline(train: LabeledText, dev: LabeledText, char: bool = False) -> dict:
    """`{"name", "score", "metric", "fit_seconds", ...}` of TF-IDF + logistic regression (or ridge for a
    regression task) fitted on `train` and scored on `dev`. `char` adds `char_wb` 2-5 gram features."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge

    started = time.time()
    features = "word 1-2 grams" + (" + char_wb 2-5 grams" if char else "")
    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)]
    if char:
        vectorizers.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
    if not train.is_regression:
        x_train = hstack([v.fit_transform(_joined(train)) for v in vectorizers]).tocsr()
        x_dev = hstack([v.transform(_joined(dev)) for v in vectorizers]).tocsr()
        model = LogisticRegression(C=C, max_iter=2000).fit(x_train, train.labels)
        score = float(np.mean(model.predict(x_dev) == np.asarray(dev.labels)) * 100)
        return {"name": "TF-IDF + logistic regression", "metric": "accuracy", "score": score,
                "fit_seconds": round(time.time() - started, 1), "features": features, "C": C}
    if train.text_pairs is None:
        raise ValueError(f"{train.source}: the regression baseline compares two texts; this data has one per "
                         "example.")
    for v in vectorizers:
        v.fit(list(train.texts) + list(train.text_pairs))

    def pair_features(data):
        a = hstack([v.transform(data.texts) for v in vectorizers]).tocsr()
        b = hstack([v.transform(data.text_pairs) for v in vectorizers]).tocsr()
        cosine = np.asarray(a.multiply(b).sum(axis=1)).ravel() / len(vectorizers)  # rows are L2-normalized
        return hstack([a + b, abs(a - b), csr_matrix(cosine[:, None])]).tocsr()

    model = Ridge(alpha=RIDGE_ALPHA).fit(pair_features(train), np.asarray(train.labels, np.float64))
    predicted = model.predict(pair_features(dev))
    score = float(np.corrcoef(predicted, np.asarray(dev.labels, np.float64))[0, 1] * 100)
    return {"name": "TF-IDF + ridge regression", "metric": "pearson", "score": score,
            "fit_seconds": round(time.time() - started, 1), "features": features, "ridge_alpha": RIDGE_ALPHA}
