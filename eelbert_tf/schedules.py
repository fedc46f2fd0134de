"""The learning-rate schedule every training run here uses (pretraining, fine-tuning, the teacher)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="eelbert_tf")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `peak` over `warmup_steps`, then linear decay to 0 at `total_steps`.

    Args:
        peak: float. The highest learning rate.
        warmup_steps: int. Steps of warm-up.
        total_steps: int. The step at which the rate reaches 0.
    """

    def __init__(self, peak, warmup_steps, total_steps):
        self.peak, self.warmup_steps, self.total_steps = peak, warmup_steps, total_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warm = step / max(self.warmup_steps, 1)
        decay = (self.total_steps - step) / max(self.total_steps - self.warmup_steps, 1)
        return self.peak * ops.clip(ops.minimum(warm, decay), 0.0, 1.0)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps, "total_steps": self.total_steps}


def make_schedule(peak: float, warmup_steps: int, total_steps: int) -> WarmupLinearDecay:
    """Linear warm-up to `peak`, then linear decay to 0 at `total_steps`."""
    return WarmupLinearDecay(peak, warmup_steps, total_steps)
