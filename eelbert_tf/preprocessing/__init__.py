from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_lite.vocabulary import load_vocabulary
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer

# The classifier's preprocessor names its backbone class, so it lives with the models:
# `eelbert_tf.EelbertTextClassifierPreprocessor` (eelbert_tf/models/eelbert_text_classifier_preprocessor.py).
__all__ = ["EelbertTokenizer", "EelbertWordTokenizer", "load_vocabulary"]
