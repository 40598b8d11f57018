package dev.anvil.judge;

/**
 * The request is valid but the state does not allow it now: the chunk changed since it was shown,
 * the item is final, it has its annotators already, or the task id is taken.
 */
public final class ConflictException extends JudgeException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(message);
  }
}
