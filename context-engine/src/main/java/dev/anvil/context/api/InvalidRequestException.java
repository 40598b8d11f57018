package dev.anvil.context.api;

/** A request was malformed; {@link #field()} names the offending field. */
public final class InvalidRequestException extends ContextException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidRequestException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /** The offending field of the request. */
  public String field() {
    return field;
  }
}
