package dev.anvil.judge;

/** Where an item stands. */
public enum ItemState {
  /** Fewer submitted labels than the task's overlap. */
  OPEN,
  /** Its labels disagree: an adjudicator settles it. */
  DISPUTED,
  /** Agreed by all, or adjudicated: its label is final. */
  FINAL
}
