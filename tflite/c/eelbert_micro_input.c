/* See eelbert_micro_input.h. */
#include "eelbert_micro_input.h"

#include <string.h>

#include "eelbert_hash.h"

/* round(value / scale) + zero_point, halves away from zero (TFLite's rule), clamped to int8. */
static int8_t quantize(float value, float scale, int32_t zero_point) {
  float scaled = value / scale;
  float magnitude = scaled < 0.0f ? -scaled : scaled;
  int32_t rounded = (int32_t)(magnitude + 0.5f);
  int32_t q = (scaled < 0.0f ? -rounded : rounded) + zero_point;
  return (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
}

static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }
static size_t max_size(size_t x, size_t y) { return x > y ? x : y; }

/* Writes one packed position: the token's quantized hash vector, mask 1, its segment. */
static int put(const eelbert_micro_input_config* cfg, size_t position, const uint8_t* token, size_t len,
               int segment, int32_t* sum, float* vector, int8_t* vectors, int8_t* mask, int8_t* segments) {
  if (eelbert_embed_token(token, len, cfg->dim, cfg->hash_type, cfg->orders, cfg->n_orders, cfg->a, cfg->c,
                          cfg->b, sum, vector) < 0)
    return -1;
  for (int j = 0; j < cfg->dim; ++j)
    vectors[position * (size_t)cfg->dim + (size_t)j] = quantize(vector[j], cfg->vector_scale, cfg->vector_zero_point);
  mask[position] = quantize(1.0f, cfg->mask_scale, cfg->mask_zero_point);
  segments[position] = quantize((float)segment, cfg->segment_scale, cfg->segment_zero_point);
  return 0;
}

int eelbert_micro_build_input(const eelbert_micro_input_config* cfg, const uint8_t* const* tokens,
                              const size_t* lengths, size_t n_a, size_t n_b, int32_t* sum, float* vector,
                              int8_t* vectors, int8_t* mask, int8_t* segments) {
  return eelbert_micro_build_pair_input(cfg, tokens, lengths, n_a, n_b, n_b > 0, sum, vector, vectors, mask,
                                        segments);
}

int eelbert_micro_build_pair_input(const eelbert_micro_input_config* cfg, const uint8_t* const* tokens,
                                   const size_t* lengths, size_t n_a, size_t n_b, int pair, int32_t* sum,
                                   float* vector, int8_t* vectors, int8_t* mask, int8_t* segments) {
  static const uint8_t cls[] = "[CLS]", sep[] = "[SEP]";
  if (!pair && n_b > 0) return -1;
  size_t length = (size_t)cfg->sequence_length, segments_count = pair ? 2 : 1;
  if (cfg->sequence_length < 3 || cfg->dim <= 0) return -1;
  /* Round robin: one token from each text in turn (the first text first) until the budget is spent. */
  size_t budget = length - 1 - segments_count, keep_a, keep_b = 0;
  if (!pair) {
    keep_a = min_size(n_a, budget);
  } else {
    keep_b = min_size(n_b, max_size(budget > n_a ? budget - n_a : 0, budget / 2));
    keep_a = min_size(n_a, budget - keep_b);
  }
  /* Padding positions: a zero vector, mask 0, segment 0, each as the model quantizes them. */
  int8_t zero_vector = quantize(0.0f, cfg->vector_scale, cfg->vector_zero_point);
  memset(vectors, (unsigned char)zero_vector, length * (size_t)cfg->dim);
  memset(mask, (unsigned char)quantize(0.0f, cfg->mask_scale, cfg->mask_zero_point), length);
  memset(segments, (unsigned char)quantize(0.0f, cfg->segment_scale, cfg->segment_zero_point), length);
  size_t p = 0;
  if (put(cfg, p++, cls, 5, 0, sum, vector, vectors, mask, segments) < 0) return -1;
  for (size_t i = 0; i < keep_a; ++i)
    if (put(cfg, p++, tokens[i], lengths[i], 0, sum, vector, vectors, mask, segments) < 0) return -1;
  if (put(cfg, p++, sep, 5, 0, sum, vector, vectors, mask, segments) < 0) return -1;
  if (pair) {
    for (size_t i = 0; i < keep_b; ++i)
      if (put(cfg, p++, tokens[n_a + i], lengths[n_a + i], 1, sum, vector, vectors, mask, segments) < 0)
        return -1;
    if (put(cfg, p++, sep, 5, 1, sum, vector, vectors, mask, segments) < 0) return -1;
  }
  return (int)p;
}

