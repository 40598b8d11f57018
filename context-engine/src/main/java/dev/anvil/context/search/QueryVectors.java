package dev.anvil.context.search;

import dev.anvil.context.embed.Embedder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The query vectors embedded last, least recently used evicted first: an agent that asks again (a
 * retry, the next step of a plan, another page) is not embedded twice.
 *
 * <p>Keyed by (subject, model, query): a vector serves only the principal who asked, so that how
 * fast a search answers never tells one user what another one searched for, and only the model that
 * made it, so that after a switch a query is never searched with another model's vector.
 * Thread-safe; a lookup holds the lock for a map access, never for an embedding.
 */
final class QueryVectors {
  /** Entries kept by default: about 6 MB of 384-dimension vectors. */
  static final int DEFAULT_CAPACITY = 4_096;

  /** Longer queries are embedded every time: they are rarely repeated, and their keys are big. */
  static final int MAX_CACHED_CHARS = 1_024;

  private record Key(String subject, String model, String query) {}

  private final Map<Key, float[]> vectors;

  QueryVectors(int capacity) {
    this.vectors =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, float[]> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The vector of {@code query} by {@code embedder}'s model, for {@code subject}. */
  float[] of(String subject, Embedder embedder, String query) {
    if (query.length() > MAX_CACHED_CHARS) {
      return embedder.embedQuery(query);
    }
    Key key = new Key(subject, embedder.modelId(), query);
    float[] cached;
    synchronized (vectors) {
      cached = vectors.get(key);
    }
    if (cached == null) {
      cached = embedder.embedQuery(query);
      synchronized (vectors) {
        vectors.put(key, cached);
      }
    }
    return cached.clone(); // a caller that changes its copy never changes the next one's
  }
}
