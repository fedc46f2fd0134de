/* C reference of the word tokenizer: docs/hash_spec.md, section 9. See eelbert_words.h. */
#include "eelbert_words.h"

enum { SPACE = 0, PUNCT = 1, WORD = 2 };

static int is_ascii_punct(uint8_t b) {
  return (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) ||
         (b >= 0x7B && b <= 0x7E);
}

/* E2 80 90..E2 80 BF: a General Punctuation character, U+2010..U+203F. */
static int general_punct_at(const uint8_t* t, size_t n, size_t i) {
  return i + 2 < n && t[i] == 0xE2 && t[i + 1] == 0x80 && t[i + 2] >= 0x90 && t[i + 2] <= 0xBF;
}

/* The class of byte i (9.2): a byte of a General Punctuation character is PUNCT. E2 is never a
 * tail byte, so looking back two bytes is enough. */
static int byte_class(const uint8_t* t, size_t n, size_t i) {
  uint8_t b = t[i];
  if (b <= 0x20 || b == 0x7F) return SPACE;
  if (is_ascii_punct(b)) return PUNCT;
  if (general_punct_at(t, n, i) || (i >= 1 && general_punct_at(t, n, i - 1)) ||
      (i >= 2 && general_punct_at(t, n, i - 2)))
    return PUNCT;
  return WORD;
}

int eelbert_words_tokenize(const uint8_t* text, size_t n, int max_word_bytes, uint8_t* folded,
                           eelbert_word_span* spans, int max_spans) {
  if (max_word_bytes < 3 || (n > 0 && (text == NULL || folded == NULL)) || max_spans < 0 ||
      (max_spans > 0 && spans == NULL))
    return -1;
  /* 9.1: fold from the end, so that folded may alias text and each byte still sees its original
   * predecessor (only C3, never changed, matters). */
  for (size_t k = n; k-- > 0;) {
    uint8_t b = text[k];
    if (b >= 0x41 && b <= 0x5A)
      b = (uint8_t)(b + 0x20);
    else if (k > 0 && text[k - 1] == 0xC3 && b >= 0x80 && b <= 0x9E && b != 0x97)
      b = (uint8_t)(b + 0x20);
    folded[k] = b;
  }
  /* 9.3 (classes do not change under folding). */
  int count = 0;
  size_t i = 0;
  while (i < n) {
    int c = byte_class(folded, n, i);
    if (c == SPACE) {
      ++i;
    } else if (c == PUNCT) {
      size_t size = folded[i] == 0xE2 ? 3 : 1;
      if (count < max_spans) spans[count] = (eelbert_word_span){(uint32_t)i, (uint32_t)size, 0};
      ++count;
      i += size;
    } else {
      size_t j = i;
      while (j < n && byte_class(folded, n, j) == WORD) ++j;
      size_t w = (size_t)max_word_bytes;
      size_t first = j - i < w ? j - i : w;
      if (count < max_spans) spans[count] = (eelbert_word_span){(uint32_t)i, (uint32_t)first, 0};
      ++count;
      for (size_t k = i + w; k < j; k += w - 2) {
        size_t len = j - k < w - 2 ? j - k : w - 2;
        if (count < max_spans) spans[count] = (eelbert_word_span){(uint32_t)k, (uint32_t)len, 1};
        ++count;
      }
      i = j;
    }
  }
  return count;
}

size_t eelbert_words_token_bytes(const uint8_t* folded, const eelbert_word_span* span, uint8_t* out) {
  size_t k = 0;
  if (span->continuation) {
    out[k++] = '#';
    out[k++] = '#';
  }
  for (uint32_t j = 0; j < span->length; ++j) out[k++] = folded[span->start + j];
  return k;
}
