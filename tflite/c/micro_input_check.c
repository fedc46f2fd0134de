/* Reads one request per line and prints the int8 inputs eelbert_micro_build_input() writes, so a test
 * can compare them with the Python builder:
 *   L DIM HASH_TYPE SEED ORDERS VSCALE VZP MSCALE MZP SSCALE SZP N_A N_B HEX...
 * (ORDERS comma-separated; HEX one token's UTF-8 bytes, "-" for an empty token). Output: the packed
 * count, then L*DIM vector values, L mask values and L segment values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eelbert_hash.h"
#include "eelbert_micro_input.h"

int main(void) {
  int length, dim, hash_type, vzp, mzp, szp;
  unsigned long seed;
  size_t n_a, n_b;
  float vscale, mscale, sscale;
  char orders_text[256];
  while (scanf("%d %d %d %lu %255s %f %d %f %d %f %d %zu %zu", &length, &dim, &hash_type, &seed, orders_text,
               &vscale, &vzp, &mscale, &mzp, &sscale, &szp, &n_a, &n_b) == 13) {
    int orders[16], n_orders = 0;
    for (char* t = strtok(orders_text, ","); t && n_orders < 16; t = strtok(NULL, ",")) orders[n_orders++] = atoi(t);
    size_t n = n_a + n_b;
    uint8_t** tokens = malloc(sizeof(uint8_t*) * (n + 1));
    size_t* lengths = malloc(sizeof(size_t) * (n + 1));
    static char hex[70000];
    for (size_t i = 0; i < n; ++i) {
      if (scanf("%69999s", hex) != 1) return 1;
      lengths[i] = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
      tokens[i] = malloc(lengths[i] + 1);
      for (size_t k = 0; k < lengths[i]; ++k) sscanf(hex + 2 * k, "%2hhx", &tokens[i][k]);
    }
    int32_t *a = malloc(sizeof(int32_t) * dim), *c = malloc(sizeof(int32_t) * dim), *b = malloc(sizeof(int32_t) * dim);
    int32_t* sum = malloc(sizeof(int32_t) * dim);
    float* vector = malloc(sizeof(float) * dim);
    int8_t* vectors = malloc((size_t)length * dim);
    int8_t *mask = malloc(length), *segments = malloc(length);
    eelbert_coefficients((uint32_t)seed, dim, a, c, b);
    eelbert_micro_input_config cfg = {length, dim, hash_type, orders, n_orders, a, c, b,
                                      vscale, vzp, mscale, mzp, sscale, szp};
    int packed = eelbert_micro_build_input(&cfg, (const uint8_t* const*)tokens, lengths, n_a, n_b, sum, vector,
                                           vectors, mask, segments);
    printf("%d", packed);
    for (int i = 0; i < length * dim; ++i) printf(" %d", vectors[i]);
    for (int i = 0; i < length; ++i) printf(" %d", mask[i]);
    for (int i = 0; i < length; ++i) printf(" %d", segments[i]);
    printf("\n");
    for (size_t i = 0; i < n; ++i) free(tokens[i]);
    free(tokens); free(lengths); free(a); free(c); free(b); free(sum); free(vector); free(vectors); free(mask);
    free(segments);
  }
  return 0;
}
