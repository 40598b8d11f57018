package dev.anvil.context.api;

/** Root of the unchecked exceptions of the context engine. */
public class ContextException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ContextException(String message) {
    super(message);
  }

  public ContextException(String message, Throwable cause) {
    super(message, cause);
  }
}
