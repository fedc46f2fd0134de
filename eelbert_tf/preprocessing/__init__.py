from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_tf.preprocessing.vocabulary import load_vocabulary
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer

__all__ = ["EelbertTextClassifierPreprocessor", "EelbertTokenizer", "EelbertWordTokenizer", "load_vocabulary"]


def __getattr__(name):
    # The preprocessor lives with the models (it names its backbone class); imported on first use, since
    # the models import the tokenizers from here.
    if name == "EelbertTextClassifierPreprocessor":
        from eelbert_tf.models import eelbert_text_classifier_preprocessor as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
