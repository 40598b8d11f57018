package dev.anvil.context.api;

/** A document was refused before indexing; {@link #field()} names what is wrong. */
public final class InvalidDocumentException extends ContextException {
  private static final long serialVersionUID = 1L;
  private final String documentId;
  private final String field;

  public InvalidDocumentException(String documentId, String field, String message) {
    super("document '" + documentId + "': " + field + ": " + message);
    this.documentId = documentId;
    this.field = field;
  }

  public String documentId() {
    return documentId;
  }

  /** The offending field, e.g. {@code body} or {@code tags.classification}. */
  public String field() {
    return field;
  }
}
