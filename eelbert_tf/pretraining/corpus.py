"""Reading a pretraining corpus: documents as lists of sentences, read compressed as stored.

Formats, recognized by content and file name:

- WikiExtractor dumps (`<doc id=... title=...>` ... `</doc>`), plain or compressed:
  the `<doc>` line and the repeated title line are dropped, HTML entities
  unescaped, and lines of fewer than 4 words (section headings) dropped.
- A tar of text files (`.tar`, `.tar.xz`, `.tar.gz`, `.tgz`): each member is one
  document (a book); Project Gutenberg header and footer outside the
  `*** START OF` / `*** END OF` markers are stripped; hard-wrapped lines are
  joined into paragraphs at blank lines.
- Any other text file (`.txt`, `.xz`, `.gz`, `.bz2`): blank lines separate
  documents, as in BERT's pretraining text format.

Paragraphs are split into sentences by `split_sentences`, a rule-based splitter
(end punctuation followed by a capital, digit or quote); it errs toward longer
sentences at abbreviations such as "Mr.", which only shifts where a sequence
pair is cut.
"""

from __future__ import annotations

import bz2
import gzip
import html
import io
import lzma
import os
import pathlib
import re
import tarfile
import zlib
from typing import Iterator

from eelbert_tf.data_paths import data_dir as resolve

Document = list  # a list of sentences (str)

_SENTENCE_END = re.compile(r"""(?<=[.!?])(["')\]]*)\s+(?=["'(\[]?[A-Z0-9])""")
_GUTENBERG_START = re.compile(r"^\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG", re.I | re.M)
_GUTENBERG_END = re.compile(
    r"^(\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG|\s*End of (the )?Project Gutenberg)", re.I | re.M
)
_TAR_SUFFIXES = (".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2")


class CorpusError(ValueError):
    """A corpus file that cannot be read as text; the message names it."""


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph; whitespace collapsed, empty pieces dropped."""
    paragraph = " ".join(paragraph.split())
    if not paragraph:
        return []
    marked = _SENTENCE_END.sub(lambda m: m.group(1) + "\n", paragraph)
    return [s.strip() for s in marked.split("\n") if s.strip()]


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """A text stream over a plain, .xz, .gz or .bz2 file (UTF-8, invalid bytes replaced)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise CorpusError(f"Corpus file {str(path)!r} does not exist.")
    name = path.name.lower()
    opener = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix.lower(), open)
    if name.endswith(_TAR_SUFFIXES):
        raise CorpusError(f"Corpus file {str(path)!r} is a tar archive; read it with iter_documents.")
    try:
        return opener(path, "rt", encoding="utf-8", errors="replace", newline=None)
    except OSError as e:
        raise CorpusError(f"Corpus file {str(path)!r} cannot be opened: {e}") from None


def iter_documents(path: str | os.PathLike) -> Iterator[Document]:
    """Documents (lists of sentences) of one corpus file, in file order."""
    path = pathlib.Path(path)
    try:
        if path.name.lower().endswith(_TAR_SUFFIXES):
            yield from _iter_tar(path)
            return
        with open_text(path) as f:
            first = f.readline()
            if first.startswith("<doc "):
                yield from _iter_wikiextractor(f)
            else:
                yield from _iter_plain(first, f)
    except (EOFError, lzma.LZMAError, OSError, tarfile.TarError, zlib.error) as e:
        raise CorpusError(f"Corpus file {str(path)!r} is truncated or corrupt: {e}") from None


def _iter_wikiextractor(lines) -> Iterator[Document]:
    sentences: list[str] = []
    expect_title = True  # the caller consumed the first <doc> line
    for line in lines:
        if line.startswith("<doc "):
            sentences, expect_title = [], True
            continue
        if line.startswith("</doc>"):
            if sentences:
                yield sentences
            sentences = []
            continue
        text = line.strip()
        if not text:
            continue
        if expect_title:
            expect_title = False
            continue
        if len(text.split()) < 4:
            continue
        sentences.extend(split_sentences(html.unescape(text)))
    if sentences:
        yield sentences


def _iter_plain(first: str, lines) -> Iterator[Document]:
    paragraph: list[str] = []
    for line in _chain(first, lines):
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            doc = split_sentences(" ".join(paragraph))
            paragraph = []
            if doc:
                yield doc
    if paragraph:
        doc = split_sentences(" ".join(paragraph))
        if doc:
            yield doc


def _chain(first, rest):
    yield first
    yield from rest


def strip_gutenberg(text: str) -> str:
    """The text between Project Gutenberg's START and END markers (all of it if absent)."""
    start = _GUTENBERG_START.search(text)
    if start:
        text = text[text.find("\n", start.end()) + 1 :]
    end = _GUTENBERG_END.search(text)
    if end:
        text = text[: end.start()]
    return text


def book_sentences(text: str) -> Document:
    """Sentences of a book: boilerplate stripped, wrapped lines joined at blank lines."""
    text = strip_gutenberg(text.replace("\r\n", "\n").replace("\r", "\n"))
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        sentences.extend(split_sentences(paragraph))
    return sentences


def _iter_tar(path: pathlib.Path) -> Iterator[Document]:
    with tarfile.open(path, mode="r:*") as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            doc = book_sentences(data.decode("utf-8", errors="replace"))
            if doc:
                yield doc


# Mixing: the documents of several corpus files, interleaved by their sizes (what a token cache reads).


def default_corpus_paths(data_dir=None) -> list[pathlib.Path]:
    folder = resolve(data_dir) / "corpus"
    paths = sorted(p for p in folder.iterdir() if p.name.endswith((".xz", ".gz", ".bz2", ".txt")))
    if not paths:
        raise FileNotFoundError(f"No corpus files (.txt, .xz, .gz, .bz2) in {folder}.")
    return paths


class _Source:
    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.size = max(self.path.stat().st_size, 1)
        self.documents = iter_documents(self.path)
        self.chars = 0
        self.index = 0
        self.done = False

    def share(self):
        return self.chars / self.size


def iter_mixed_documents(paths):
    """(source index, document index within its file, sentences), interleaved by size."""
    sources = [_Source(p) for p in paths]
    while True:
        live = [s for s in sources if not s.done]
        if not live:
            return
        source = min(live, key=lambda s: s.share())
        try:
            doc = next(source.documents)
        except StopIteration:
            source.done = True
            continue
        source.chars += sum(len(s) for s in doc)
        yield sources.index(source), source.index, doc
        source.index += 1
