package dev.anvil.context.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A document as it arrives for indexing: raw tags, not yet validated against the tag schema.
 *
 * @param id stable id chosen by the source system; upserts replace by id
 * @param version increases with every change; an older or equal version than the indexed one is
 *     ignored
 * @param title title (may be empty); kept as context for every chunk
 * @param body the text
 * @param source where it came from (a URI), for provenance
 * @param tags raw tags: tag name to a string, or a list of strings for set tags
 */
public record Document(
    String id, long version, String title, String body, String source, Map<String, Object> tags) {

  /** Longest accepted id, in characters. */
  public static final int MAX_ID_LENGTH = 512;

  /** Longest accepted title, in characters (it is embedded with every chunk). */
  public static final int MAX_TITLE_LENGTH = 1_000;

  /** Longest accepted source URI, in characters. */
  public static final int MAX_SOURCE_LENGTH = 2_048;

  /**
   * Longest accepted body, in characters: about a 600-page book, some 2,000 chunks. A longer text
   * is split into documents by its source system.
   */
  public static final int MAX_BODY_LENGTH = 2_000_000;

  public Document {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(source, "source");
    tags =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(Objects.requireNonNull(tags, "tags")));
  }

  /**
   * Checks the fields that do not depend on the schema.
   *
   * @throws InvalidDocumentException naming the field
   */
  public void check() {
    if (id.isBlank() || id.length() > MAX_ID_LENGTH) {
      throw new InvalidDocumentException(
          id, "id", "expected 1 to " + MAX_ID_LENGTH + " characters, was " + id.length());
    }
    if (version < 0) {
      throw new InvalidDocumentException(id, "version", "expected a number >= 0, was " + version);
    }
    if (body.isBlank()) {
      throw new InvalidDocumentException(id, "body", "expected text, was empty");
    }
    atMost("body", body, MAX_BODY_LENGTH);
    atMost("title", title, MAX_TITLE_LENGTH);
    atMost("source", source, MAX_SOURCE_LENGTH);
  }

  private void atMost(String field, String value, int max) {
    if (value.length() > max) {
      throw new InvalidDocumentException(
          id, field, "expected at most " + max + " characters, was " + value.length());
    }
  }
}
