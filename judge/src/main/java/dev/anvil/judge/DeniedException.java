package dev.anvil.judge;

/** The policy (or a missing role) refused; the message names the policy that decided. */
public final class DeniedException extends JudgeException {
  private static final long serialVersionUID = 1L;

  public DeniedException(String message) {
    super(message);
  }
}
