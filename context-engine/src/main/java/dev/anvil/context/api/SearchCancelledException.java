package dev.anvil.context.api;

/**
 * A search stopped before it finished because its {@link Cancellation} fired (the call's deadline
 * passed, or its client went away). Nothing partial is returned.
 */
public final class SearchCancelledException extends ContextException {
  private static final long serialVersionUID = 1L;

  public SearchCancelledException() {
    super("the search was stopped: its caller cancelled it or its deadline passed");
  }
}
