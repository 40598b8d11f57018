package dev.anvil.trainer.synth;

import java.util.Objects;
import java.util.Optional;

/**
 * A made-up (query, positive, hard negative) triple and the passages it came from.
 *
 * @param kind how the query was made
 * @param query the pseudo-query
 * @param positive the text it should find
 * @param source the passage both come from
 * @param negative a passage BM25 ranks high for the query but that is not its source, if any
 */
public record SyntheticPair(
    Kind kind, String query, String positive, Passage source, Optional<Passage> negative) {

  /** How a pseudo-query is made from a passage. */
  public enum Kind {
    /** The document's title finds the passage. */
    TITLE,
    /** A sentence taken out finds the rest of the passage (inverse cloze task). */
    INVERSE_CLOZE,
    /** A random span finds another random span of the same passage. */
    CROP
  }

  public SyntheticPair {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(positive, "positive");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(negative, "negative");
  }
}
