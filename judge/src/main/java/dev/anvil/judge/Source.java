package dev.anvil.judge;

import java.util.Locale;

/** Where a judgment came from. A person's label through the API is always {@link #EXPERT}. */
public enum Source {
  /** A person judged it. */
  EXPERT,
  /** Derived from what users clicked. */
  CLICK,
  /** Made by a model (a teacher's score, a synthetic pair). */
  SYNTHETIC;

  /** The name in events and messages: {@code expert}, {@code click}, {@code synthetic}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
