"""The teacher registry: what `--teacher` names, and the teacher that scores texts for it.

Four kinds (`teacher_kind`), each one class with `logits(texts, pairs)` and `describe()`:

| kind | what it is | class |
|---|---|---|
| `scores_file` | a `.jsonl` of any framework's scores | `teacher.ScoresFileTeacher` |
| `classifier` | a classifier folder from `eelbert finetune` | `teacher.ClassifierTeacher` |
| `keras_hub_classifier` | a keras-hub `TextClassifier` folder or `.keras` | `keras_hub_teacher.KerasHubClassifierTeacher` |
| `backbone` | a keras-hub backbone or Hugging Face folder | fine-tuned first: `keras_hub_teacher.finetune_teacher` |
"""

from __future__ import annotations

import json
import pathlib

from eelbert_tf.classification.keras_hub_teacher import KerasHubClassifierTeacher
from eelbert_tf.classification.teacher import ClassifierTeacher, ScoresFileTeacher, TeacherError

HANDLE_PREFIXES = ("kaggle://", "hf://", "gs://", "modelscope://")


def teacher_kind(teacher) -> str:
    """What `teacher` is: `"scores_file"`, `"classifier"` (an `eelbert finetune` folder), `"keras_hub_classifier"`
    or `"backbone"`. Anything else is refused with a `TeacherError` that names it."""
    text = str(teacher)
    if text.startswith(HANDLE_PREFIXES):
        from keras_hub.src.utils.preset_utils import check_file_exists  # keras-hub has no public name for it

        return "keras_hub_classifier" if check_file_exists(text, "task.json") else "backbone"
    path = pathlib.Path(teacher)
    if not path.exists():
        raise FileNotFoundError(f"--teacher {path} does not exist.")
    if path.is_file():
        if path.suffix.lower() in (".jsonl", ".json"):
            return "scores_file"
        if path.suffix == ".keras":
            return "classifier" if (path.parent / "classifier.json").is_file() else "keras_hub_classifier"
        raise TeacherError(f"--teacher {path} is neither a classifier folder, a .keras classifier, a backbone "
                           "folder keras-hub reads, nor a .jsonl file of teacher scores.")
    if (path / "classifier.keras").is_file():
        return "classifier"
    if (path / "task.json").is_file():
        return "keras_hub_classifier"
    config = path / "config.json"
    if not config.is_file():
        raise TeacherError(f"--teacher {path} is neither a classifier folder (classifier.keras, or a keras-hub "
                           "task.json), a backbone keras-hub can read (config.json), nor a .jsonl file of teacher "
                           "scores.")
    try:
        content = json.loads(config.read_text())
    except ValueError as e:
        raise TeacherError(f"--teacher {config} is not JSON ({e}).") from None
    if not isinstance(content, dict) or not ("registered_name" in content or "model_type" in content):
        raise TeacherError(f"--teacher {config} is neither a keras-hub config (registered_name) nor a Hugging Face "
                           "one (model_type).")
    return "backbone"


def load_teacher(path, label_names, regression: bool, text_pair: bool, progress: bool = True):
    """The teacher at `path` that scores texts as it is (a backbone must be fine-tuned first: `eelbert distil`)."""
    kind = teacher_kind(path)
    if kind == "scores_file":
        return ScoresFileTeacher(path, 1 if regression else len(label_names), text_pair)
    if kind == "classifier":
        return ClassifierTeacher(path, label_names, regression, text_pair)
    if kind == "keras_hub_classifier":
        return KerasHubClassifierTeacher(path, label_names, regression, text_pair, progress=progress)
    raise TeacherError(f"--teacher {path} is a backbone, not a classifier: it has to be fine-tuned on your labels "
                       "first (`keras_hub_teacher.finetune_teacher`, which `eelbert finetune` and `eelbert distil` "
                       "run and keep the classifier of, for reuse).")
