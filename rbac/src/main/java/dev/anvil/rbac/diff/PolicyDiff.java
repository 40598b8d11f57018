package dev.anvil.rbac.diff;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Computes what replacing the policy set in force by a proposed one would do.
 *
 * <p>For each subject and action, both sets compile into filters, and the index counts {@code
 * proposed AND NOT inForce} (newly exposed) and {@code inForce AND NOT proposed} (newly hidden). A
 * subject whose two filters are equal costs no query at all, and subjects with the same pair of
 * filters share one count. Filters compile afresh (not through the sets' caches), so that a diff
 * does not fill the serving set's cache with principals that never search.
 *
 * <p>Ordered tags' levels are compared by name, not by rank: each set's ranges become the names of
 * the levels they admit under that set's own schema. So a proposed schema that reorders or adds
 * levels is diffed by what each document is called, whatever ranks the index was written with.
 *
 * <p>Stateless; thread-safe if the index is.
 */
public final class PolicyDiff {
  private PolicyDiff() {}

  /**
   * The diff of {@code proposed} against {@code inForce} over {@code index}.
   *
   * @throws RbacException if an option does not fit the proposed set's schema (a tag to count by
   *     that it does not declare or whose values it does not list, a gate level it lacks)
   * @throws FilterTooLargeException if, for some subject and action, the filter to count is larger
   *     or deeper than an index runs as one query; no index is asked for that pair
   */
  public static DiffReport compute(
      PolicySet inForce,
      PolicySet proposed,
      List<DiffSubject> subjects,
      DiffOptions options,
      DiffIndex index) {
    TagSchema schema = proposed.schema();
    Optional<Gate> gate = options.gate().map(g -> Gate.parse(schema, g)).or(() -> Gate.top(schema));
    List<String> tags = new ArrayList<>(tagsToCount(schema, options.byTags()));
    // The gate reads the counts of its tag: count by it even when it was not asked for.
    gate.filter(g -> !tags.contains(g.tag())).ifPresent(g -> tags.add(g.tag()));

    Map<List<Filter>, SubjectDiff> counted = new HashMap<>();
    List<SubjectDiff> out = new ArrayList<>();
    for (DiffSubject s : subjects) {
      for (Action a : options.actions()) {
        Filter before = levelsByName(inForce.compileUncached(s.principal(), a).filter(), inForce);
        Filter after = levelsByName(proposed.compileUncached(s.principal(), a).filter(), proposed);
        SubjectDiff known = counted.get(List.of(before, after));
        if (known != null) {
          out.add(new SubjectDiff(s, a, known.exposed(), known.hidden()));
          continue;
        }
        SubjectDiff d =
            before.equals(after)
                ? new SubjectDiff(s, a, Breakdown.empty(tags), Breakdown.empty(tags))
                : new SubjectDiff(
                    s,
                    a,
                    count(
                        index,
                        fits(Filter.and(after, Filter.not(before)), s, a),
                        tags,
                        options,
                        schema),
                    count(
                        index,
                        fits(Filter.and(before, Filter.not(after)), s, a),
                        tags,
                        options,
                        schema));
        counted.put(List.of(before, after), d);
        out.add(d);
      }
    }
    return new DiffReport(
        inForce.version(),
        proposed.version(),
        options.actions(),
        tags,
        options.samples(),
        gate,
        out);
  }

  /**
   * The tags a diff under {@code schema} counts by: those asked for, each declared with values; or
   * by default the schema's required tags with values (or, if none is required, its first tag with
   * values).
   *
   * @throws RbacException if an asked tag is not declared, or declared without values
   */
  public static List<String> tagsToCount(TagSchema schema, List<String> asked) {
    if (asked.isEmpty()) {
      List<String> required =
          schema.tags().stream()
              .filter(t -> t.required() && t.type().hasValues())
              .map(TagDefinition::name)
              .toList();
      return !required.isEmpty()
          ? required
          : schema.tags().stream()
              .filter(t -> t.type().hasValues())
              .map(TagDefinition::name)
              .limit(1)
              .toList();
    }
    for (String name : asked) {
      TagDefinition t =
          schema
              .tag(name)
              .orElseThrow(
                  () ->
                      new RbacException(
                          "cannot count by '"
                              + name
                              + "': the proposed schema declares "
                              + schema.tags().stream().map(TagDefinition::name).toList()));
      if (!t.type().hasValues()) {
        throw new RbacException(
            "cannot count by '"
                + name
                + "': a "
                + t.type().id()
                + " tag has no listed values (expected an ordered, enum or set tag)");
      }
    }
    return asked;
  }

  /**
   * {@code f}, if an index can run it as one query.
   *
   * @throws FilterTooLargeException naming the subject, the action and the limit otherwise
   */
  private static Filter fits(Filter f, DiffSubject s, Action a) {
    int nodes = nodes(f);
    int depth = depth(f);
    if (nodes > DiffIndex.MAX_NODES || depth > DiffIndex.MAX_DEPTH) {
      throw new FilterTooLargeException(
          "cannot diff "
              + a
              + " for "
              + s.name()
              + ": the policies compile to a filter of "
              + nodes
              + " conditions nested "
              + depth
              + " deep, beyond what an index counts in one query (at most "
              + DiffIndex.MAX_NODES
              + " conditions, "
              + DiffIndex.MAX_DEPTH
              + " deep); write conditions on one tag as one list (doc.tag in [...]) and nest"
              + " fewer && and ||");
    }
    return f;
  }

  /** How many nodes {@code f} has, leaves and and/or/not alike. */
  static int nodes(Filter f) {
    return switch (f) {
      case Filter.And a -> 1 + a.children().stream().mapToInt(PolicyDiff::nodes).sum();
      case Filter.Or o -> 1 + o.children().stream().mapToInt(PolicyDiff::nodes).sum();
      case Filter.Not n -> 1 + nodes(n.child());
      case Filter.All a -> 1;
      case Filter.None n -> 1;
      case Filter.Term t -> 1;
      case Filter.AnyOf a -> 1;
      case Filter.Range r -> 1;
      case Filter.Exists e -> 1;
    };
  }

  /** How deep {@code f} nests: 1 for a leaf. */
  static int depth(Filter f) {
    return switch (f) {
      case Filter.And a -> 1 + a.children().stream().mapToInt(PolicyDiff::depth).max().orElse(0);
      case Filter.Or o -> 1 + o.children().stream().mapToInt(PolicyDiff::depth).max().orElse(0);
      case Filter.Not n -> 1 + depth(n.child());
      case Filter.All a -> 1;
      case Filter.None n -> 1;
      case Filter.Term t -> 1;
      case Filter.AnyOf a -> 1;
      case Filter.Range r -> 1;
      case Filter.Exists e -> 1;
    };
  }

  private static Breakdown count(
      DiffIndex index, Filter filter, List<String> tags, DiffOptions options, TagSchema schema) {
    if (filter instanceof Filter.None) {
      return Breakdown.empty(tags);
    }
    Breakdown raw = index.breakdown(filter, tags, options.samples());
    // Buckets in the schema's order (levels lowest first), whatever order the index found them in.
    List<Breakdown.TagCounts> byTag = new ArrayList<>();
    for (String tag : tags) {
      List<String> order = schema.tag(tag).map(TagDefinition::values).orElse(List.of());
      Comparator<Breakdown.Bucket> bySchema =
          Comparator.comparingInt(
              b -> order.indexOf(b.value()) < 0 ? Integer.MAX_VALUE : order.indexOf(b.value()));
      List<Breakdown.Bucket> buckets =
          raw.tag(tag).map(Breakdown.TagCounts::buckets).orElse(List.of()).stream()
              .sorted(bySchema.thenComparing(Breakdown.Bucket::value))
              .toList();
      byTag.add(new Breakdown.TagCounts(tag, buckets));
    }
    return new Breakdown(raw.documents(), raw.samples(), byTag);
  }

  /**
   * {@code f} with each range over an ordered tag replaced by the names of the levels it admits.
   */
  static Filter levelsByName(Filter f, PolicySet set) {
    return switch (f) {
      case Filter.Range r -> {
        List<String> levels = set.schema().tag(r.tag()).orElseThrow().values();
        yield Filter.anyOf(r.tag(), levels.subList(r.minRank(), r.maxRank() + 1));
      }
      case Filter.And a ->
          Filter.and(a.children().stream().map(c -> levelsByName(c, set)).toList());
      case Filter.Or o -> Filter.or(o.children().stream().map(c -> levelsByName(c, set)).toList());
      case Filter.Not n -> Filter.not(levelsByName(n.child(), set));
      case Filter.All a -> a;
      case Filter.None n -> n;
      case Filter.Term t -> t;
      case Filter.AnyOf a -> a;
      case Filter.Exists e -> e;
    };
  }
}
