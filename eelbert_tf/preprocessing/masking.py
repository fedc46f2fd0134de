"""The masked-LM masking rule, one home for the pretraining pipeline, its token cache and
`EelbertMaskedLMPreprocessor`: keras-hub `MaskedLMMaskGenerator`'s rates, and `mask_rows`, the same rule drawn
from a seeded NumPy generator."""

from __future__ import annotations

import numpy as np

MASK_SELECTION_RATE = 0.15
MASK_TOKEN_RATE = 0.8
RANDOM_TOKEN_RATE = 0.1


def mask_selection_length(sequence_length: int) -> int:
    """Masked positions kept per sequence: 15% of the length, rounded up."""
    return int(np.ceil(MASK_SELECTION_RATE * sequence_length))


def mask_rows(rows, rng, special_ids, mask_id: int, vocabulary_size: int) -> dict:
    """Masked-LM masks for the sequences `rows` `[n, L]`, drawn from the NumPy generator `rng`.

    The rule is keras-hub `MaskedLMMaskGenerator`'s (each token but [PAD], [CLS]
    and [SEP] is selected with probability 0.15, at most `mask_selection_length`
    per sequence, at least one; a selected token becomes [MASK] with probability
    0.8, a uniformly random token with 0.1, and stays with 0.1), drawn from a
    seeded generator because keras-hub's draws cannot be seeded: the validation set is
    masked once with it, and training batches (`masking="per_batch"`) each with a generator
    keyed by the batch's position in the run, so that masks do not depend on how a run
    was resumed or split across workers.
    """
    n, length = rows.shape
    k = mask_selection_length(length)
    masked = rows.astype(np.int32).copy()
    positions = np.zeros((n, k), np.int32)
    ids = np.zeros((n, k), np.int32)
    weights = np.zeros((n, k), np.float32)
    for i in range(n):
        candidates = np.flatnonzero(~np.isin(rows[i], special_ids))
        if len(candidates) == 0:
            continue
        chosen = candidates[rng.random(len(candidates)) < MASK_SELECTION_RATE]
        if len(chosen) == 0:
            chosen = rng.choice(candidates, 1)
        if len(chosen) > k:
            chosen = rng.choice(chosen, k, replace=False)
        chosen = np.sort(chosen)
        positions[i, : len(chosen)] = chosen
        ids[i, : len(chosen)] = rows[i, chosen]
        weights[i, : len(chosen)] = 1.0
        r = rng.random(len(chosen))
        replacement = np.where(
            r < MASK_TOKEN_RATE, mask_id,
            np.where(r < MASK_TOKEN_RATE + RANDOM_TOKEN_RATE, rng.integers(0, vocabulary_size, len(chosen)),
                     rows[i, chosen]),
        )
        masked[i, chosen] = replacement
    return {"token_ids_masked": masked, "mask_positions": positions, "mask_ids": ids, "mask_weights": weights}
