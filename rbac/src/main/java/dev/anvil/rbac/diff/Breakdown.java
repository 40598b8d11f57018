package dev.anvil.rbac.diff;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The documents one filter matches in an index, counted: how many in all, how many per value of
 * some tags, and a few of their ids. A document counts once however many chunks it has; a document
 * holding several values of a set tag (two departments) counts under each of them.
 *
 * @param documents distinct documents matched
 * @param samples the smallest ids matched, in {@link #ID_ORDER} (at most the number asked for)
 * @param byTag the counts of each tag asked for, in the order asked
 */
public record Breakdown(long documents, List<String> samples, List<TagCounts> byTag) {
  /**
   * The order of sample ids: by Unicode code point, which is the order of their UTF-8 bytes, the
   * order every index keeps its terms in (a Lucene index and an Elasticsearch cluster alike). It is
   * {@link String#compareTo} for ids without characters above U+FFFF or from U+E000 up, and differs
   * from it otherwise (UTF-16 puts surrogate pairs before U+E000).
   */
  public static final Comparator<String> ID_ORDER = Breakdown::compareCodePoints;

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
   * @param samples the smallest of their ids, in {@link #ID_ORDER}
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

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
