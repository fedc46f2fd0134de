/* Reads one request per line and prints the int8 inputs eelbert_micro_build_input_from_text() writes from
 * raw UTF-8 text, so a test can compare them with the Python builder:
 *   L DIM HASH_TYPE SEED ORDERS VSCALE VZP MSCALE MZP SSCALE SZP MAX_WORD_BYTES HEX_A HEX_B
 * (HEX_A, HEX_B: the texts' UTF-8 bytes, "-" for an empty text, "none" for no second text). Output as
 * micro_input_check.c's: the packed count, then L*DIM vector values, L mask values and L segment values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eelbert_hash.h"
#include "eelbert_micro_input.h"

static size_t read_hex(const char* hex, uint8_t* out) {
  size_t n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
  for (size_t k = 0; k < n; ++k) sscanf(hex + 2 * k, "%2hhx", &out[k]);
  return n;
}

int main(void) {
  int length, dim, hash_type, vzp, mzp, szp, max_word_bytes;
  unsigned long seed;
  float vscale, mscale, sscale;
  char orders_text[256];
  static char hex_a[200001], hex_b[200001];
  static uint8_t text_a[100000], text_b[100000];
  while (scanf("%d %d %d %lu %255s %f %d %f %d %f %d %d %200000s %200000s", &length, &dim, &hash_type, &seed,
               orders_text, &vscale, &vzp, &mscale, &mzp, &sscale, &szp, &max_word_bytes, hex_a, hex_b) == 14) {
    int orders[16], n_orders = 0;
    for (char* t = strtok(orders_text, ","); t && n_orders < 16; t = strtok(NULL, ",")) orders[n_orders++] = atoi(t);
    size_t n_a = read_hex(hex_a, text_a);
    int pair = strcmp(hex_b, "none") != 0;
    size_t n_b = pair ? read_hex(hex_b, text_b) : 0;
    int32_t *a = malloc(sizeof(int32_t) * dim), *c = malloc(sizeof(int32_t) * dim), *b = malloc(sizeof(int32_t) * dim);
    int32_t* sum = malloc(sizeof(int32_t) * dim);
    float* vector = malloc(sizeof(float) * dim);
    int8_t* vectors = malloc((size_t)length * dim);
    int8_t *mask = malloc(length), *segments = malloc(length);
    eelbert_micro_text_scratch scratch = {
        malloc(n_a + n_b + 1), malloc(sizeof(eelbert_word_span) * 2 * length),
        malloc(sizeof(uint8_t*) * 2 * length), malloc(sizeof(size_t) * 2 * length),
        malloc((size_t)2 * length * max_word_bytes)};
    eelbert_coefficients((uint32_t)seed, dim, a, c, b);
    eelbert_micro_input_config cfg = {length, dim, hash_type, orders, n_orders, a, c, b,
                                      vscale, vzp, mscale, mzp, sscale, szp};
    int packed = eelbert_micro_build_input_from_text(&cfg, max_word_bytes, text_a, n_a, pair ? text_b : NULL, n_b,
                                                     &scratch, sum, vector, vectors, mask, segments);
    printf("%d", packed);
    for (int i = 0; i < length * dim; ++i) printf(" %d", vectors[i]);
    for (int i = 0; i < length; ++i) printf(" %d", mask[i]);
    for (int i = 0; i < length; ++i) printf(" %d", segments[i]);
    printf("\n");
    free(scratch.folded); free(scratch.spans); free((void*)scratch.tokens); free(scratch.lengths);
    free(scratch.token_bytes);
    free(a); free(c); free(b); free(sum); free(vector); free(vectors); free(mask); free(segments);
  }
  return 0;
}
