"""The sentence-embedding model: the embedders behind one Protocol, and the one-time export of the bundled model to ONNX."""
