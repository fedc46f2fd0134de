"""Teachers from the ecosystem and `eelbert distil`: a tiny keras-hub BERT saved by the test, in keras-hub's
layout and in Hugging Face's, fine-tuned into a teacher, scoring texts, teaching a student that exports to
int8; resumption, and bad teachers refused by name with nothing written."""

import json
import os
import shutil

import keras
import keras_hub
import numpy as np
import pytest

from eelbert_tf.classification.keras_hub_teacher import (
    KerasHubClassifierTeacher,
    TeacherRecipe,
    finetune_teacher,
    length_batches,
)
from eelbert_tf.classification.labeled_text import LabeledText, read_labeled_file
from eelbert_tf.classification.teacher import TeacherError
from eelbert_tf.classification.teachers import teacher_kind
from eelbert_tf.cli import main
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
COLUMNS = ["--text-column", "review", "--label-column", "sentiment"]
DATA = ["--train", str(FIXTURES / "reviews_train.csv"), "--dev", str(FIXTURES / "reviews_dev.csv"), *COLUMNS]


def tiny_bert(seed=0):
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(vocabulary_size=44, num_layers=2, num_heads=2, hidden_dim=16,
                                             intermediate_dim=32, max_sequence_length=64)
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=str(FIXTURES / "vocab_small.txt"), lowercase=True)
    return backbone, tokenizer


@pytest.fixture(scope="module")
def keras_hub_backbone(tmp_path_factory):
    """A two-layer BertBackbone preset folder in keras-hub's layout (`save_to_preset`)."""
    folder = tmp_path_factory.mktemp("teacher") / "tiny_bert"
    backbone, tokenizer = tiny_bert()
    backbone.save_to_preset(str(folder))
    tokenizer.save_to_preset(str(folder))
    return folder


@pytest.fixture(scope="module")
def hf_backbone(tmp_path_factory):
    """The same kind of backbone as a Hugging Face folder (config.json with model_type, model.safetensors,
    vocab.txt), which keras-hub's converter reads; written by the inverse of keras-hub's `convert_bert`."""
    from safetensors.numpy import save_file

    folder = tmp_path_factory.mktemp("hf") / "tiny_bert_hf"
    folder.mkdir()
    backbone, _ = tiny_bert(seed=1)
    t = {"embeddings.word_embeddings.weight": backbone.get_layer("token_embedding").embeddings,
         "embeddings.position_embeddings.weight": backbone.get_layer("position_embedding").position_embeddings,
         "embeddings.token_type_embeddings.weight": backbone.get_layer("segment_embedding").embeddings,
         "embeddings.LayerNorm.weight": backbone.get_layer("embeddings_layer_norm").gamma,
         "embeddings.LayerNorm.bias": backbone.get_layer("embeddings_layer_norm").beta}
    tensors = {k: np.asarray(v.numpy()) for k, v in t.items()}
    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        attention, p = block._self_attention_layer, f"encoder.layer.{i}."
        for name, dense in (("attention.self.query", attention.query_dense), ("attention.self.key", attention.key_dense),
                            ("attention.self.value", attention.value_dense)):
            tensors[p + name + ".weight"] = dense.kernel.numpy().reshape(16, 16).T
            tensors[p + name + ".bias"] = dense.bias.numpy().reshape(16)
        tensors[p + "attention.output.dense.weight"] = attention.output_dense.kernel.numpy().reshape(16, 16).T
        tensors[p + "attention.output.dense.bias"] = attention.output_dense.bias.numpy()
        tensors[p + "attention.output.LayerNorm.weight"] = block._self_attention_layer_norm.gamma.numpy()
        tensors[p + "attention.output.LayerNorm.bias"] = block._self_attention_layer_norm.beta.numpy()
        tensors[p + "intermediate.dense.weight"] = block._feedforward_intermediate_dense.kernel.numpy().T
        tensors[p + "intermediate.dense.bias"] = block._feedforward_intermediate_dense.bias.numpy()
        tensors[p + "output.dense.weight"] = block._feedforward_output_dense.kernel.numpy().T
        tensors[p + "output.dense.bias"] = block._feedforward_output_dense.bias.numpy()
        tensors[p + "output.LayerNorm.weight"] = block._feedforward_layer_norm.gamma.numpy()
        tensors[p + "output.LayerNorm.bias"] = block._feedforward_layer_norm.beta.numpy()
    tensors["pooler.dense.weight"] = backbone.get_layer("pooled_dense").kernel.numpy().T
    tensors["pooler.dense.bias"] = backbone.get_layer("pooled_dense").bias.numpy()
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "bert", "architectures": ["BertModel"], "vocab_size": 44, "hidden_size": 16,
        "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 64,
        "type_vocab_size": 2}))
    (folder / "vocab.txt").write_text((FIXTURES / "vocab_small.txt").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))
    return folder


