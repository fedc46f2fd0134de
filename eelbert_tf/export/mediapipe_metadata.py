"""MediaPipe's TextClassifier metadata writer, importable beside TensorFlow 2.21.

mediapipe 1.2.3's wheel lacks `mediapipe.tasks.cc.metadata.python._pywrap_metadata_version`,
which its `metadata.py` imports for one function: `GetMinimumMetadataParserVersion(buffer)`,
the lowest metadata parser version that understands every field a metadata flatbuffer uses
(the C++ `metadata_version.cc`). `minimum_parser_version` computes the same from the schema's
"Added in" notes (`mediapipe/tasks/metadata/metadata_schema.fbs`, schema 1.5.0), and is
installed in place of the missing module only when that module cannot be imported.
"""

from __future__ import annotations

import sys
import types

_MODULE = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"


def minimum_parser_version(buffer: bytes) -> str:
    """The schema version that added the newest feature `buffer` (a ModelMetadata flatbuffer) uses."""
    from mediapipe.tasks.metadata import metadata_schema_py_generated as fb

    meta = fb.ModelMetadataT.InitFromObj(fb.ModelMetadata.GetRootAsModelMetadata(bytearray(buffer), 0))
    versions = [(1, 0, 0)]

    def files(entries):
        for f in entries or []:
            if f.type == fb.AssociatedFileType.VOCABULARY:
                versions.append((1, 0, 1))
            if f.type == fb.AssociatedFileType.SCANN_INDEX_FILE:
                versions.append((1, 4, 0))
            if getattr(f, "version", None):
                versions.append((1, 4, 1))

    def units(entries):
        for u in entries or []:
            versions.append((1, 1, 0))  # process units and the Bert/SentencePiece tokenizer options
            if u.optionsType == fb.ProcessUnitOptions.RegexTokenizerOptions:
                versions.append((1, 2, 1))
            options = u.options
            for name in ("vocabFile", "sentencePieceModel"):
                files(getattr(options, name, None))

    def tensors(entries):
        for t in entries or []:
            files(t.associatedFiles)
            units(t.processUnits)
            if t.content is not None and t.content.contentPropertiesType == fb.ContentProperties.AudioProperties:
                versions.append((1, 3, 0))

    files(meta.associatedFiles)
    for sub in meta.subgraphMetadata or []:
        files(sub.associatedFiles)
        tensors(sub.inputTensorMetadata)
        tensors(sub.outputTensorMetadata)
        if sub.inputProcessUnits or sub.outputProcessUnits:
            units(sub.inputProcessUnits)
            units(sub.outputProcessUnits)
        if sub.inputTensorGroups or sub.outputTensorGroups:
            versions.append((1, 2, 0))
        if getattr(sub, "customMetadata", None):
            versions.append((1, 5, 0))
    return ".".join(str(v) for v in max(versions))


def text_classifier_writer():
    """mediapipe's `text_classifier` metadata writer module, with the version function in place."""
    try:
        __import__(_MODULE)
    except ImportError:
        parts = _MODULE.split(".")
        for i in range(3, len(parts)):  # mediapipe.tasks.cc... is absent from the wheel altogether
            name = ".".join(parts[:i])
            if name not in sys.modules:
                try:
                    __import__(name)
                except ImportError:
                    package = types.ModuleType(name)
                    package.__path__ = []
                    sys.modules[name] = package
        stand_in = types.ModuleType(_MODULE)
        stand_in.GetMinimumMetadataParserVersion = lambda buffer, *files: minimum_parser_version(buffer)
        sys.modules[_MODULE] = stand_in
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, text_classifier

    return text_classifier, metadata_writer
