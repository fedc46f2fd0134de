/* EELBERT's vocabulary-free word tokenizer: C reference of docs/hash_spec.md, section 9
 * (words spec version 1).
 *
 * Raw UTF-8 text in, tokens out, with no table: ASCII and Latin-1 capitals are lower-cased,
 * whitespace and control bytes separate tokens, each ASCII punctuation byte and each General
 * Punctuation character (U+2010..U+203F) is a token, every other run of bytes is a word, and a word
 * longer than max_word_bytes is cut into a first piece and "##" continuation pieces. Each token then
 * goes to eelbert_embed_token() (eelbert_hash.h), so a microcontroller takes a sentence, not
 * pre-made tokens. C99; stdint.h and stddef.h only; allocates nothing. Checked token for token and
 * vector for vector against tflite/golden/words_golden.json by tests/test_c_reference.py.
 */
#ifndef EELBERT_WORDS_H_
#define EELBERT_WORDS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { EELBERT_WORDS_DEFAULT_MAX_WORD_BYTES = 20 };

typedef struct {
  uint32_t start;        /* byte offset of the token's content in the folded text */
  uint32_t length;       /* content bytes (without the "##" of a continuation piece) */
  uint32_t continuation; /* 1 for a "##" continuation piece of a long word */
} eelbert_word_span;

/* Case-folds text[0..n) into folded[0..n) (folded may equal text) and writes the spans of at most
 * max_spans tokens. Returns the number of tokens the text has (it may exceed max_spans: only the
 * first max_spans are written, as packing cuts a long text at the end), or -1 for bad arguments
 * (max_word_bytes < 3). */
int eelbert_words_tokenize(const uint8_t* text, size_t n, int max_word_bytes, uint8_t* folded,
                           eelbert_word_span* spans, int max_spans);

/* Writes one token's bytes ("##" then the content for a continuation piece) to out, which holds at
 * least max_word_bytes bytes; returns their number. */
size_t eelbert_words_token_bytes(const uint8_t* folded, const eelbert_word_span* span, uint8_t* out);

#ifdef __cplusplus
}
#endif
#endif /* EELBERT_WORDS_H_ */
