package dev.anvil.trainer.synth;

import java.util.Map;
import java.util.Objects;

/**
 * One passage of a training corpus: a chunk of a document, with the document's tags (which decide
 * who may train on it and what a model made from it inherits).
 *
 * @param documentId the document's id
 * @param version the document's version
 * @param chunk the chunk's position in the document
 * @param title the document's title, possibly empty
 * @param text the chunk's text
 * @param tags the document's raw tags
 */
public record Passage(
    String documentId,
    long version,
    int chunk,
    String title,
    String text,
    Map<String, Object> tags) {
  public Passage {
    Objects.requireNonNull(documentId, "documentId");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(text, "text");
    tags = Map.copyOf(tags);
  }
}
