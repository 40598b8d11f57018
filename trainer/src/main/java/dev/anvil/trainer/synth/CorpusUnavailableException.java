package dev.anvil.trainer.synth;

/** A corpus source refused a request or could not be reached; the message says which and why. */
public final class CorpusUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the corpus could not be read, which decides what the job's submitter is told. */
  public enum Reason {
    /** Unreachable, busy or too slow: asking again later may succeed. */
    UNAVAILABLE,
    /** The source refused the request itself (e.g. a tag its schema does not know). */
    INVALID_REQUEST,
    /** Anything else: the source misbehaved or refused the caller. */
    FAILED
  }

  private final Reason reason;

  public CorpusUnavailableException(String message, Reason reason, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** Why the corpus could not be read. */
  public Reason reason() {
    return reason;
  }
}
