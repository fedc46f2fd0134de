"""eelbert_tf: EELBERT for Keras and TensorFlow Lite.

BERT-class encoders whose input embedding table is replaced by hashed character
n-grams computed inside the TensorFlow graph (Cohn et al., EMNLP 2023).
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's BFC allocator on the CPU keeps a memory pool: pretraining, which allocates the MLM
# logits (78 MB a batch) every step, ran 1.6x to 1.7x faster with it (BENCHMARKS.md, "CPU
# allocator"). Read when TensorFlow starts, so it only takes effect if eelbert_tf is imported first;
# a value the user set wins.
_os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")


from eelbert_lite.logs import quiet_runtime_logs as _quiet_runtime_logs  # noqa: E402

# TensorFlow 2.21 writes its start-up lines through absl before it reads TF_CPP_MIN_LOG_LEVEL; they are kept off
# stderr while it loads and finds its devices (device discovery writes its lines now, not at the first op).
with _quiet_runtime_logs():
    import tensorflow as _tf  # noqa: E402

    _tf.config.list_physical_devices()

from eelbert_lite import hashing  # noqa: E402
from eelbert_lite.hashing import embed_tokens  # noqa: E402
from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding  # noqa: E402
from eelbert_tf.models.eelbert_backbone import EelbertBackbone  # noqa: E402
from eelbert_tf.models.eelbert_masked_lm import EelbertMaskedLM  # noqa: E402
from eelbert_tf.models.eelbert_masked_lm_preprocessor import EelbertMaskedLMPreprocessor  # noqa: E402
from eelbert_tf.models.eelbert_text_classifier import EelbertTextClassifier  # noqa: E402
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor  # noqa: E402
from eelbert_tf.models.presets import BACKBONE_PRESETS  # noqa: E402
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer  # noqa: E402
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "BACKBONE_PRESETS",
    "DynamicHashEmbedding",
    "EelbertBackbone",
    "EelbertMaskedLM",
    "EelbertMaskedLMPreprocessor",
    "EelbertTextClassifier",
    "EelbertTextClassifierPreprocessor",
    "EelbertTokenizer",
    "EelbertWordTokenizer",
    "embed_tokens",
    "hashing",
]
