package dev.anvil.rbac.diff;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The documents one filter matches in an index, counted: how many in all, how many per value of
 * some tags, and a few of their ids. A document counts once however many chunks it has; a document
 * holding several values of a set tag (two departments) counts under each of them.
 *
 * @param documents distinct documents matched
 * @param samples the smallest ids matched, in {@link String} order (at most the number asked for)
 * @param byTag the counts of each tag asked for, in the order asked
 */
public record Breakdown(long documents, List<String> samples, List<TagCounts> byTag) {
  public Breakdown {
    if (documents < 0) {
      throw new IllegalArgumentException("documents must be >= 0, was " + documents);
    }
    samples = List.copyOf(samples);
    byTag = List.copyOf(byTag);
  }

  /** Nothing matched; {@code tags} get no buckets. */
  public static Breakdown empty(List<String> tags) {
    return new Breakdown(
        0, List.of(), tags.stream().map(t -> new TagCounts(t, List.of())).toList());
  }

  /** Whether nothing matched. */
  public boolean isEmpty() {
    return documents == 0;
  }

  /** The counts of one tag, if it was asked for. */
  public Optional<TagCounts> tag(String name) {
    return byTag.stream().filter(t -> t.tag().equals(name)).findFirst();
  }

  /**
   * The documents per value of one tag.
   *
   * @param tag the tag
   * @param buckets one per value that some matched document holds (never an empty one)
   */
  public record TagCounts(String tag, List<Bucket> buckets) {
    public TagCounts {
      Objects.requireNonNull(tag, "tag");
      buckets = List.copyOf(buckets);
    }

    /** The documents holding {@code value} (0 if none). */
    public long documents(String value) {
      return buckets.stream()
          .filter(b -> b.value().equals(value))
          .mapToLong(Bucket::documents)
          .sum();
    }
  }

  /**
   * The documents holding one value of a tag.
   *
   * @param value the tag value
   * @param documents how many (at least 1)
   * @param samples the smallest of their ids, in {@link String} order
   */
  public record Bucket(String value, long documents, List<String> samples) {
    public Bucket {
      Objects.requireNonNull(value, "value");
      samples = List.copyOf(samples);
      if (documents < 1) {
        throw new IllegalArgumentException(
            "a bucket holds at least one document, '" + value + "' had " + documents);
      }
    }
  }
}