def reviews():
    train = read_labeled_file(FIXTURES / "reviews_train.csv", "review", "sentiment")
    dev = read_labeled_file(FIXTURES / "reviews_dev.csv", "review", "sentiment", label_names=train.label_names)
    return train, dev


def test_length_batches_group_similar_lengths_and_shuffle_with_a_seed():
    lengths = [5, 1, 9, 2, 8, 3, 7]
    plain = length_batches(lengths, 3)
    assert [list(b) for b in plain] == [[1, 3, 5], [0, 6, 4], [2]]
    shuffled = length_batches(lengths, 3, np.random.default_rng(0))
    assert sorted(i for b in shuffled for i in b) == list(range(7))
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) <= 3 for b in shuffled)


def test_teacher_kinds_are_told_apart_and_the_rest_refused(tmp_path, keras_hub_backbone, hf_backbone):
    assert teacher_kind(keras_hub_backbone) == "backbone"
    assert teacher_kind(hf_backbone) == "backbone"
    scores = tmp_path / "s.jsonl"
    scores.write_text("")
    assert teacher_kind(scores) == "scores_file"
    (tmp_path / "empty").mkdir()
    with pytest.raises(TeacherError, match="empty is neither a classifier"):
        teacher_kind(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        teacher_kind(tmp_path / "missing")


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["keras_hub", "hugging_face"])
def test_a_backbone_is_fine_tuned_into_a_reusable_teacher(tmp_path, layout, keras_hub_backbone, hf_backbone):
    backbone = keras_hub_backbone if layout == "keras_hub" else hf_backbone
    train, dev = reviews()
    recipe = TeacherRecipe(epochs=6, learning_rate=3e-3, batch_size=8, sequence_length=32)
    record = finetune_teacher(backbone, train, dev, tmp_path / "teacher", recipe, log=lambda *_: None, verbose=0)
    assert record["class"] == "BertTextClassifier" and record["label_names"] == train.label_names
    assert record["losses"][-1] < record["losses"][0] and "accuracy" in record["dev"]
    # The folder is keras-hub's own: TextClassifier.from_preset reads it back, and it teaches as it is.
    assert teacher_kind(tmp_path / "teacher") == "keras_hub_classifier"
    loaded = keras_hub.models.TextClassifier.from_preset(str(tmp_path / "teacher"))
    teacher = KerasHubClassifierTeacher(tmp_path / "teacher", train.label_names, False, False, progress=False)
    logits = teacher.logits(dev.texts)
    assert logits.shape == (len(dev), 2)
    expected = loaded.predict(dev.texts[:4], verbose=0)
    np.testing.assert_allclose(logits[:4], expected, atol=1e-4)  # length batching changes nothing
    # Finished: a second call returns the record without training again.
    assert finetune_teacher(backbone, train, dev, tmp_path / "teacher", recipe, log=lambda *_: None) == record
    # Other labels, or pairs, are refused by name.
    with pytest.raises(TeacherError, match="predicts labels"):
        KerasHubClassifierTeacher(tmp_path / "teacher", ["a", "b"], False, False)
    with pytest.raises(TeacherError, match="reads one text per example"):
        KerasHubClassifierTeacher(tmp_path / "teacher", train.label_names, False, True)
    with pytest.raises(TeacherError, match="predicts labels"):
        KerasHubClassifierTeacher(tmp_path / "teacher", None, True, False)


