from eelbert_tf.preprocessing.eelbert_preprocessor import EelbertPreprocessor
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_tf.preprocessing.vocabulary import load_vocabulary
from eelbert_tf.preprocessing.word_tokenizer import EelbertWordTokenizer

__all__ = ["EelbertPreprocessor", "EelbertTokenizer", "EelbertWordTokenizer", "load_vocabulary"]
