/* The micro input builder from raw UTF-8 text with the vocabulary-free words tokenizer: see
 * eelbert_micro_build_input_from_text() in eelbert_micro_input.h. A separate file so that devices with
 * WordPiece models link only eelbert_micro_input.c and eelbert_hash.c. */
#include "eelbert_micro_input.h"

static size_t min_size(size_t x, size_t y) { return x < y ? x : y; }

/* Tokenizes one text into scratch entries [first, first + returned count). */
static int words_of(const uint8_t* text, size_t n, int max_word_bytes, size_t length, uint8_t* folded,
                    const eelbert_micro_text_scratch* s, size_t first) {
  int total = eelbert_words_tokenize(text, n, max_word_bytes, folded, s->spans + first, (int)length);
  if (total < 0) return -1;
  size_t count = min_size((size_t)total, length);
  for (size_t i = 0; i < count; ++i) {
    uint8_t* out = s->token_bytes + (first + i) * (size_t)max_word_bytes;
    s->lengths[first + i] = eelbert_words_token_bytes(folded, &s->spans[first + i], out);
    s->tokens[first + i] = out;
  }
  return (int)count;
}

int eelbert_micro_build_input_from_text(const eelbert_micro_input_config* cfg, int max_word_bytes,
                                        const uint8_t* text_a, size_t n_a, const uint8_t* text_b, size_t n_b,
                                        const eelbert_micro_text_scratch* scratch, int32_t* sum, float* vector,
                                        int8_t* vectors, int8_t* mask, int8_t* segments) {
  if (cfg->sequence_length < 3 || max_word_bytes < 3) return -1;
  size_t length = (size_t)cfg->sequence_length;
  int count_a = words_of(text_a, n_a, max_word_bytes, length, scratch->folded, scratch, 0);
  if (count_a < 0) return -1;
  int count_b = 0;
  if (text_b != NULL) {
    count_b = words_of(text_b, n_b, max_word_bytes, length, scratch->folded + n_a, scratch, (size_t)count_a);
    if (count_b < 0) return -1;
  }
  return eelbert_micro_build_pair_input(cfg, scratch->tokens, scratch->lengths, (size_t)count_a, (size_t)count_b,
                                        text_b != NULL, sum, vector, vectors, mask, segments);
}