def test_a_foreign_keras_hub_classifier_teaches_by_its_outputs(tmp_path, keras_hub_backbone):
    classifier = keras_hub.models.TextClassifier.from_preset(str(keras_hub_backbone), num_classes=3)
    classifier.save(tmp_path / "three.keras")
    assert teacher_kind(tmp_path / "three.keras") == "keras_hub_classifier"
    with pytest.raises(TeacherError, match="has 3 outputs; the training data has 2 labels"):
        KerasHubClassifierTeacher(tmp_path / "three.keras", ["negative", "positive"], False, False)
    teacher = KerasHubClassifierTeacher(tmp_path / "three.keras", ["a", "b", "c"], False, False, progress=False)
    assert teacher.logits(["the quick fox", "a dog"]).shape == (2, 3)


@pytest.mark.slow
def test_distil_runs_every_stage_resumes_and_reports(tmp_path, keras_hub_backbone, capsys):
    out = tmp_path / "run"
    argv = ["distil", *DATA, "--teacher", str(keras_hub_backbone), "--out", str(out), "--format", "bytes",
            "--augment", "1", "--epochs", "1", "--batch-size", "8", "--sequence-length", "32",
            "--teacher-epochs", "2", "--teacher-batch-size", "8", "--teacher-learning-rate", "1e-3",
            "--teacher-sequence-length", "32"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["teacher"]["finetuned"] and report["teacher"]["class"] == "BertTextClassifier"
    student = report["students"][0]
    assert student["student"] == "eelbert_uno_en" and student["fit_examples"] > 48  # augmented texts too
    (file,) = student["files"]
    assert file["format"] == "bytes" and (out / "students" / "eelbert_uno_en" / file["file"]).is_file()
    assert 0 <= file["score"] <= 100 and report["baseline"]["name"] == "TF-IDF + logistic regression"
    assert "| eelbert_uno_en int8 `bytes` |" in printed and "TF-IDF" in printed
    assert (out / "report.md").read_text().strip() in printed
    # The student's record names the model that wrote its scores, and the command that made it.
    record = json.loads((out / "students" / "eelbert_uno_en" / "classifier.json").read_text())["distillation"]
    assert record["teacher"]["kind"] == "scores_file" and record["scored_by"]["class"] == "BertTextClassifier"
    assert record["scored_by"]["dev"] == report["teacher"]["dev"]
    assert record["command"] == report["command"] == "eelbert " + " ".join(argv)
    # Every text the student trained on, and the dev texts, have the teacher's scores.
    scores = [json.loads(line) for line in next((out / "scores").glob("*.jsonl")).read_text().splitlines()]
    assert len(scores) == report["texts"]["scored"] and {"text", "scores"} <= set(scores[0])
    # The same command again repeats no finished stage (each output is kept as it was).
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "report.json"
              and p.name not in ("report.md", "distil.json", "stages.json")}
    assert main(argv) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # A killed scoring stage (a cut last line) resumes where it was: only the missing texts are scored.
    scores_file = next((out / "scores").glob("*.jsonl"))
    content = scores_file.read_bytes()
    cut = content[:content.rfind(b"\n", 0, len(content) - 1) + 1] + b'{"text": "half'
    scores_file.write_bytes(cut)
    from eelbert_tf.distil import score_texts
    from eelbert_tf.classification.teachers import load_teacher

    train, _ = reviews()
    teacher = load_teacher(out / "teacher", train.label_names, False, False, progress=False)
    rows = [(s["text"], None) for s in scores]
    result = score_texts(teacher, rows, scores_file, log=lambda *_: None)
    assert result["scored_now"] == 1 and scores_file.read_bytes().count(b"\n") == len(scores)
    # Another recipe in the same folder is refused: the folder is one teacher's scores and one recipe.
    assert main([*argv, "--distill-alpha", "0.2"]) == 2
    assert "holds a distil run with other settings (recipe)" in capsys.readouterr().err
    # Another recipe in a new folder may start from this run's teacher and scores (copied): nothing is fine-tuned
    # or scored again.
    again = tmp_path / "again"
    for part in ("teacher", "scores"):
        shutil.copytree(out / part, again / part)
    stamp = (again / "teacher" / "teacher.json").stat().st_mtime_ns
    argv_again = [*argv[:argv.index("--out")], "--out", str(again), *argv[argv.index("--out") + 2:],
                  "--distill-alpha", "0.2"]
    assert main(argv_again) == 0
    assert (again / "teacher" / "teacher.json").stat().st_mtime_ns == stamp
    assert json.loads((again / "report.json").read_text())["texts"]["scored"] == report["texts"]["scored"]
    assert [p.name for p in (again / "scores").iterdir()] == [scores_file.name]
    # A finished teacher is not taken for another recipe, backbone or data: refused by name.
    with pytest.raises(TeacherError, match="teacher fine-tuned with other recipe"):
        finetune_teacher(keras_hub_backbone, train, None, out / "teacher", TeacherRecipe(epochs=3))


