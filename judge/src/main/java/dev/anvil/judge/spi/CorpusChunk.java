package dev.anvil.judge.spi;

import java.util.Map;
import java.util.Objects;

/**
 * A chunk as the corpus gives it to a principal who may read it.
 *
 * @param documentId the document
 * @param version the document version
 * @param chunk the chunk number
 * @param title the document's title
 * @param text the chunk text
 * @param tags the document's tags as stored (set tags as lists)
 * @param vector its embedding (unit length), or an empty array where there is none; used only to
 *     group near-identical chunks
 */
public record CorpusChunk(
    String documentId,
    long version,
    int chunk,
    String title,
    String text,
    Map<String, Object> tags,
    float[] vector) {
  public CorpusChunk {
    Objects.requireNonNull(documentId, "documentId");
    Objects.requireNonNull(text, "text");
    tags = Map.copyOf(tags);
    vector = vector == null ? new float[0] : vector.clone();
  }

  /** {@code documentId#chunk}: how rankings name a chunk. */
  public String key() {
    return key(documentId, chunk);
  }

  /** {@code documentId#chunk}. */
  public static String key(String documentId, int chunk) {
    return documentId + "#" + chunk;
  }
}
