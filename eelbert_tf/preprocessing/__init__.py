from eelbert_tf.preprocessing.eelbert_preprocessor import EelbertPreprocessor
from eelbert_tf.preprocessing.eelbert_tokenizer import EelbertTokenizer
from eelbert_tf.preprocessing.vocabulary import load_vocabulary

__all__ = ["EelbertPreprocessor", "EelbertTokenizer", "load_vocabulary"]
