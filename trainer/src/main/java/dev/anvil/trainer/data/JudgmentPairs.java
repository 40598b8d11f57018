package dev.anvil.trainer.data;

import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Training pairs from experts' final judgments: for each query of a snapshot's split, every chunk
 * judged at least {@code minLabel} is a positive, paired in turn with the chunks judged at most
 * {@code negativeMaxLabel} for the same query (hard negatives: the engine returned them, experts
 * said no). Labels in between are left out: neither clearly right nor clearly wrong.
 *
 * <p>Each pair carries the tags of what it holds: its positive's, merged with its negative's when
 * it has one (the highest level of each ordered tag, the union of the others), so the job's {@code
 * train} decision and its model's lineage cover both texts. Deterministic: the same snapshot gives
 * the same pairs in the same order. Stateless.
 */
public final class JudgmentPairs {
  private JudgmentPairs() {}

  /**
   * The pairs of {@code split} of {@code snapshot}.
   *
   * @throws DatasetException if the split has no positive
   */
  public static List<Example> of(
      JudgmentSnapshot snapshot,
      String split,
      int minLabel,
      int negativeMaxLabel,
      TagSchema schema) {
    Map<String, List<JudgedExample>> byQuery = new LinkedHashMap<>();
    for (JudgedExample e : snapshot.split(split)) {
      byQuery.computeIfAbsent(e.queryId(), k -> new ArrayList<>()).add(e);
    }
    List<Example> out = new ArrayList<>();
    byQuery.forEach(
        (qid, judged) -> {
          List<JudgedExample> positives =
              judged.stream().filter(e -> e.label() >= minLabel).toList();
          List<JudgedExample> negatives =
              judged.stream().filter(e -> e.label() <= negativeMaxLabel).toList();
          for (int i = 0; i < positives.size(); i++) {
            JudgedExample p = positives.get(i);
            Optional<JudgedExample> n =
                negatives.isEmpty()
                    ? Optional.empty()
                    : Optional.of(negatives.get(i % negatives.size()));
            out.add(
                new Example.Pair(
                    JudgmentSnapshot.EXAMPLES
                        + " of "
                        + snapshot.id()
                        + ": query "
                        + qid
                        + ", "
                        + p.key()
                        + n.map(x -> " (negative " + x.key() + ")").orElse(""),
                    p.query(),
                    passage(p),
                    n.map(JudgmentPairs::passage),
                    n.map(x -> merge(schema, p.tags(), x.tags())).orElse(p.tags())));
          }
        });
    if (out.isEmpty()) {
      throw new DatasetException(
          List.of(
              "snapshot "
                  + snapshot.id()
                  + ", split "
                  + split
                  + ": no chunk judged at least "
                  + minLabel
                  + " (data.judgments.min_label): nothing to train on"));
    }
    return out;
  }

  /** A chunk's text as the engine embeds it: its title, then its text. */
  private static String passage(JudgedExample e) {
    return e.title().isEmpty() ? e.text() : e.title() + "\n" + e.text();
  }

  /**
   * The tags of an example holding two chunks: the highest level of each ordered tag, the union of
   * the other tags' values. A tag the schema does not know is kept as the union, for the schema to
   * refuse when the example is checked.
   */
  static Map<String, Object> merge(TagSchema schema, Map<String, Object> a, Map<String, Object> b) {
    Map<String, Object> out = new TreeMap<>(a);
    b.forEach(
        (tag, value) ->
            out.merge(
                tag,
                value,
                (x, y) -> {
                  Optional<TagDefinition> def = schema.tag(tag);
                  if (def.isPresent()
                      && def.get().type() == TagType.ORDERED
                      && def.get().allows(String.valueOf(x))
                      && def.get().allows(String.valueOf(y))) {
                    return def.get().rank(String.valueOf(x)) >= def.get().rank(String.valueOf(y))
                        ? x
                        : y;
                  }
                  if (x.equals(y)) {
                    return x;
                  }
                  TreeSet<String> union = new TreeSet<>(values(x));
                  union.addAll(values(y));
                  return List.copyOf(union);
                }));
    return out;
  }

  private static List<String> values(Object v) {
    return v instanceof List<?> l
        ? l.stream().map(String::valueOf).toList()
        : List.of(String.valueOf(v));
  }
}
