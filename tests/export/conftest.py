import pytest

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
# Sentences nobody tuned for, hostile ones included (a text of 10,000 characters is cut to the sequence length).
SENTENCES = [
    "A wonderful, moving film.",
    "The plot is dull and the ending is terrible.",
    "",
    "   ",
    "Ünïcödé àccents ǅ and the ﬁ ligature",
    "我喜欢这部电影 but the cast 很无聊",
    "🙂👍🏽 great 👨‍👩‍👧 ending 🎬",
    "The story, the cast; the script: all brilliant!!! " * 200,
    "x" * 10_000,
    "a b c " * 1700,
    "Numbers 3.14159, 1,000,000 and http://example.com/a?b=c",
]
INVALID_UTF8 = [b"caf\xe9 \xff\xfe broken", b"\xc3\x28 half a character"]
# The representative set of the micro tests' int8 exports.
CALIBRATION = [["A wonderful, moving film."], ["The plot is dull."], ["What a clumsy script"], ["superb cast"]]


def reviews_classifier(tmp_path_factory, name, with_dev=False, tokenizer="wordpiece", **recipe):
    """`eelbert_uno_en` fine-tuned on a small CSV of made-up reviews (labels by name)."""
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.classification.labeled_text import read_labeled_file

    columns = dict(text_column="review", label_column="sentiment")
    train = read_labeled_file(FIXTURES / "reviews_train.csv", **columns)
    dev = read_labeled_file(FIXTURES / "reviews_dev.csv", label_names=train.label_names, **columns) if with_dev else None
    out = tmp_path_factory.mktemp(name) / "classifier"
    finetune("eelbert_uno_en", train, dev, out, FinetuneRecipe(**{"batch_size": 8, "learning_rate": 1e-3, **recipe}),
             verbose=0, log=lambda *_: None, tokenizer=tokenizer)
    return out


@pytest.fixture(scope="session")
def sentiment_classifier(tmp_path_factory):
    """`eelbert_uno_en` fine-tuned on the reviews, with their dev set."""
    return reviews_classifier(tmp_path_factory, "sentiment", with_dev=True, epochs=15, sequence_length=64)


@pytest.fixture(scope="session")
def pair_classifier(tmp_path_factory):
    """`eelbert_uno_en` fine-tuned for two steps on the MRPC fixture (a two-text task)."""
    from eelbert_tf.classification.finetune import FinetuneRecipe, finetune
    from eelbert_tf.glue.tasks import from_glue

    glue = FIXTURES / "glue"
    out = tmp_path_factory.mktemp("pairs") / "classifier"
    finetune("eelbert_uno_en", from_glue("mrpc", glue, "train"), from_glue("mrpc", glue, "validation"), out,
             FinetuneRecipe(epochs=1, batch_size=8, sequence_length=32), verbose=0, log=lambda *_: None)
    return out


@pytest.fixture(scope="session")
def relu_classifier(tmp_path_factory):
    """The sentiment classifier fine-tuned with ReLU feed-forward layers (TFLite Micro has no GELU)."""
    return reviews_classifier(tmp_path_factory, "relu", epochs=15, sequence_length=64, activation="relu")


@pytest.fixture(scope="session")
def words_classifier(tmp_path_factory):
    """Fine-tuned with the vocabulary-free words tokenizer (three epochs: the tests compare formats, not quality)."""
    return reviews_classifier(tmp_path_factory, "words", tokenizer="words", epochs=3, sequence_length=32)
