"""`EelbertTextClassifier`: keras-hub's `TextClassifier` on an `EelbertBackbone`, as `BertTextClassifier` is on
BERT's. Strings in (`fit`, `evaluate`, `predict` run the preprocessor in `tf.data`), logits out."""

import keras
import keras_hub

from eelbert_tf.models.eelbert_backbone import EelbertBackbone, bert_kernel_initializer
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.models.pooling import POOLINGS, pool
from eelbert_tf.models.preset_folder import check_preset_folder
from eelbert_tf.models.presets import BACKBONE_PRESETS
from eelbert_tf.models.pretrained import pretrained_presets
from eelbert_tf.models.registry import preset_tokenizer, task_from_name  # noqa: F401 - preset_tokenizer: public here too
from eelbert_tf.models.task_fit import fit_arguments


@keras.saving.register_keras_serializable(package="eelbert_tf")
class EelbertTextClassifier(keras_hub.models.TextClassifier):
    """A classification (or regression) head on the pooled output of an `EelbertBackbone`.

    Args:
        backbone: an `EelbertBackbone`.
        num_classes: int. Logits per example; `1` for regression (STS-B).
        preprocessor: an `EelbertTextClassifierPreprocessor`, or `None` for a model that takes
            preprocessed inputs (the backbone's dict). `from_preset` attaches one.
        activation: `None` (logits, the default), `"softmax"` for probabilities, or any Keras activation.
        dropout: float. Dropout before the output layer. Defaults to `0.1`.
        pooling: `"cls"` (the backbone's `pooled_output`, BERT's tanh pooler on `[CLS]`, the default, as
            keras-hub's BERT) or `"mean"` (the mean of `sequence_output` over the real tokens, `[CLS]` and
            `[SEP]` included). With one transformer layer `[CLS]` reads the fixed token vectors only through
            one attention-weighted linear map; the mean keeps each token's feed-forward output, a nonlinear
            function of its own vector, and scores higher on SST-2 (docs/finetuning.md).
        **kwargs: other keyword arguments passed to `keras_hub.models.TextClassifier`.

    Example:
    ```python
    classifier = EelbertTextClassifier.from_preset("eelbert_uno_en", num_classes=2)
    classifier.fit(x=["a joy", "a mess"], y=[1, 0], batch_size=2)
    classifier.predict(["what a film"])
    classifier.predict((["a premise"], ["its hypothesis"]))  # pairs are tuples of two lists
    ```
    `compile` defaults to AdamW at 2e-4 (the GLUE recipe's rate; keras-hub's 5e-5 suits BERT-base) and sparse
    categorical cross-entropy on logits (mean squared error with `num_classes=1`); `eelbert finetune` adds
    its warm-up and decay schedule.
    """

    backbone_cls = EelbertBackbone
    preprocessor_cls = EelbertTextClassifierPreprocessor

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.1, pooling="cls",
                 **kwargs):
        if int(num_classes) < 1:
            raise ValueError(f"`num_classes` must be at least 1 (1 for regression). Received: {num_classes!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"`pooling` must be one of {POOLINGS}. Received: {pooling!r}")
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.output_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="output_dropout")
        self.output_dense = keras.layers.Dense(
            num_classes, kernel_initializer=bert_kernel_initializer(), activation=activation,
            dtype=backbone.dtype_policy, name="logits",
        )
        # === Functional Model ===
        inputs = dict(backbone.input)
        pooled = pool(backbone(inputs), inputs["padding_mask"], pooling)
        outputs = self.output_dense(self.output_dropout(pooled))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.num_classes = int(num_classes)
        self.activation = keras.activations.get(activation)
        self.dropout = dropout
        self.pooling = pooling

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        if optimizer == "auto":  # the GLUE recipe's (FinetuneRecipe): keras-hub's 5e-5 is for BERT-base
            optimizer = keras.optimizers.AdamW(2e-4, weight_decay=0.01)
        if self.output_dense.units == 1:  # regression: keras-hub's defaults are for classes
            loss = keras.losses.MeanSquaredError() if loss == "auto" else loss
            metrics = [] if metrics == "auto" else metrics
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def fit(self, x=None, y=None, batch_size=None, shuffle=None, sample_weight=None, **kwargs):
        """keras-hub's `fit`, except that texts given as lists are shuffled every epoch unless `shuffle=False`
        (a file sorted by label would otherwise train one label at a time; `task_fit.fit_arguments`)."""
        return super().fit(**fit_arguments(x, y, sample_weight, batch_size, shuffle), **kwargs)

    def __call__(self, *args, **kwargs):
        # keras-hub refuses string inputs in a direct call (they would skip the preprocessor); the hash
        # backbone's preprocessed inputs hold strings too (the token strings), so a dict passes as features.
        inputs = args[0] if args else kwargs.get("inputs")
        if isinstance(inputs, dict):
            return keras.Model.__call__(self, *args, **kwargs)
        return super().__call__(*args, **kwargs)

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """The preprocessor's output less the inputs this backbone does not take (a hash backbone reads the
        token strings, not the ids), so that Keras sees exactly its input structure."""
        if self.preprocessor is not None:
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(self.preprocessor(x, y, sample_weight))
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k in self.backbone.input}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A classifier from a preset: a shipped pretrained preset or architecture name (the backbone's weights,
        a new head of `num_classes`, the tokenizer the backbone was pretrained with), or a preset folder or
        handle that keras-hub's loader reads (a classifier saved by `save_to_preset` keeps its head unless
        `num_classes` is given)."""
        if isinstance(preset, str) and (preset in BACKBONE_PRESETS or preset in pretrained_presets()) and \
                "num_classes" not in kwargs:
            raise ValueError(f"{cls.__name__}.from_preset({preset!r}) needs `num_classes`: the preset is a "
                             "backbone, and the classifier's head is new.")
        task = task_from_name(cls, EelbertTextClassifierPreprocessor, preset, load_weights, kwargs)
        if task is not None:
            return task
        check_preset_folder(preset)
        return super().from_preset(preset, load_weights=load_weights, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "activation": keras.activations.serialize(self.activation),
                "dropout": self.dropout,
                "pooling": self.pooling,
            }
        )
        return config
