/* EELBERT hash embedding: C reference of docs/hash_spec.md (spec version 1).
 *
 * Host code on a phone or microcontroller calls this to turn each WordPiece token
 * into the vector the model's embedding input expects (TFLite Micro has no string
 * tensors and no FLOOR_MOD kernel that runs this graph). It allocates nothing and
 * uses only 32-bit integer arithmetic plus one float division per value. Checked
 * bit for bit against tflite/golden/hash_golden.json by tests/test_c_reference.py.
 */
#ifndef EELBERT_HASH_H_
#define EELBERT_HASH_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { EELBERT_NGRAM_POOLING = 0, EELBERT_WHOLE_TOKEN = 1 };

/* Per-dimension coefficients a, c (in [1, 16383]) and b (in [0, 65520]). */
void eelbert_coefficients(uint32_t seed, int dim, int32_t* a, int32_t* c, int32_t* b);

/* Embeds one token (its UTF-8 bytes) into out[0..dim). `a`, `c`, `b` come from
 * eelbert_coefficients(). `orders` holds n_orders distinct n-gram orders in [1, 16].
 * Returns the number of pooled sequences (0 for "" and "[PAD]", whose vector is 0),
 * or -1 if the token is too long for 32-bit sums (more than 32765 bytes). */
int eelbert_embed_token(const uint8_t* bytes, size_t len, int dim, int hash_type,
                        const int* orders, int n_orders, const int32_t* a,
                        const int32_t* c, const int32_t* b, int32_t* scratch_sum,
                        float* out);

#ifdef __cplusplus
}
#endif
#endif /* EELBERT_HASH_H_ */
