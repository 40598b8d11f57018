package dev.anvil.trainer.synth;

/**
 * How synthetic pairs are made.
 *
 * @param seed every random choice follows from it and from each passage's id (adding a document
 *     changes no other passage's queries; BM25's statistics, and so negatives, may change)
 * @param titles a pair (title → passage) for each passage of a document with a title
 * @param inverseCloze a pair (a sentence → the passage without it) for each passage of three
 *     sentences or more
 * @param crops pairs (a random span → another random span of the same passage) per passage of 20
 *     words or more
 * @param negativeSkipTop BM25 ranks skipped before a hard negative is drawn (the very top are often
 *     unlabelled positives)
 * @param negativeDepth BM25 ranks after those from which a hard negative is drawn
 */
public record SynthesisSettings(
    long seed,
    boolean titles,
    boolean inverseCloze,
    int crops,
    int negativeSkipTop,
    int negativeDepth) {

  /** Titles, inverse cloze, one crop per passage; negatives from BM25 ranks 4 to 33. */
  public static SynthesisSettings defaults(long seed) {
    return new SynthesisSettings(seed, true, true, 1, 3, 30);
  }

  public SynthesisSettings {
    if (crops < 0 || negativeSkipTop < 0 || negativeDepth < 0) {
      throw new IllegalArgumentException(
          "crops, negative_skip_top and negative_depth must be at least 0");
    }
  }
}