@pytest.mark.slow
def test_bad_teachers_are_refused_with_one_line_and_nothing_written(tmp_path, keras_hub_backbone, capsys):
    # A Hugging Face folder of an architecture keras-hub cannot convert.
    odd = tmp_path / "odd_hf"
    odd.mkdir()
    (odd / "config.json").write_text(json.dumps({"model_type": "no_such_architecture", "architectures": ["X"]}))
    # A keras-hub classifier with other labels, and a pair teacher for single texts.
    train, dev = reviews()
    pair_train = LabeledText(train.texts, train.labels, train.label_names, train.texts, "pairs")
    finetune_teacher(keras_hub_backbone, pair_train, None, tmp_path / "pair_teacher",
                     TeacherRecipe(epochs=1, batch_size=16, sequence_length=16), log=lambda *_: None, verbose=0)
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "readme.txt").write_text("hello")
    cases = [(odd, "model type 'no_such_architecture'"), (tmp_path / "pair_teacher", "reads two texts per example"),
             (not_a_model, "is neither a classifier")]
    for teacher, message in cases:
        out = tmp_path / f"out_{teacher.name}"
        code = main(["distil", *DATA, "--teacher", str(teacher), "--out", str(out), "--format", "bytes"])
        err = capsys.readouterr().err
        assert code == 2 and message in err and str(teacher) in err, err
        assert len(err.strip().splitlines()) == 1 and not out.exists()
    # A regression teacher for classes.
    regression = LabeledText(train.texts, np.linspace(0, 5, len(train)).astype(np.float32), None, None, "scores")
    finetune_teacher(keras_hub_backbone, regression, None, tmp_path / "regression_teacher",
                     TeacherRecipe(epochs=1, batch_size=16, sequence_length=16), log=lambda *_: None, verbose=0)
    code = main(["distil", *DATA, "--teacher", str(tmp_path / "regression_teacher"), "--out", str(tmp_path / "o"),
                 "--format", "bytes"])
    assert code == 2 and "predicts a regression score" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert os.listdir(tmp_path / "pair_teacher")  # the teachers themselves were written where asked


@pytest.mark.slow
def test_finetune_fine_tunes_a_backbone_teacher_beside_its_output(tmp_path, keras_hub_backbone, capsys):
    out = tmp_path / "student"
    assert main(["finetune", "--model", "eelbert_uno_en", *DATA, "--teacher", str(keras_hub_backbone),
                 "--augment", "1", "--epochs", "1", "--batch-size", "16", "--sequence-length", "16",
                 "--teacher-epochs", "1", "--teacher-batch-size", "16", "--teacher-sequence-length", "16",
                 "--out", str(out)]) == 0
    teacher = tmp_path / "student.teacher"
    assert teacher_kind(teacher) == "keras_hub_classifier" and (teacher / "teacher.json").is_file()
    info = json.loads((out / "classifier.json").read_text())
    assert info["distillation"]["teacher"]["kind"] == "keras_hub_classifier"
    assert info["distillation"]["teacher"]["path"] == str(teacher)
    assert "teacher_dev" in json.loads((out / "metrics.json").read_text())


def test_the_default_augmentation_follows_the_training_set_s_size():
    from eelbert_tf.distil import auto_augment, student_recipe

    assert student_recipe().augment is None and student_recipe(augment=2).augment == 2
    assert [auto_augment(n) for n in (48, 4_000, 5_452, 8_000, 20_000, 67_349)] == [16, 16, 12, 8, 4, 4]
