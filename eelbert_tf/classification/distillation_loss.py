"""The loss of task distillation: the labels where there are labels, the teacher's soft scores everywhere.

For classes (Hinton et al. 2015):

    loss = alpha * CE(label, s) * has_label
         + (1 - alpha) * T^2 * KL(softmax(t / T) || softmax(s / T))

where `s` are the student's logits, `t` the teacher's, `T` the temperature (the `T^2` keeps the
soft term's gradient on the scale of the hard one's), and `has_label` is 0 for texts the
teacher labelled alone (`--unlabeled`, `--augment`). For a regression task (STS-B) both
terms are squared errors: `alpha * (y - s)^2 * has_label + (1 - alpha) * (t - s)^2`.

The targets travel as one float tensor `[batch, 2 + outputs]`: the label (a class index or
a value), `has_label` (1 or 0), then the teacher's logits. The loss is the mean over the
batch.
"""

from __future__ import annotations

import keras


def pack_targets(labels, has_label, teacher_logits):
    """`[n, 2 + outputs]` float32 targets of `DistillationLoss`."""
    import numpy as np

    return np.concatenate([np.asarray(labels, np.float32)[:, None], np.asarray(has_label, np.float32)[:, None],
                           np.asarray(teacher_logits, np.float32)], axis=1)


@keras.saving.register_keras_serializable(package="eelbert_tf")
class DistillationLoss(keras.losses.Loss):
    """Hard-label loss plus the distance to a teacher's scores (see the module docstring).

    Args:
        regression: bool. Squared errors instead of cross-entropy and KL. Defaults to `False`.
        alpha: float in [0, 1]. Weight of the hard-label term; `1 - alpha` weighs the teacher's.
            Defaults to `0.5`.
        temperature: float > 0. Softmax temperature of the KL term. Defaults to `1.0`.
        name: the loss name. Defaults to `"distillation_loss"`.
    """

    def __init__(self, regression=False, alpha=0.5, temperature=1.0, name="distillation_loss", **kwargs):
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"--distill-alpha must lie in [0, 1]. Received: {alpha}")
        if temperature <= 0:
            raise ValueError(f"--temperature must be positive. Received: {temperature}")
        super().__init__(name=name, **kwargs)
        self.regression = regression
        self.alpha = alpha
        self.temperature = temperature

    def call(self, y_true, y_pred):
        from keras import ops

        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32")
        label, has_label, teacher = y_true[:, 0], y_true[:, 1], y_true[:, 2:]
        if self.regression:
            hard = ops.square(label - y_pred[:, 0])
            soft = ops.mean(ops.square(teacher - y_pred), axis=-1)
        else:
            log_p = ops.log_softmax(y_pred, axis=-1)
            one_hot = ops.one_hot(ops.cast(label, "int32"), ops.shape(y_pred)[-1])
            hard = -ops.sum(one_hot * log_p, axis=-1)
            t = self.temperature
            log_q_teacher = ops.log_softmax(teacher / t, axis=-1)
            log_q_student = ops.log_softmax(y_pred / t, axis=-1)
            soft = ops.sum(ops.exp(log_q_teacher) * (log_q_teacher - log_q_student), axis=-1) * (t * t)
        return self.alpha * hard * has_label + (1.0 - self.alpha) * soft

    def get_config(self):
        return {**super().get_config(), "regression": self.regression, "alpha": self.alpha,
                "temperature": self.temperature}
