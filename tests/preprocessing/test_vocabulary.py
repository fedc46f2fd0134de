import pytest

from eelbert_lite.vocabulary import load_vocabulary


def test_real_vocabulary_loads(real_vocab_path):
    vocab = load_vocabulary(real_vocab_path)
    assert len(vocab) == 30522 and vocab[0] == "[PAD]" and vocab[101] == "[CLS]" and vocab[103] == "[MASK]"


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("[PAD]\n[UNK]\n[CLS]\n[SEP]\n", r"lacks the special tokens \['\[MASK\]'\]"),
        ("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nthe\n", "twice"),
        ("[PAD]\n\n[UNK]\n", "empty token at line 2"),
    ],
)
def test_bad_vocabulary_files_are_named(tmp_path, content, message):
    path = tmp_path / "vocab.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_vocabulary(path)
    assert "vocab.txt" in str(info.value)


def test_truncated_real_vocabulary_is_refused(tmp_path, real_vocab_path):
    path = tmp_path / "vocab.txt"
    data = real_vocab_path.read_bytes()[:500]
    path.write_bytes(data[: data.rfind(b"\n") + 1])  # cut at a line end, before [CLS]
    with pytest.raises(ValueError, match="lacks the special tokens"):
        load_vocabulary(path)


def test_vocabulary_cut_at_a_random_byte_is_refused(tmp_path, real_vocab_path):
    data = real_vocab_path.read_bytes()
    path = tmp_path / "vocab.txt"
    for cut in (2_000, 100_000, len(data) - 3):  # past the special tokens: only the missing newline shows it
        path.write_bytes(data[:cut])
        if data[cut - 1:cut] == b"\n":
            continue
        with pytest.raises(ValueError, match="vocab.txt' ends in the middle of line .* looks truncated"):
            load_vocabulary(path)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_vocabulary(tmp_path / "nope.txt")
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_vocabulary(path)


def test_packaged_vocabulary_is_the_data_directorys(monkeypatch, tmp_path):
    """The vocabulary shipped in the package has the data directory's bytes, and is the default even where
    no data directory exists (a Colab runtime, a phone-app build machine)."""
    import hashlib

    from eelbert_tf.data_paths import PACKAGED_VOCABULARY, data_dir, default_vocabulary_path

    shared = data_dir() / "vocab" / "bert_uncased_vocab.txt"
    assert hashlib.sha256(PACKAGED_VOCABULARY.read_bytes()).hexdigest() == \
        hashlib.sha256(shared.read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EELBERT_DATA_DIR", raising=False)
    assert default_vocabulary_path() == PACKAGED_VOCABULARY
    assert len(load_vocabulary(default_vocabulary_path())) == 30522
    with pytest.raises(FileNotFoundError, match="EELBERT_DATA_DIR"):
        data_dir()
