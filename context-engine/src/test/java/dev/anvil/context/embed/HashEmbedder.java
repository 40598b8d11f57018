package dev.anvil.context.embed;

import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * A stand-in embedder for tests and pipeline benchmarks, behind our own {@link Embedder} interface:
 * a pseudo-random unit vector seeded by each text (the same text, the same vector, so HNSW gets
 * distinct vectors to link), a token per word, and an optional pause per call for an embedder that
 * cannot keep up (a busy GPU). Thread-safe.
 *
 * @param modelId the model id it claims (an index records it)
 * @param dimension the vectors' dimension
 * @param maxTokens the token limit it claims (chunking follows it)
 * @param pausePerCall how long each {@link #embed(InputType, List)} call takes at least
 */
public record HashEmbedder(String modelId, int dimension, int maxTokens, Duration pausePerCall)
    implements Embedder {

  /** A fast one: 256 tokens, no pause. */
  public static HashEmbedder of(String modelId, int dimension) {
    return new HashEmbedder(modelId, dimension, 256, Duration.ZERO);
  }

  /** The same, pausing this long per call. */
  public HashEmbedder pausing(Duration pause) {
    return new HashEmbedder(modelId, dimension, maxTokens, pause);
  }

  /** The same, claiming another token limit. */
  public HashEmbedder withMaxTokens(int tokens) {
    return new HashEmbedder(modelId, dimension, tokens, pausePerCall);
  }

  @Override
  public int countTokens(String text) {
    return text.split(" ").length;
  }

  @Override
  public float[][] embed(InputType type, List<String> texts) {
    if (!pausePerCall.isZero()) {
      try {
        Thread.sleep(pausePerCall);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return texts.stream()
        .map(t -> unit(new Random(t.hashCode()), dimension))
        .toArray(float[][]::new);
  }

  /** A random unit vector. */
  public static float[] unit(Random r, int dimension) {
    float[] v = new float[dimension];
    double n = 0;
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    float s = (float) (1 / Math.sqrt(n));
    for (int i = 0; i < dimension; i++) {
      v[i] *= s;
    }
    return v;
  }

  @Override
  public void close() {}
}
