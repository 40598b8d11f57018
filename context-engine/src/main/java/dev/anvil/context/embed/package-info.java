/**
 * Embeddings: the {@link dev.anvil.context.embed.Embedder} interface and its ONNX Runtime
 * implementation, which runs a BERT-family sentence encoder (a packaged model — all-MiniLM-L6-v2,
 * bge-small-en-v1.5 — or a model directory) with our own tokenization, batching, pooling (mean or
 * CLS), query and document prefixes, and normalisation. How a model pools and what it puts before
 * queries and documents is read from its sentence-transformers files ({@link
 * dev.anvil.modelcard.EncoderConfig}).
 */
package dev.anvil.context.embed;
