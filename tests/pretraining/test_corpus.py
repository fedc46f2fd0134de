import gzip
import io
import lzma
import tarfile

import pytest

from eelbert_tf.pretraining.corpus import CorpusError, iter_documents, split_sentences

WIKI = """<doc id="1" url="x" title="Alpha">
Alpha

Alpha is the first letter of the Greek alphabet. It has the value one.
History.
In the system of Greek numerals it has a value of one &amp; more.
</doc>
<doc id="2" url="y" title="Beta">
Beta

Beta is the second letter of the Greek alphabet.
</doc>
"""

BOOK = """The Project Gutenberg EBook of Tests\r\n\r\n*** START OF THIS PROJECT GUTENBERG EBOOK TESTS ***\r
It was a dark and\r\nstormy night. The end came!\r\n\r\nA second paragraph here.\r\n\r
End of Project Gutenberg's Tests\r\n*** END OF THIS PROJECT GUTENBERG EBOOK TESTS ***\r\nLicense text.\r\n"""


def test_sentence_splitter():
    assert split_sentences('He said "Hi." Then he  left! Is it 3.14? Yes.') == [
        'He said "Hi."', "Then he left!", "Is it 3.14?", "Yes."]
    assert split_sentences("  ") == []


def test_wikiextractor_xz(tmp_path):
    path = tmp_path / "wiki.txt.xz"
    path.write_bytes(lzma.compress(WIKI.encode()))
    docs = list(iter_documents(path))
    assert docs == [
        ["Alpha is the first letter of the Greek alphabet.", "It has the value one.",
         "In the system of Greek numerals it has a value of one & more."],
        ["Beta is the second letter of the Greek alphabet."],
    ]


def test_gutenberg_tar_strips_boilerplate(tmp_path):
    path = tmp_path / "books.tar.xz"
    data = BOOK.encode()
    with tarfile.open(path, "w:xz") as tar:
        info = tarfile.TarInfo("gutenberg_text/A/Tests.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert list(iter_documents(path)) == [
        ["It was a dark and stormy night.", "The end came!", "A second paragraph here."]]


def test_plain_gzip_documents_split_on_blank_lines(tmp_path):
    path = tmp_path / "plain.txt.gz"
    path.write_bytes(gzip.compress(b"One doc. Two sentences.\n\nSecond doc\nwraps here.\n"))
    assert list(iter_documents(path)) == [["One doc.", "Two sentences."], ["Second doc wraps here."]]


def test_truncated_and_missing_files_are_named(tmp_path):
    path = tmp_path / "cut.txt.xz"
    path.write_bytes(lzma.compress(WIKI.encode() * 50)[:200])
    with pytest.raises(CorpusError, match="cut.txt.xz.*truncated or corrupt"):
        list(iter_documents(path))
    with pytest.raises(CorpusError, match="nothere.txt"):
        list(iter_documents(tmp_path / "nothere.txt"))
