package dev.anvil.context.index;

import java.util.List;
import java.util.Map;

/**
 * A stored chunk as read back from the index.
 *
 * @param id document id
 * @param version document version
 * @param chunk chunk number
 * @param title document title
 * @param text chunk text
 * @param source document source URI
 * @param tokens tokens of {@code text}
 * @param rawTags tags as stored (set tags as lists), to be validated again before use
 */
public record ChunkRecord(
    String id,
    long version,
    int chunk,
    String title,
    String text,
    String source,
    int tokens,
    Map<String, Object> rawTags) {
  public ChunkRecord {
    rawTags = Map.copyOf(rawTags);
  }

  /** The text embedded for a chunk: its document's title, then the chunk (ingest's rule). */
  public static String embeddedText(String title, String chunk) {
    return title.isBlank() ? chunk : title + ". " + chunk;
  }

  /** The text embedded for this chunk. */
  public String embeddedText() {
    return embeddedText(title, text);
  }

  /** A stable id of the chunk. */
  public String chunkId() {
    return id + "#" + chunk;
  }

  /** A raw tag value as a list, whatever its shape. */
  @SuppressWarnings("unchecked")
  public List<String> tagValues(String tag) {
    Object v = rawTags.get(tag);
    return v == null ? List.of() : v instanceof List<?> l ? (List<String>) l : List.of((String) v);
  }
}
