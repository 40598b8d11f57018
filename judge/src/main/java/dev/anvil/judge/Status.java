package dev.anvil.judge;

import java.util.Locale;

/**
 * A judgment's state. Only submitted judgments count towards overlap and agreement; an annotator
 * may go from one to another until the item is final.
 */
public enum Status {
  /** Saved, not counted yet. */
  DRAFT,
  /** Counted. */
  SUBMITTED,
  /** Withdrawn by its annotator; kept, not counted. */
  DISCARDED;

  /** The name in events and messages. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
