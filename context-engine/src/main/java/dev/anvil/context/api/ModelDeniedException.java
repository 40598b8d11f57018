package dev.anvil.context.api;

/** The caller may not put this model in service (or take it out): no policy allows it. */
public final class ModelDeniedException extends ContextException {
  private static final long serialVersionUID = 1L;

  public ModelDeniedException(String message) {
    super(message);
  }
}
