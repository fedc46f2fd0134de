"""The baseline a practitioner fits first: TF-IDF plus logistic regression (scikit-learn), on a GLUE task.

    python bench/baselines.py [--task sst2]

Word 1-2 gram TF-IDF (sublinear tf) and logistic regression (C=4), fitted on the task's train split and
scored on its dev split; with `--char` a `char_wb` 2-5 gram TF-IDF is stacked beside it. Writes
bench/results/baselines.json (score, fit seconds, machine, commit) for the tables that compare against it.
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
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def text(data):
        return [a if data.text_pairs is None else f"{a} [SEP] {b}"
                for a, b in zip(data.texts, data.text_pairs or data.texts)]

    started = time.time()
    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)]
    if char:
        vectorizers.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))
    x_train = hstack([v.fit_transform(text(train)) for v in vectorizers]).tocsr()
    x_dev = hstack([v.transform(text(dev)) for v in vectorizers]).tocsr()
    model = LogisticRegression(C=4, max_iter=2000).fit(x_train, train.labels)
    accuracy = float(np.mean(model.predict(x_dev) == dev.labels) * 100)
    return {"accuracy": accuracy, "fit_seconds": round(time.time() - started, 1),
            "features": "word 1-2 grams" + (" + char_wb 2-5 grams" if char else ""), "C": 4}


def main():
    from eelbert_tf.classification.labeled_text import from_glue
    from eelbert_tf.data_paths import data_dir
    from eelbert_tf.io_utils import git_commit, machine, utc_now, write_json_atomically

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="sst2")
    args = parser.parse_args()
    glue = data_dir() / "glue"
    train, dev = from_glue(args.task, glue, "train"), from_glue(args.task, glue, "validation")
    result = {"task": args.task, "train_examples": len(train), "dev_examples": len(dev),
              "tfidf_lr": tfidf_logistic_regression(train, dev),
              "tfidf_char_lr": tfidf_logistic_regression(train, dev, char=True),
              "machine": machine(), "date": utc_now(), "commit": git_commit()}
    path = REPO / "bench" / "results" / "baselines.json"
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing[args.task] = result
    write_json_atomically(path, existing)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
