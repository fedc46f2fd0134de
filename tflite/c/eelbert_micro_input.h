/* EELBERT on TFLite Micro: a sentence's WordPiece tokens to the int8 inputs of a model exported
 * with `eelbert export --format micro` (token_vectors [L, H], padding_mask [L], segment_ids [L]).
 *
 * Packs [CLS] a [SEP] (b [SEP]) into L positions, cutting the texts round robin as the Keras
 * preprocessor (keras-hub's MultiSegmentPacker) does, hashes every packed token with
 * eelbert_embed_token() and quantizes with the model's input scales and zero points
 * (model_data.h). C99; string.h and stdint.h only; allocates nothing. Checked bit for bit
 * against the Python builder (eelbert_lite.micro.quantized_inputs) by
 * tests/export/test_micro.py.
 */
#ifndef EELBERT_MICRO_INPUT_H_
#define EELBERT_MICRO_INPUT_H_

#include <stddef.h>
#include <stdint.h>

#include "eelbert_words.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int sequence_length; /* L, the model's static length */
  int dim;             /* H, the hash embedding width */
  int hash_type;       /* EELBERT_NGRAM_POOLING or EELBERT_WHOLE_TOKEN */
  const int* orders;   /* n-gram orders */
  int n_orders;
  const int32_t* a; /* eelbert_coefficients(seed, dim, a, c, b) */
  const int32_t* c;
  const int32_t* b;
  float vector_scale; /* EELBERT_TOKEN_VECTORS_SCALE etc. from model_data.h */
  int32_t vector_zero_point;
  float mask_scale;
  int32_t mask_zero_point;
  float segment_scale;
  int32_t segment_zero_point;
} eelbert_micro_input_config;

/* tokens[0 .. n_a) are the first text's WordPiece tokens, tokens[n_a .. n_a + n_b) the second's
 * (n_b = 0 for one text); lengths[i] is the byte length of tokens[i]. scratch_sum holds dim int32,
 * scratch_vector dim floats. Writes vectors[L * dim], mask[L] and segments[L]. Returns the number
 * of packed tokens, or -1 for bad arguments or a token longer than the hash accepts. */
int eelbert_micro_build_input(const eelbert_micro_input_config* cfg, const uint8_t* const* tokens,
                              const size_t* lengths, size_t n_a, size_t n_b, int32_t* scratch_sum,
                              float* scratch_vector, int8_t* vectors, int8_t* mask, int8_t* segments);

/* The same, with the pair said explicitly: pair = 1 packs [CLS] a [SEP] b [SEP] even when the second text
 * has no token (n_b = 0: [CLS] a [SEP] [SEP], as the Python preprocessor packs a pair with an empty second
 * text); pair = 0 needs n_b = 0. */
int eelbert_micro_build_pair_input(const eelbert_micro_input_config* cfg, const uint8_t* const* tokens,
                                   const size_t* lengths, size_t n_a, size_t n_b, int pair, int32_t* scratch_sum,
                                   float* scratch_vector, int8_t* vectors, int8_t* mask, int8_t* segments);

/* Buffers for eelbert_micro_build_input_from_text(), for a model of sequence length L and words tokenizer
 * setting W (max_word_bytes): folded holds n_a + n_b bytes; spans, tokens and lengths 2 * L entries each;
 * token_bytes 2 * L * W bytes. */
typedef struct {
  uint8_t* folded;
  eelbert_word_span* spans;
  const uint8_t** tokens;
  size_t* lengths;
  uint8_t* token_bytes;
} eelbert_micro_text_scratch;

/* The same inputs from raw UTF-8 text, for a model fine-tuned with the vocabulary-free words tokenizer
 * (in eelbert_micro_text_input.c; link eelbert_words.c too):
 * each text is tokenized by eelbert_words_tokenize() (at most L tokens each are kept, more than packing
 * ever uses), then packed and hashed as above. text_b = NULL for one text; a second text, even one with no
 * token, packs as a pair (eelbert_micro_build_pair_input). A sentence in, the model's int8
 * inputs out, with no vocabulary on the device. Returns the packed count, or -1. */
int eelbert_micro_build_input_from_text(const eelbert_micro_input_config* cfg, int max_word_bytes,
                                        const uint8_t* text_a, size_t n_a, const uint8_t* text_b, size_t n_b,
                                        const eelbert_micro_text_scratch* scratch, int32_t* scratch_sum,
                                        float* scratch_vector, int8_t* vectors, int8_t* mask, int8_t* segments);

#ifdef __cplusplus
}
#endif
#endif /* EELBERT_MICRO_INPUT_H_ */
