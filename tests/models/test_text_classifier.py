"""The keras-hub way in: `EelbertTextClassifier.from_preset(...).fit(strings)`, `save_to_preset`, and keras-hub's own
`TextClassifier.from_preset` and `Backbone.from_preset` reading what we saved; bad input refused by name."""

import json

import keras
import keras_hub
import numpy as np
import pytest

from eelbert_tf import EelbertBackbone, EelbertTextClassifier, EelbertTextClassifierPreprocessor, EelbertTokenizer
from eelbert_tf.models.preset_folder import PresetError

TEXTS, LABELS = ["a joy to watch", "a tedious mess", "lovely and warm", "awful, just awful"], [1, 0, 1, 0]


@pytest.fixture(scope="module")
def classifier():
    keras.utils.set_random_seed(0)
    model = EelbertTextClassifier.from_preset("eelbert_uno_en", num_classes=2, sequence_length=16)
    model.fit(x=TEXTS, y=LABELS, batch_size=2, epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def preset(classifier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("preset") / "sst_like"
    classifier.save_to_preset(str(folder))
    return folder


def test_the_keras_hub_three_liner_on_strings_and_pairs(classifier):
    assert isinstance(classifier, keras_hub.models.TextClassifier)
    assert isinstance(classifier.preprocessor.tokenizer, keras_hub.tokenizers.Tokenizer)
    logits = classifier.predict(["what a film", "no"], verbose=0)
    assert logits.shape == (2, 2) and np.isfinite(logits).all()
    assert classifier.predict((["a premise"], ["its hypothesis"]), verbose=0).shape == (1, 2)
    metrics = classifier.evaluate(TEXTS, LABELS, return_dict=True, verbose=0)
    assert set(metrics) == {"loss", "sparse_categorical_accuracy"}
    # The string-input model and a direct call on preprocessed features agree.
    features = classifier.preprocessor(keras.ops.convert_to_tensor(["what a film"]))
    direct = classifier({k: v for k, v in features.items() if k in classifier.backbone.input})
    np.testing.assert_allclose(direct.numpy()[0], logits[0], atol=1e-5)


def test_save_to_preset_is_read_by_keras_hub_base_classes(classifier, preset):
    names = {p.name for p in preset.iterdir()}
    assert {"config.json", "metadata.json", "model.weights.h5", "task.json", "task.weights.h5", "preprocessor.json",
            "tokenizer.json"} <= names
    assert (preset / "assets" / "tokenizer" / "vocabulary.txt").read_text().split("\n")[:1] == ["[PAD]"]
    loaded = keras_hub.models.TextClassifier.from_preset(str(preset))
    assert type(loaded) is EelbertTextClassifier
    for a, b in zip(loaded.weights, classifier.weights):  # bit for bit; outputs to float rounding (oneDNN)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(loaded.predict(TEXTS, verbose=0), classifier.predict(TEXTS, verbose=0), atol=1e-6)
    backbone = keras_hub.models.Backbone.from_preset(str(preset))
    assert type(backbone) is EelbertBackbone
    for a, b in zip(backbone.weights, classifier.backbone.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(str(preset))
    assert type(tokenizer) is EelbertTokenizer and tokenizer.vocabulary_size() == 30522
    # A new head on the saved backbone, as keras-hub does when num_classes is given.
    assert EelbertTextClassifier.from_preset(str(preset), num_classes=3).output_dense.units == 3


def test_the_words_preset_gets_the_vocabulary_free_tokenizer():
    model = EelbertTextClassifier.from_preset("eelbert_uno_words_en", num_classes=2, sequence_length=8)
    assert model.preprocessor.vocabulary_free and "token_ids" not in model.preprocessor(["Hi"])
    assert model.predict(["Hi there"], verbose=0).shape == (1, 2)


def test_regression_compiles_with_mean_squared_error():
    model = EelbertTextClassifier(EelbertBackbone.from_preset("eelbert_uno", hidden_dim=16, intermediate_dim=32,
                                                              num_heads=2),
                                  num_classes=1, preprocessor=EelbertTextClassifierPreprocessor(sequence_length=8))
    history = model.fit(x=TEXTS, y=[0.1, 0.9, 0.2, 0.8], batch_size=4, epochs=1, verbose=0)
    assert isinstance(model.loss, keras.losses.MeanSquaredError) and np.isfinite(history.history["loss"][0])


def test_bad_input_is_refused_by_name(classifier):
    with pytest.raises(ValueError, match="needs `num_classes`"):
        EelbertTextClassifier.from_preset("eelbert_uno_en")
    with pytest.raises(ValueError, match="rank 0 .* or 1"):
        classifier.preprocessor(keras.ops.convert_to_tensor([["a", "b"]]))
    with pytest.raises(ValueError, match="takes texts"):
        classifier.preprocessor(np.array([1, 2]))
    with pytest.raises(ValueError, match="one text or a pair"):
        classifier.preprocessor((["a"], ["b"], ["c"]))
    with pytest.raises(Exception, match="label|range"):  # a label outside num_classes
        classifier.fit(x=TEXTS[:2], y=[0, 5], batch_size=2, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Unknown preset 'no_such_preset'"):
        EelbertTextClassifier.from_preset("no_such_preset", num_classes=2)


@pytest.mark.parametrize("damage, message", [
    ("no_weights", "lacks model.weights.h5"),
    ("cut_config", "config.json is not valid JSON"),
    ("cut_weights", "model.weights.h5 is not a readable HDF5"),
    ("no_vocabulary", "lacks assets/tokenizer/vocabulary.txt"),
])
def test_a_damaged_preset_folder_is_refused_with_its_file(preset, tmp_path, damage, message):
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(preset, folder)
    if damage == "no_weights":
        (folder / "model.weights.h5").unlink()
    elif damage == "cut_config":
        text = (folder / "config.json").read_text()
        (folder / "config.json").write_text(text[: len(text) // 2])
    elif damage == "cut_weights":
        data = (folder / "model.weights.h5").read_bytes()
        (folder / "model.weights.h5").write_bytes(data[: len(data) // 2])
    else:
        (folder / "assets" / "tokenizer" / "vocabulary.txt").unlink()
    with pytest.raises(PresetError, match=message) as error:
        EelbertTextClassifier.from_preset(str(folder))
    assert str(folder) in str(error.value)
    json.loads((preset / "config.json").read_text())  # the original is untouched


def test_mean_pooling_reads_only_the_real_tokens_and_survives_save_to_preset(tmp_path):
    keras.utils.set_random_seed(0)
    backbone = EelbertBackbone.from_preset("eelbert_uno", hidden_dim=16, intermediate_dim=32, num_heads=2)
    model = EelbertTextClassifier(backbone, num_classes=2, pooling="mean",
                                  preprocessor=EelbertTextClassifierPreprocessor(sequence_length=16))
    short = EelbertTextClassifierPreprocessor(sequence_length=8)
    x16, x8 = (p(keras.ops.convert_to_tensor(["a tedious mess"])) for p in (model.preprocessor, short))
    names = list(backbone.input)
    logits16 = model({k: x16[k] for k in names}).numpy()
    np.testing.assert_allclose(logits16, model({k: x8[k] for k in names}).numpy(), atol=1e-5)  # padding unread
    # The mean of sequence_output over the real tokens, through the head.
    outputs = backbone({k: x16[k] for k in names})
    real = x16["padding_mask"].numpy()[0].astype(bool)
    expected = model.output_dense(outputs["sequence_output"].numpy()[:, real].mean(1)).numpy()
    np.testing.assert_allclose(logits16, expected, atol=1e-5)
    cls = EelbertTextClassifier(backbone, num_classes=2)
    cls.output_dense.set_weights(model.output_dense.get_weights())
    assert np.abs(cls({k: x16[k] for k in names}).numpy() - logits16).max() > 1e-4  # the option is live
    model.save_to_preset(str(tmp_path / "mean"))
    loaded = keras_hub.models.TextClassifier.from_preset(str(tmp_path / "mean"))
    assert loaded.pooling == "mean"
    np.testing.assert_allclose(loaded.predict(TEXTS, verbose=0), model.predict(TEXTS, verbose=0), atol=1e-5)
    with pytest.raises(ValueError, match="`pooling` must be one of"):
        EelbertTextClassifier(backbone, num_classes=2, pooling="max")


def test_fit_on_lists_shuffles_every_epoch_unless_told_not_to(monkeypatch):
    """keras-hub batches lists in their order; a label-sorted CSV must not train one label at a time."""
    import keras_hub

    from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier

    seen = []
    monkeypatch.setattr(keras_hub.models.TextClassifier, "fit", lambda self, **kw: seen.append(kw))
    classifier = EelbertTextClassifier.from_preset("eelbert_uno", num_classes=2, sequence_length=8)
    texts, labels = [f"text {i}" for i in range(64)], [0] * 32 + [1] * 32  # sorted by label
    classifier.fit(x=texts, y=labels, batch_size=8, epochs=2)
    dataset = seen[-1]["x"]
    first = [int(v) for _, y in dataset for v in y.numpy()]
    second = [int(v) for _, y in dataset for v in y.numpy()]
    assert sorted(first) == labels and first != labels and first != second  # shuffled, anew each epoch
    assert seen[-1]["epochs"] == 2 and "y" not in seen[-1] and seen[-1]["shuffle"] is False  # shuffled above
    classifier.fit(x=(texts, texts), y=labels, batch_size=8)  # pairs too
    assert isinstance(next(iter(seen[-1]["x"]))[0], tuple)
    classifier.fit(x=texts, y=labels, batch_size=8, shuffle=False)
    assert seen[-1]["x"] is texts and seen[-1]["shuffle"] is False
    # A dataset keeps its own order: Keras's `shuffle=True` default would only earn a warning that it is ignored.
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(8)
    classifier.fit(batches, epochs=1)
    assert seen[-1]["x"] is batches and seen[-1]["shuffle"] is False
