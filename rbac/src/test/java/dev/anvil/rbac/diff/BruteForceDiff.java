package dev.anvil.rbac.diff;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The reference a policy diff must equal: every document decided with the set in force and with the
 * proposed set (each on the tags as its own schema validates them), and the differences counted by
 * walking the documents. Slow on purpose; shares no code with {@link PolicyDiff}.
 */
public final class BruteForceDiff {
  private BruteForceDiff() {}

  /**
   * The subject entries of the diff of {@code proposed} against {@code inForce} over {@code docs}
   * (id to raw tags), counted by {@code tags} with {@code samples} ids per bucket.
   */
  public static List<SubjectDiff> subjects(
      PolicySet inForce,
      PolicySet proposed,
      List<DiffSubject> subjects,
      List<Action> actions,
      List<String> tags,
      int samples,
      Map<String, Map<String, Object>> docs) {
    Map<String, DocTags> before = validate(inForce.schema(), docs);
    Map<String, DocTags> after = validate(proposed.schema(), docs);
    List<SubjectDiff> out = new ArrayList<>();
    for (DiffSubject s : subjects) {
      for (Action a : actions) {
        SortedSet<String> exposed = new TreeSet<>(Breakdown.ID_ORDER);
        SortedSet<String> hidden = new TreeSet<>(Breakdown.ID_ORDER);
        for (String id : docs.keySet()) {
          boolean was = inForce.decide(s.principal(), a, before.get(id)).permitted();
          boolean is = proposed.decide(s.principal(), a, after.get(id)).permitted();
          if (is && !was) {
            exposed.add(id);
          } else if (was && !is) {
            hidden.add(id);
          }
        }
        out.add(
            new SubjectDiff(
                s,
                a,
                breakdown(exposed, docs, proposed.schema(), tags, samples),
                breakdown(hidden, docs, proposed.schema(), tags, samples)));
      }
    }
    return out;
  }

  private static Map<String, DocTags> validate(
      TagSchema schema, Map<String, Map<String, Object>> docs) {
    Map<String, DocTags> out = new TreeMap<>();
    docs.forEach((id, raw) -> out.put(id, schema.validate(raw)));
    return out;
  }

  private static Breakdown breakdown(
      SortedSet<String> ids,
      Map<String, Map<String, Object>> docs,
      TagSchema schema,
      List<String> tags,
      int samples) {
    List<Breakdown.TagCounts> byTag = new ArrayList<>();
    for (String tag : tags) {
      List<Breakdown.Bucket> buckets = new ArrayList<>();
      for (String value : schema.tag(tag).map(TagDefinition::values).orElseThrow()) {
        List<String> holders = ids.stream().filter(id -> holds(docs.get(id), tag, value)).toList();
        if (!holders.isEmpty()) {
          buckets.add(
              new Breakdown.Bucket(
                  value, holders.size(), holders.subList(0, Math.min(samples, holders.size()))));
        }
      }
      byTag.add(new Breakdown.TagCounts(tag, buckets));
    }
    return new Breakdown(
        ids.size(), new ArrayList<>(ids).subList(0, Math.min(samples, ids.size())), byTag);
  }

  private static boolean holds(Map<String, Object> raw, String tag, String value) {
    Object v = raw.get(tag);
    return v instanceof List<?> l ? l.contains(value) : value.equals(v);
  }
}
