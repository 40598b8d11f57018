package dev.anvil.judge;

/** A request field out of its bounds; the message names the field, the bound and the value. */
public final class InvalidJudgmentException extends JudgeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidJudgmentException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /** The request field at fault, e.g. {@code rationale}. */
  public String field() {
    return field;
  }
}
