/* C reference of the EELBERT hash embedding; see eelbert_hash.h and docs/hash_spec.md. */
#include "eelbert_hash.h"

#include <string.h>

#define EELBERT_BOW 256
#define EELBERT_CONT 257
#define EELBERT_EOW 258
#define EELBERT_WHOLE 259
#define EELBERT_ORDER_BASE 260
#define EELBERT_P1 65521u
#define EELBERT_B1 48271u
#define EELBERT_P2 65519u
#define EELBERT_B2 40004u
#define EELBERT_M 65521
#define EELBERT_HALF 65520
#define EELBERT_COEF_MAX 16383u
#define EELBERT_MAX_BYTES 32765

static uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

void eelbert_coefficients(uint32_t seed, int dim, int32_t* a, int32_t* c, int32_t* b) {
  uint32_t base = mix32(seed ^ 0x9e3779b9u);
  for (int j = 0; j < dim; ++j) {
    a[j] = (int32_t)(1u + mix32(base + 3u * (uint32_t)j) % EELBERT_COEF_MAX);
    c[j] = (int32_t)(1u + mix32(base + 3u * (uint32_t)j + 1u) % EELBERT_COEF_MAX);
    b[j] = (int32_t)(mix32(base + 3u * (uint32_t)j + 2u) % (uint32_t)EELBERT_M);
  }
}

/* Streaming polynomial hash: h = sum_k (q_k + 1) * B^k mod P. */
typedef struct {
  uint32_t h1, p1, h2, p2;
} hash_state;

static void hash_init(hash_state* s) { s->h1 = 0; s->p1 = 1; s->h2 = 0; s->p2 = 1; }

static void hash_push(hash_state* s, uint32_t q) {
  s->h1 = (s->h1 + (q + 1u) * s->p1) % EELBERT_P1; /* (q+1) <= 277, p < 2^16 */
  s->p1 = s->p1 * EELBERT_B1 % EELBERT_P1;          /* both < 2^16: fits in 32 bits */
  s->h2 = (s->h2 + (q + 1u) * s->p2) % EELBERT_P2;
  s->p2 = s->p2 * EELBERT_B2 % EELBERT_P2;
}

static void add_values(const hash_state* s, int dim, const int32_t* a, const int32_t* c,
                       const int32_t* b, int32_t* sum) {
  for (int j = 0; j < dim; ++j) {
    int32_t u = (int32_t)((s->h1 * (uint32_t)a[j] + s->h2 * (uint32_t)c[j] + (uint32_t)b[j]) %
                          (uint32_t)EELBERT_M);
    sum[j] += 2 * u - EELBERT_HALF;
  }
}

/* Symbol k of [mark, *body, EOW]. */
static uint32_t symbol_at(const uint8_t* body, size_t body_len, uint32_t mark, size_t k) {
  if (k == 0) return mark;
  if (k == body_len + 1) return EELBERT_EOW;
  return body[k - 1];
}

int eelbert_embed_token(const uint8_t* bytes, size_t len, int dim, int hash_type,
                        const int* orders, int n_orders, const int32_t* a,
                        const int32_t* c, const int32_t* b, int32_t* sum, float* out) {
  int count = 0;
  hash_state s;
  memset(sum, 0, sizeof(int32_t) * (size_t)dim);
  if (len > EELBERT_MAX_BYTES) return -1;
  int padding = len == 0 || (len == 5 && memcmp(bytes, "[PAD]", 5) == 0);
  int special = len >= 3 && bytes[0] == '[' && bytes[len - 1] == ']';
  if (padding) {
    /* zero vector */
  } else if (hash_type == EELBERT_WHOLE_TOKEN || special) {
    hash_init(&s);
    hash_push(&s, EELBERT_WHOLE);
    for (size_t k = 0; k < len; ++k) hash_push(&s, bytes[k]);
    add_values(&s, dim, a, c, b, sum);
    count = 1;
  } else {
    int cont = len > 2 && bytes[0] == '#' && bytes[1] == '#';
    const uint8_t* body = cont ? bytes + 2 : bytes;
    size_t body_len = cont ? len - 2 : len;
    uint32_t mark = cont ? EELBERT_CONT : EELBERT_BOW;
    size_t n_symbols = body_len + 2;
    for (int o = 0; o < n_orders; ++o) {
      size_t n = (size_t)orders[o];
      size_t windows = n_symbols <= n ? 1 : n_symbols - n + 1;
      size_t width = n_symbols <= n ? n_symbols : n;
      for (size_t i = 0; i < windows; ++i) {
        hash_init(&s);
        hash_push(&s, EELBERT_ORDER_BASE + (uint32_t)n);
        for (size_t k = 0; k < width; ++k) hash_push(&s, symbol_at(body, body_len, mark, i + k));
        add_values(&s, dim, a, c, b, sum);
        ++count;
      }
    }
  }
  float denominator = (float)(count > 0 ? count : 1) * (float)EELBERT_HALF;
  for (int j = 0; j < dim; ++j) out[j] = (float)sum[j] / denominator;
  return count;
}
