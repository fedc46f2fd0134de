/* Reads lines "HEX MAX_WORD_BYTES DIM" (HEX: a text's UTF-8 bytes, "-" for the empty text), tokenizes
 * each text with eelbert_words_tokenize(), embeds each token with eelbert_embed_token() (n-gram
 * pooling, trigrams, seed 0) and prints one line per text: the token count, then for each token its
 * bytes in hex and its vector as float32 bit patterns, so a test can compare them with the golden file
 * exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eelbert_hash.h"
#include "eelbert_words.h"

#define MAX_TEXT 4096
#define MAX_DIM 64

int main(void) {
  static char hex[2 * MAX_TEXT + 2];
  static uint8_t text[MAX_TEXT], folded[MAX_TEXT], token[MAX_TEXT];
  static eelbert_word_span spans[MAX_TEXT];
  int max_word_bytes, dim;
  while (scanf("%8193s %d %d", hex, &max_word_bytes, &dim) == 3) {
    if (dim < 1 || dim > MAX_DIM) return 2;
    size_t n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
    for (size_t i = 0; i < n; ++i) sscanf(hex + 2 * i, "%2hhx", &text[i]);
    int32_t a[MAX_DIM], c[MAX_DIM], b[MAX_DIM], sum[MAX_DIM];
    float vector[MAX_DIM];
    const int orders[1] = {3};
    eelbert_coefficients(0, dim, a, c, b);
    int count = eelbert_words_tokenize(text, n, max_word_bytes, folded, spans, MAX_TEXT);
    printf("%d", count);
    for (int t = 0; t < count; ++t) {
      size_t len = eelbert_words_token_bytes(folded, &spans[t], token);
      printf(" ");
      for (size_t k = 0; k < len; ++k) printf("%02x", token[k]);
      eelbert_embed_token(token, len, dim, EELBERT_NGRAM_POOLING, orders, 1, a, c, b, sum, vector);
      for (int j = 0; j < dim; ++j) {
        uint32_t bits;
        memcpy(&bits, &vector[j], 4);
        printf(":%08x", bits);
      }
    }
    printf("\n");
  }
  return 0;
}
