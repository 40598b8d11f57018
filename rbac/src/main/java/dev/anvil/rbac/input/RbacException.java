package dev.anvil.rbac.input;

/** Root of the unchecked exceptions thrown by the rbac module. */
public class RbacException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RbacException(String message) {
    super(message);
  }

  public RbacException(String message, Throwable cause) {
    super(message, cause);
  }
}
