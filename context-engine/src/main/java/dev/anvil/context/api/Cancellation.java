package dev.anvil.context.api;

/**
 * Whether the caller of a search still wants its answer. The engine asks inside the search (while
 * Lucene scores documents and walks the vector graph, and between the chunks it packs), so a call
 * whose deadline passed or that its client cancelled stops using CPU within a few thousand
 * documents, not when it would have finished.
 */
@FunctionalInterface
public interface Cancellation {
  /** A caller that waits for ever. */
  Cancellation NONE = () -> false;

  /** True once the answer is no longer wanted; must be cheap and thread-safe. */
  boolean isCancelled();
}
