"""eelbert_lite's WordPiece (plain Python) tokenizes as EelbertTokenizer (TF Text in the graph) does, and packs
as the Keras preprocessor packs: on the export tests' sentences, SST-2 dev, MRPC's pairs and every code point."""

import sys
import unicodedata

import pytest
import tensorflow as tf

from eelbert_lite import wordpiece
from eelbert_tf.data_paths import data_dir
from eelbert_tf.glue.tasks import from_glue
from eelbert_tf.models.eelbert_text_classifier_preprocessor import EelbertTextClassifierPreprocessor
from eelbert_tf.preprocessing import EelbertTokenizer
from tests.export.conftest import INVALID_UTF8, SENTENCES

HARD = ["ΟΔΟΣ Σ", "Straße", "ﬁne ﬃ", "İstanbul", "日本語のテキスト", "x\u200by", "a\u00a0b", "tab\tnew\nline",
        "café naïve résumé", "Ｆｕｌｌｗｉｄｔｈ", "emoji 😀👍🏽", "a" * 150, "¿qué?", "\x00\x01\x7f", "€100 £5 ¥3",
        "ǅ ǈ", "\ufffd", "Ⅻ ½ ²", "ÅÄÖ åäö", "ŉ", "\u0130\u0131", "x--y...z", "a\u2028b\u3000c", "5½ µm", "", "  "]


@pytest.fixture(scope="module")
def tokenizers():
    tf_tokenizer = EelbertTokenizer()
    return tf_tokenizer, wordpiece.WordPiece(tf_tokenizer.vocabulary)


def _tf_tokens(tokenizer, texts):
    out = []
    for i in range(0, len(texts), 4096):
        out += [[t.decode("utf-8") for t in row]
                for row in tokenizer(tf.constant(texts[i:i + 4096]))["tokens"].to_list()]
    return out


def test_equal_to_tf_text_on_sentences_and_sst2_dev(tokenizers):
    tf_tokenizer, lite = tokenizers
    texts = SENTENCES + [t.decode("utf-8", "replace") for t in INVALID_UTF8] + HARD
    texts += from_glue("sst2", data_dir() / "glue", "validation").texts
    mrpc = from_glue("mrpc", data_dir() / "glue", "validation")
    texts += mrpc.texts + mrpc.text_pairs
    expected = _tf_tokens(tf_tokenizer, texts)
    differ = [(t, a, b) for t, a, b in zip(texts, (lite.tokenize(t) for t in texts), expected) if a != b]
    assert not differ, differ[:5]
    assert len(texts) > 1700  # 872 SST-2 dev sentences, 408 MRPC pairs
    invalid = _tf_tokens(tf_tokenizer, INVALID_UTF8 + [b"ab\xffcd", b"\xe2\x82 x", b"caf\xc3"])
    assert [lite.tokenize(b) for b in INVALID_UTF8 + [b"ab\xffcd", b"\xe2\x82 x", b"caf\xc3"]] == invalid  # 872 SST-2 dev sentences, 408 MRPC pairs


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the Unicode database of older Pythons lags further")
def test_equal_on_every_assigned_code_point_of_the_basic_plane(tokenizers):
    """Each character between two letters: normalization (case folding, compatibility forms, accents, control,
    format and ignorable characters, whitespace), punctuation and CJK splitting. Code points Python's Unicode
    database does not know yet (Cn) may differ: TF Text's ICU is newer."""
    tf_tokenizer, lite = tokenizers
    texts = [f"a{chr(c)}b" for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF
             and unicodedata.category(chr(c)) != "Cn"]
    expected = _tf_tokens(tf_tokenizer, texts)
    differ = [(hex(ord(t[1])), a, b) for t, a, b in zip(texts, (lite.tokenize(t) for t in texts), expected)
              if a != b]
    assert not differ, differ[:10]


@pytest.mark.parametrize("sequence_length", [128, 9])
def test_packing_equal_to_the_keras_preprocessor(tokenizers, sequence_length):
    tf_tokenizer, lite = tokenizers
    mrpc = from_glue("mrpc", data_dir() / "glue", "validation")
    pairs = list(zip(mrpc.texts[:100], mrpc.text_pairs[:100]))
    preprocessor = EelbertTextClassifierPreprocessor(tf_tokenizer, sequence_length=sequence_length)
    for a, b in pairs[:50]:
        single = preprocessor(tf.constant([a]))
        tokens, segments = wordpiece.pack([lite.tokenize(a)], sequence_length)
        n = len(tokens)
        assert [t.decode() for t in single["tokens"].numpy()[0][:n]] == tokens
        assert single["padding_mask"].numpy()[0].sum() == n
    for a, b in pairs:
        packed = preprocessor((tf.constant([a]), tf.constant([b])))
        tokens, segments = wordpiece.pack([lite.tokenize(a), lite.tokenize(b)], sequence_length)
        n = len(tokens)
        assert [t.decode() for t in packed["tokens"].numpy()[0][:n]] == tokens
        assert packed["segment_ids"].numpy()[0][:n].tolist() == segments
        assert packed["padding_mask"].numpy()[0].sum() == n


def test_round_robin_shares_the_budget_first_segment_first():
    assert wordpiece.round_robin([10, 10], 5) == [3, 2]
    assert wordpiece.round_robin([1, 10], 5) == [1, 4]
    assert wordpiece.round_robin([10, 1], 5) == [4, 1]
    assert wordpiece.round_robin([10], 5) == [5]


def test_an_unknown_or_overlong_word_is_one_unk():
    lite = wordpiece.WordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "qu", "##ick"], max_bytes_per_word=8)
    assert lite.tokenize("Quick quickly quququququ") == ["qu", "##ick", "[UNK]", "[UNK]"]
