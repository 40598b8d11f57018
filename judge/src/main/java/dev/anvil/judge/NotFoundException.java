package dev.anvil.judge;

/**
 * No such task or item <em>that the caller may see</em>: one that exists but names a chunk the
 * caller may not read answers exactly like one that does not exist, so ids probe nothing.
 */
public final class NotFoundException extends JudgeException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }

  /** The one answer for an item absent or hidden. */
  static NotFoundException item(String id) {
    return new NotFoundException("no item '" + TaskSpec.clip(id) + "' that you may judge");
  }

  /** The one answer for a task absent or not the caller's to see. */
  static NotFoundException task(String id) {
    return new NotFoundException("no task '" + TaskSpec.clip(id) + "' that you may see");
  }
}
