/* Reads lines "HEX DIM HASH_TYPE SEED ORDER[,ORDER...]" (HEX: the token's UTF-8
 * bytes, "-" for the empty token) and prints each vector as float32 bit patterns
 * in hex, so a test can compare them with the golden file exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eelbert_hash.h"

int main(void) {
  char hex[70000], orders_text[256];
  int dim, hash_type;
  unsigned long seed;
  while (scanf("%69999s %d %d %lu %255s", hex, &dim, &hash_type, &seed, orders_text) == 5) {
    static uint8_t bytes[35000];
    size_t len = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
    for (size_t i = 0; i < len; ++i) sscanf(hex + 2 * i, "%2hhx", &bytes[i]);
    int orders[16], n_orders = 0;
    for (char* t = strtok(orders_text, ","); t && n_orders < 16; t = strtok(NULL, ","))
      orders[n_orders++] = atoi(t);
    int32_t* a = malloc(sizeof(int32_t) * dim);
    int32_t* c = malloc(sizeof(int32_t) * dim);
    int32_t* b = malloc(sizeof(int32_t) * dim);
    int32_t* sum = malloc(sizeof(int32_t) * dim);
    float* out = malloc(sizeof(float) * dim);
    eelbert_coefficients((uint32_t)seed, dim, a, c, b);
    int count = eelbert_embed_token(bytes, len, dim, hash_type, orders, n_orders, a, c, b, sum, out);
    printf("%d", count);
    for (int j = 0; j < dim; ++j) {
      uint32_t bits;
      memcpy(&bits, &out[j], 4);
      printf(" %08x", bits);
    }
    printf("\n");
    free(a); free(c); free(b); free(sum); free(out);
  }
  return 0;
}
