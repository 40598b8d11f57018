package dev.anvil.eval.snapshot;

import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A versioned snapshot of a judging task's final labels: what a fine-tuning job trains on and what
 * the promotion gate's expert evaluation set is made of.
 *
 * <p>A snapshot is a folder of two files: {@value #EXAMPLES} (one {@link JudgedExample} per line,
 * sorted by query id, document and chunk) and {@value #PROVENANCE} (its {@link Provenance} and id).
 * Its id is {@code js-} and the first 16 hex digits of the SHA-256 of {@value #EXAMPLES}: the same
 * labels give the same id, and a folder whose examples were changed after export is refused when
 * read.
 *
 * <p>Its queries are split as {@link Splits} splits BEIR's training queries, by a salted hash of
 * the query id: {@value Splits#DEV} (about {@value Splits#DEV_FRACTION} of the queries) is the
 * expert evaluation set, {@value Splits#TRAIN_MINUS_DEV} the rest is what a job trains on, so a
 * gate never decides on the queries its candidate learned. Immutable and thread-safe.
 *
 * @param id {@code js-} and 16 hex digits: the content hash of the examples
 * @param provenance where the labels come from
 * @param examples the final labels, in id order
 */
public record JudgmentSnapshot(String id, Provenance provenance, List<JudgedExample> examples) {
  /** The examples' file in a snapshot folder. */
  public static final String EXAMPLES = "judgments.jsonl";

  /** The provenance file in a snapshot folder. */
  public static final String PROVENANCE = "snapshot.json";

  /** Every example of a snapshot, whatever its query's split. */
  public static final String ALL = "all";

  /** Most examples one snapshot holds. */
  public static final int MAX_EXAMPLES = 1_000_000;

  /** The order examples are kept and written in: what makes the id a content hash. */
  static final Comparator<JudgedExample> ORDER =
      Comparator.comparing((JudgedExample e) -> e.queryId())
          .thenComparing(JudgedExample::query)
          .thenComparing(JudgedExample::documentId)
          .thenComparingInt(JudgedExample::chunk);

  public JudgmentSnapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(provenance, "provenance");
    examples = List.copyOf(examples);
  }

  /**
   * A snapshot of {@code examples} (sorted here), its id computed from their canonical form.
   *
   * @throws SnapshotException if two examples judge the same chunk for the same query, or there are
   *     more than {@value #MAX_EXAMPLES}
   */
  public static JudgmentSnapshot of(Provenance provenance, List<JudgedExample> examples) {
    if (examples.size() > MAX_EXAMPLES) {
      throw new SnapshotException(
          "expected at most " + MAX_EXAMPLES + " examples, was " + examples.size());
    }
    List<JudgedExample> sorted = new ArrayList<>(examples);
    sorted.sort(ORDER);
    for (int i = 1; i < sorted.size(); i++) {
      if (ORDER.compare(sorted.get(i - 1), sorted.get(i)) == 0) {
        throw new SnapshotException(
            "two labels of "
                + sorted.get(i).key()
                + " for the query '"
                + sorted.get(i).query()
                + "': a snapshot holds one final label per query and chunk");
      }
    }
    return new JudgmentSnapshot(
        idOf(SnapshotFiles.examplesText(sorted)), provenance, List.copyOf(sorted));
  }

  /** {@code js-} and the first 16 hex digits of the SHA-256 of the examples' file. */
  static String idOf(String examplesText) {
    return "js-" + JudgedExample.sha256(examplesText).substring(0, 16);
  }

  /**
   * Writes the snapshot into {@code dir}, which must not exist or be empty: a snapshot is never
   * written over another.
   *
   * @throws SnapshotException if {@code dir} holds files
   */
  public void write(Path dir) {
    SnapshotFiles.write(this, dir);
  }

  /**
   * Reads the snapshot in {@code dir}, checking every line and that the examples are those its id
   * names.
   *
   * @throws SnapshotException naming the file, line and field of what is missing or malformed, or
   *     saying that the examples changed since export
   */
  public static JudgmentSnapshot read(Path dir) {
    return SnapshotFiles.read(dir);
  }

  /** Whether a query id belongs to the expert evaluation split ({@value Splits#DEV}). */
  public static boolean inDev(String queryId) {
    return Splits.carvedIntoDev(queryId);
  }

  /**
   * The examples of a split: {@value Splits#DEV}, {@value Splits#TRAIN_MINUS_DEV} or {@value #ALL}.
   *
   * @throws SnapshotException for another name
   */
  public List<JudgedExample> split(String split) {
    return switch (split) {
      case Splits.DEV -> examples.stream().filter(e -> inDev(e.queryId())).toList();
      case Splits.TRAIN_MINUS_DEV -> examples.stream().filter(e -> !inDev(e.queryId())).toList();
      case ALL -> examples;
      default ->
          throw new SnapshotException(
              "split '"
                  + split
                  + "': expected "
                  + Splits.TRAIN_MINUS_DEV
                  + " (to train on), "
                  + Splits.DEV
                  + " (the expert evaluation set) or "
                  + ALL);
    };
  }

  /** The ids of the queries of a split. */
  public Set<String> queryIds(String split) {
    Set<String> out = new LinkedHashSet<>();
    split(split).forEach(e -> out.add(e.queryId()));
    return out;
  }

  /**
   * The expert evaluation set: the {@value Splits#DEV} queries that have at least one relevant
   * label (1 or more), their graded labels as qrels, and as corpus every chunk the snapshot judged
   * (for any query), named {@code documentId#chunk}. nDCG@10 on it uses the grades as gains.
   *
   * @throws SnapshotException if no dev query has a relevant label (too few queries judged)
   */
  public BeirDataset expertSet() {
    Map<String, BeirDataset.Doc> corpus = new LinkedHashMap<>();
    for (JudgedExample e : examples) {
      corpus.putIfAbsent(e.key(), new BeirDataset.Doc(e.key(), e.title(), e.text()));
    }
    Map<String, String> queries = new TreeMap<>();
    Map<String, Map<String, Integer>> qrels = new TreeMap<>();
    for (JudgedExample e : split(Splits.DEV)) {
      qrels.computeIfAbsent(e.queryId(), k -> new LinkedHashMap<>()).put(e.key(), e.label());
      queries.put(e.queryId(), e.query());
    }
    qrels.values().removeIf(q -> q.values().stream().allMatch(l -> l == 0));
    queries.keySet().retainAll(qrels.keySet());
    if (qrels.isEmpty()) {
      throw new SnapshotException(
          "snapshot "
              + id
              + ": its dev split (the queries carved by a hash of their ids, about "
              + Splits.DEV_FRACTION
              + " of "
              + queryIds(ALL).size()
              + ") has no query with a relevant label: judge more queries");
    }
    // Sorted maps, not Map.copyOf: its order changes from JVM to JVM, and the gate's mean over
    // queries must add up the same way every time.
    return new BeirDataset(
        Splits.DEV,
        List.copyOf(corpus.values()),
        Collections.unmodifiableMap(queries),
        Collections.unmodifiableMap(qrels));
  }
}
