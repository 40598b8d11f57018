package dev.anvil.context.api;

/**
 * The caller may not administer the engine: no policy in force permits it the {@code admin} action.
 */
public final class AdminDeniedException extends ContextException {
  private static final long serialVersionUID = 1L;

  public AdminDeniedException(String message) {
    super(message);
  }
}
