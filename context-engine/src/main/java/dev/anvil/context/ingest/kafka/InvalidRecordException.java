package dev.anvil.context.ingest.kafka;

import dev.anvil.context.api.ContextException;

/** A documents-topic record that cannot be read; {@link #field()} names what is wrong. */
public final class InvalidRecordException extends ContextException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidRecordException(String field, String message) {
    super(field.isEmpty() ? message : field + ": " + message);
    this.field = field;
  }

  /**
   * The offending field, e.g. {@code tags} or {@code schema_version}; empty for the whole record.
   */
  public String field() {
    return field;
  }

  /** The reason without the field. */
  public String reason() {
    String m = getMessage();
    return field.isEmpty() ? m : m.substring(field.length() + 2);
  }
}
