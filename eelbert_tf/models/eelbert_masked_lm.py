"""`EelbertMaskedLM`: keras-hub's `MaskedLM` on an `EelbertBackbone`, as `BertMaskedLM` is on BERT's. Strings in
(`fit` and `evaluate` run `EelbertMaskedLMPreprocessor` in `tf.data`, masking anew each pass), logits over the
vocabulary at the masked positions out. `eelbert pretrain` trains the same class on its token cache."""

import keras
import keras_hub
import tensorflow as tf

from eelbert_tf.layers.hash_tied_masked_lm_head import HashTiedMaskedLMHead
from eelbert_tf.models.eelbert_backbone import EelbertBackbone, bert_kernel_initializer
from eelbert_tf.models.eelbert_masked_lm_preprocessor import EelbertMaskedLMPreprocessor
from eelbert_tf.models.preset_folder import check_preset_folder
from eelbert_tf.models.registry import task_from_name
from eelbert_tf.models.task_fit import fit_arguments
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer

MLM_HEADS = ("tied", "separate", "hash_tied")


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertMaskedLM(keras_hub.models.MaskedLM):
    """A backbone with a masked-language-model head, for pretraining.

    Args:
        backbone: an `EelbertBackbone`.
        vocabulary: list of token strings the head predicts. Defaults to the
            preprocessor's tokenizer's vocabulary (or the default WordPiece
            vocabulary without a preprocessor); `eelbert pretrain --tokenizer
            words` passes its own target vocabulary.
        mlm_head: how logits over the vocabulary are made:
            - `"tied"`: BERT's, against the backbone's trainable table (`"table"`
              backbones only);
            - `"separate"`: keras-hub `MaskedLMHead` with its own trainable
              `hidden x vocabulary` matrix and bias, used only in pretraining
              and dropped afterwards (never part of the shipped size);
            - `"hash_tied"`: `HashTiedMaskedLMHead`, against the hash embeddings
              of the vocabulary, computed, not stored (hash backbones only).
            Defaults to `"tied"` for table backbones and `"separate"` for hash
            backbones: at an equal budget `"separate"` reached a far lower
            held-out MLM loss, `"hash_tied"` a higher top-1 accuracy and faster
            steps, and both tied downstream (BENCHMARKS.md, "MLM output layer
            for EELBERT").
        preprocessor: an `EelbertMaskedLMPreprocessor`, or `None` for a model that
            takes preprocessed inputs. `from_preset` attaches one.
        **kwargs: other keyword arguments passed to `keras_hub.models.MaskedLM`.

    Inputs: the backbone's inputs plus `"mask_positions"` (int32 `[batch, masks]`).
    Output: logits `[batch, masks, vocabulary_size]`.

    Example:
    ```python
    masked_lm = EelbertMaskedLM.from_preset("eelbert_uno_en")
    masked_lm.fit(x=["The quick brown fox jumped.", "I forgot my homework."], batch_size=2)
    ```
    `compile` is keras-hub's (Adam 5e-5, sparse categorical cross-entropy on logits, weighted accuracy);
    `eelbert pretrain` compiles its own recipe.
    """

    backbone_cls = EelbertBackbone
    preprocessor_cls = EelbertMaskedLMPreprocessor

    def __init__(self, backbone, vocabulary=None, mlm_head=None, preprocessor=None, **kwargs):
        if vocabulary is None:
            tokenizer = preprocessor.tokenizer if preprocessor is not None else None
            if tokenizer is None:
                tokenizer = EelbertTokenizer()
            vocabulary = tokenizer.get_vocabulary()
        elif preprocessor is not None and list(vocabulary) != preprocessor.tokenizer.get_vocabulary():
            raise ValueError(f"`vocabulary` ({len(vocabulary):,} tokens) is not the preprocessor's tokenizer's "
                             f"({preprocessor.tokenizer.vocabulary_size():,}): the head would predict other ids "
                             "than the preprocessor masks.")
        if mlm_head is None:
            mlm_head = "tied" if backbone.embedding_type == "table" else "separate"
        if mlm_head not in MLM_HEADS:
            raise ValueError(f"`mlm_head` must be one of {MLM_HEADS}. Received: {mlm_head!r}")
        if (mlm_head == "tied") != (backbone.embedding_type == "table"):
            raise ValueError(
                f"mlm_head={mlm_head!r} does not fit a {backbone.embedding_type!r} backbone: "
                "'tied' needs a table, 'hash_tied' a hash embedding; 'separate' fits hash backbones."
            )
        vocabulary = list(vocabulary)
        backbone.check_vocabulary_size(len(vocabulary))
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        if mlm_head == "hash_tied":
            self.mlm_head = HashTiedMaskedLMHead(
                vocabulary=vocabulary,
                embedding=backbone.token_embedding,
                kernel_initializer=bert_kernel_initializer(),
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )
        else:
            self.mlm_head = keras_hub.layers.MaskedLMHead(
                vocabulary_size=len(vocabulary),
                token_embedding=backbone.token_embedding if mlm_head == "tied" else None,
                intermediate_activation="gelu",
                kernel_initializer=bert_kernel_initializer(),
                layer_norm_epsilon=1e-12,
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )

        # === Functional Model ===
        inputs = {**backbone.input,
                  "mask_positions": keras.Input(shape=(None,), dtype="int32", name="mask_positions")}
        sequence_output = backbone(backbone.input)["sequence_output"]
        logits = self.mlm_head(sequence_output, mask_positions=inputs["mask_positions"])
        super().__init__(inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.vocabulary = vocabulary
        self.mlm_head_type = mlm_head

    def head_parameter_count(self):
        return sum(int(w.numpy().size) for w in self.mlm_head.weights)

    def __call__(self, *args, **kwargs):
        # As EelbertTextClassifier: the hash backbone's preprocessed inputs hold strings (the token strings),
        # which keras-hub refuses in a direct call; a dict passes as features.
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, dict):
            return keras.Model.__call__(self, *args, **kwargs)
        return super().__call__(*args, **kwargs)

    # Without a preprocessor the batches are the model's inputs already (`eelbert pretrain`'s token cache, a
    # `tf.distribute` dataset under a strategy): Keras's own loops take them as they are. keras-hub's rebuild the
    # dataset, which a distributed dataset cannot be.
    # With one, strings given as a list are shuffled every epoch (`task_fit.fit_arguments`).
    def fit(self, *args, **kwargs):
        if self.preprocessor is None:
            return keras.Model.fit(self, *args, **kwargs)
        return self._fit_strings(*args, **kwargs)

    def _fit_strings(self, x=None, y=None, batch_size=None, shuffle=None, sample_weight=None, **kwargs):
        return super().fit(**fit_arguments(x, y, sample_weight, batch_size, shuffle), **kwargs)

    def evaluate(self, *args, **kwargs):
        if self.preprocessor is None:
            return keras.Model.evaluate(self, *args, **kwargs)
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        if self.preprocessor is None:
            return keras.Model.predict(self, *args, **kwargs)
        return super().predict(*args, **kwargs)

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """The preprocessor's output less the inputs this model does not take (a hash backbone reads the
        token strings, not the ids), so that Keras sees exactly its input structure."""
        if self.preprocessor is not None:
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(self.preprocessor(x))
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k in self.input}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A masked LM from a preset: a shipped pretrained preset or architecture name (the backbone's
        weights, a new MLM head of the preset's kind, the WordPiece tokenizer it was pretrained with), or a
        preset folder or handle that keras-hub's loader reads (one saved by `save_to_preset` keeps its head).
        The shipped heads are training-only files outside the package (`eelbert evaluate-preset` reads them)."""
        task = task_from_name(cls, EelbertMaskedLMPreprocessor, preset, load_weights, kwargs)
        if task is not None:
            return task
        check_preset_folder(preset)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update({"vocabulary": self.vocabulary, "mlm_head": self.mlm_head_type})
        return config


def build_masked_lm(preset_or_config, vocabulary, mlm_head=None, **backbone_overrides):
    """A fresh `EelbertMaskedLM` from a preset name (or backbone config dict)."""
    if isinstance(preset_or_config, str):
        backbone = EelbertBackbone.from_preset(preset_or_config, **backbone_overrides)
    else:
        backbone = EelbertBackbone.from_config({**preset_or_config, **backbone_overrides})
    return EelbertMaskedLM(backbone, vocabulary, mlm_head=mlm_head, compile=False)


def mlm_head_variables(model):
    """The MLM head's own variables (a tied head's table belongs to the backbone and is not one)."""
    backbone_ids = {id(v) for v in model.backbone.weights}
    return [v for v in model.mlm_head.weights if id(v) not in backbone_ids]


def build_variables(model, length: int = 8, masks: int = 2, teacher_inputs: bool = False):
    """Creates a model's variables with one call on a dummy batch (both token inputs and the mask weights of a
    `DistilledMaskedLM` with `teacher_inputs`)."""
    x = {"segment_ids": tf.zeros([1, length], tf.int32), "padding_mask": tf.ones([1, length], tf.int32),
         "mask_positions": tf.zeros([1, masks], tf.int32)}
    if teacher_inputs:
        x.update(tokens=tf.fill([1, length], "[MASK]"), token_ids=tf.fill([1, length], 4),
                 mask_weights=tf.ones([1, masks], tf.float32))
    elif model.backbone.token_input_name == "tokens":
        x["tokens"] = tf.fill([1, length], "[MASK]")
    else:
        x["token_ids"] = tf.fill([1, length], 4)
    model(x, training=False)
