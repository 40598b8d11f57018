package dev.anvil.trainer.service;

/** A request the trainer refuses; {@link #kind} says why, so that clients can branch on it. */
public final class TrainerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused. */
  public enum Kind {
    /** No such job or model, or none the caller may see. */
    NOT_FOUND,
    /** No policy allows it. */
    DENIED,
    /** The request is malformed (a bad spec, a missing file). */
    INVALID,
    /** Not possible in the present state: a finished job, a trainer without a gate. */
    CONFLICT,
    /**
     * A limit of the service is reached (the caller's or the trainer's jobs queued or running); the
     * same request may succeed later.
     */
    EXHAUSTED
  }

  private final Kind kind;

  public TrainerException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
