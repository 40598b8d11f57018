package dev.anvil.context.api;

/**
 * No model of that id the caller may put in service: absent from the registry, or hidden from the
 * caller by policy. The two read the same, so a caller learns nothing of models it may not use.
 */
public final class ModelNotFoundException extends ContextException {
  private static final long serialVersionUID = 1L;

  public ModelNotFoundException(String id) {
    super("no model '" + id + "' in the registry that you may put in service");
  }
}
