/**
 * Encoder models: a Hugging Face-compatible BERT encoder built from DJL primitives, its weights
 * imported from a Hugging Face directory (safetensors) or an ONNX file, and saved back as a Hugging
 * Face directory.
 */
package dev.anvil.trainer.model;
