package dev.anvil.judge;

/** Judgments' exceptions; each subtype says what a client does about it. Unchecked. */
public class JudgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JudgeException(String message) {
    super(message);
  }
}
