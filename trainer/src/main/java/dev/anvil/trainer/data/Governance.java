package dev.anvil.trainer.data;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import dev.anvil.rbac.schema.TagType;
import dev.anvil.rbac.schema.TagValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The rule that ties training to access control: a job reads only examples its owner may {@code
 * train} on, decided by the policy set for each example's tags, and the model inherits the tags of
 * its data (its <i>lineage</i>): the highest level of every ordered tag (so a model trained on one
 * restricted example is restricted) and the union of every other tag.
 */
public final class Governance {
  /** Offending examples listed in a refusal; the rest are counted. */
  public static final int MAX_LISTED = 50;

  private Governance() {}

  /** What a model inherits from its data, as raw tags (validate with the schema to use them). */
  public record Lineage(SortedMap<String, Object> tags) {}

  /**
   * Checks every example before any is used for training.
   *
   * @throws TrainingDeniedException listing the examples {@code owner} may not train on, or whose
   *     tags the schema refuses
   */
  public static Lineage check(PolicySet policies, Principal owner, List<Example> examples) {
    List<String> offending = new ArrayList<>();
    int total = 0;
    List<DocTags> valid = new ArrayList<>(examples.size());
    for (Example e : examples) {
      String problem;
      try {
        DocTags tags = policies.schema().validate(e.tags());
        if (policies.decide(owner, Action.TRAIN, tags) instanceof Decision.Deny d) {
          problem = "denied by policy " + d.policy() + " (tags " + tags + ")";
        } else {
          valid.add(tags);
          continue;
        }
      } catch (InvalidTagsException ex) {
        problem = ex.getMessage();
      }
      total++;
      if (offending.size() < MAX_LISTED) {
        offending.add(e.where() + ": " + problem);
      }
    }
    if (total > 0) {
      throw new TrainingDeniedException(owner.subject(), offending, total);
    }
    return lineage(valid);
  }

  /**
   * The lineage of a model made from {@code base} (a model with a card) and data of lineage {@code
   * data}: the owner must be allowed to {@code read_model} the base, and the new model inherits
   * both (the highest level of each ordered tag, the union of the others), so a model derived from
   * a restricted model is restricted.
   *
   * @throws TrainingDeniedException if the owner may not read the base model, or its lineage does
   *     not fit the schema
   */
  public static Lineage derived(
      PolicySet policies,
      Principal owner,
      Lineage data,
      Map<String, Object> base,
      String baseName) {
    DocTags baseTags;
    try {
      baseTags = policies.schema().validate(base);
    } catch (InvalidTagsException e) {
      throw TrainingDeniedException.baseModel(owner.subject(), baseName, e.getMessage());
    }
    if (policies.decide(owner, Action.READ_MODEL, baseTags) instanceof Decision.Deny d) {
      throw TrainingDeniedException.baseModel(
          owner.subject(), baseName, "denied by policy " + d.policy());
    }
    SortedMap<String, Object> out = new TreeMap<>(data.tags());
    base.forEach(
        (tag, value) ->
            out.merge(
                tag,
                value,
                (a, b) -> {
                  var def = policies.schema().tag(tag).orElseThrow();
                  if (def.type() == TagType.ORDERED) {
                    return def.rank(String.valueOf(a)) >= def.rank(String.valueOf(b)) ? a : b;
                  }
                  TreeSet<String> union = new TreeSet<>(values(a));
                  union.addAll(values(b));
                  return List.copyOf(union);
                }));
    return new Lineage(out);
  }

  private static List<String> values(Object v) {
    return v instanceof List<?> l
        ? l.stream().map(String::valueOf).toList()
        : List.of(String.valueOf(v));
  }

  private static Lineage lineage(List<DocTags> tags) {
    Map<String, TagValue.Level> highest = new TreeMap<>();
    Map<String, TreeSet<String>> union = new TreeMap<>();
    for (DocTags t : tags) {
      t.values()
          .forEach(
              (name, v) -> {
                switch (v) {
                  case TagValue.Level l ->
                      highest.merge(name, l, (a, b) -> a.rank() >= b.rank() ? a : b);
                  case TagValue.Single s ->
                      union.computeIfAbsent(name, k -> new TreeSet<>()).add(s.value());
                  case TagValue.Members m ->
                      union.computeIfAbsent(name, k -> new TreeSet<>()).addAll(m.values());
                }
              });
    }
    SortedMap<String, Object> out = new TreeMap<>();
    highest.forEach((n, l) -> out.put(n, l.name()));
    union.forEach((n, s) -> out.put(n, List.copyOf(s)));
    return new Lineage(out);
  }
}
