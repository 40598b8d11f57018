package dev.anvil.context.embed;

import dev.anvil.modelcard.Prompts;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns texts into unit-length vectors, so that the dot product is the cosine similarity.
 * Implementations are thread-safe.
 */
public interface Embedder extends AutoCloseable {

  /** Identifies the model and its exact weights, e.g. {@code all-minilm-l6-v2@3f2a1b0c9d8e}. */
  String modelId();

  /**
   * SHA-256 (hex) of the model file it loaded ({@code model.onnx}), when it loaded one: what a gate
   * verdict names. Empty for a model of no file (a test's).
   */
  default Optional<String> digest() {
    return Optional.empty();
  }

  /** The model's directory, when it was loaded from one (not for a packaged model). */
  default Optional<Path> directory() {
    return Optional.empty();
  }

  /** Length of every vector. */
  int dimension();

  /**
   * The most tokens (special tokens included) a document may have; longer documents are truncated.
   * The chunker cuts chunks to fit it.
   */
  int maxTokens();

  /** Counts the tokens of a text as the model sees it, without special tokens. */
  int countTokens(String text);

  /**
   * Embeds texts of one kind, in order; each vector has unit length. An asymmetric model puts its
   * query or document prefix before each text (see {@link Prompts}); a symmetric one embeds both
   * kinds alike. There is no default kind: every caller says whether it indexes or searches.
   */
  float[][] embed(InputType type, List<String> texts);

  /** Embeds a search query, with the model's query prefix. */
  default float[] embedQuery(String query) {
    return embed(InputType.QUERY, List.of(query))[0];
  }

  /** Embeds texts to index, in order, with the model's document prefix. */
  default float[][] embedDocuments(List<String> texts) {
    return embed(InputType.DOCUMENT, texts);
  }

  @Override
  void close();
}
