from eelbert_tf.layers.dynamic_hash_embedding import DynamicHashEmbedding

__all__ = ["DynamicHashEmbedding"]
