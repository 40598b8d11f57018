/**
 * Embeddings: the {@link dev.anvil.context.embed.Embedder} interface and its ONNX Runtime
 * implementation, which runs a BERT-family sentence encoder (the packaged all-MiniLM-L6-v2 or a
 * model directory) with our own tokenization, batching, mean pooling and normalisation.
 */
package dev.anvil.context.embed;
