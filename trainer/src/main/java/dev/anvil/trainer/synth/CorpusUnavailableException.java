package dev.anvil.trainer.synth;

/** A corpus source refused a request or could not be reached; the message says which and why. */
public final class CorpusUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  /**
   * @param retryable whether asking again later may succeed (the source was unreachable or busy)
   */
  public CorpusUnavailableException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** Whether asking again later may succeed (the source was unreachable or busy). */
  public boolean retryable() {
    return retryable;
  }
}
