package dev.anvil.rbac.filter;

import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A predicate over a document's tags.
 *
 * <p>Build filters with the static factories ({@link #and}, {@link #or}, {@link #not}, {@link
 * #anyOf}, ...), which simplify as they go: constants fold, nested and/or flatten, terms on one tag
 * under an or merge into one {@link AnyOf} (a user in 500 groups gets one node, not 500), ranges on
 * one tag merge, and children are sorted so that equal filters are equal objects. The record
 * constructors build nodes as given, without simplification.
 *
 * <p>All implementations are immutable values.
 */
public sealed interface Filter
    permits Filter.All,
        Filter.None,
        Filter.Term,
        Filter.AnyOf,
        Filter.Range,
        Filter.Exists,
        Filter.And,
        Filter.Or,
        Filter.Not {

  /** Whether a document with these (validated) tags passes the filter. */
  boolean matches(DocTags tags);

  /** Matches every document. */
  record All() implements Filter {
    @Override
    public boolean matches(DocTags tags) {
      return true;
    }

    @Override
    public String toString() {
      return "all";
    }
  }

  /** Matches no document. */
  record None() implements Filter {
    @Override
    public boolean matches(DocTags tags) {
      return false;
    }

    @Override
    public String toString() {
      return "none";
    }
  }

  /** The tag's value is {@code value} (for a set tag: contains it). */
  record Term(String tag, String value) implements Filter {
    public Term {
      Objects.requireNonNull(tag, "tag");
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean matches(DocTags tags) {
      return tags.get(tag).map(v -> v.contains(value)).orElse(false);
    }

    @Override
    public String toString() {
      return tag + " = " + value;
    }
  }

  /** The tag's value is one of {@code values} (for a set tag: shares one with it). */
  record AnyOf(String tag, SortedSet<String> values) implements Filter {
    public AnyOf {
      Objects.requireNonNull(tag, "tag");
      values = Collections.unmodifiableSortedSet(new TreeSet<>(values));
    }

    @Override
    public boolean matches(DocTags tags) {
      return tags.get(tag).map(v -> values.stream().anyMatch(v::contains)).orElse(false);
    }

    @Override
    public String toString() {
      return tag + " any-of " + values;
    }
  }

  /**
   * An ordered tag's level lies between two levels, both included.
   *
   * @param tag the ordered tag
   * @param minRank rank of the lowest admitted level (0 = the schema's lowest)
   * @param maxRank rank of the highest admitted level
   * @param minLevel name of the lowest admitted level
   * @param maxLevel name of the highest admitted level
   */
  record Range(String tag, int minRank, int maxRank, String minLevel, String maxLevel)
      implements Filter {
    public Range {
      Objects.requireNonNull(tag, "tag");
      Objects.requireNonNull(minLevel, "minLevel");
      Objects.requireNonNull(maxLevel, "maxLevel");
      if (minRank < 0 || minRank > maxRank) {
        throw new IllegalArgumentException(
            "range needs 0 <= minRank <= maxRank, was " + minRank + ".." + maxRank);
      }
    }

    @Override
    public boolean matches(DocTags tags) {
      return tags.get(tag)
          .map(v -> v instanceof TagValue.Level l && l.rank() >= minRank && l.rank() <= maxRank)
          .orElse(false);
    }

    @Override
    public String toString() {
      return minRank == maxRank
          ? tag + " = " + minLevel
          : tag + " in [" + minLevel + " .. " + maxLevel + "]";
    }
  }

  /** The document carries the tag (a set tag: non-empty). */
  record Exists(String tag) implements Filter {
    public Exists {
      Objects.requireNonNull(tag, "tag");
    }

    @Override
    public boolean matches(DocTags tags) {
      return tags.has(tag);
    }

    @Override
    public String toString() {
      return "has(" + tag + ")";
    }
  }

  /** Every child matches. */
  record And(List<Filter> children) implements Filter {
    public And {
      children = List.copyOf(children);
    }

    @Override
    public boolean matches(DocTags tags) {
      for (Filter f : children) {
        if (!f.matches(tags)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return children.stream().map(Object::toString).collect(Collectors.joining(" AND ", "(", ")"));
    }
  }

  /** At least one child matches. */
  record Or(List<Filter> children) implements Filter {
    public Or {
      children = List.copyOf(children);
    }

    @Override
    public boolean matches(DocTags tags) {
      for (Filter f : children) {
        if (f.matches(tags)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return children.stream().map(Object::toString).collect(Collectors.joining(" OR ", "(", ")"));
    }
  }

  /** The child does not match. */
  record Not(Filter child) implements Filter {
    public Not {
      Objects.requireNonNull(child, "child");
    }

    @Override
    public boolean matches(DocTags tags) {
      return !child.matches(tags);
    }

    @Override
    public String toString() {
      return "NOT " + child;
    }
  }

  // ---- simplifying factories ----

  /** Matches everything. */
  static Filter all() {
    return new All();
  }

  /** Matches nothing. */
  static Filter none() {
    return new None();
  }

  /** {@code tag = value}. */
  static Filter term(String tag, String value) {
    return new Term(tag, value);
  }

  /** {@code tag} any of {@code values}; one value becomes a {@link Term}, none {@link None}. */
  static Filter anyOf(String tag, Collection<String> values) {
    TreeSet<String> sorted = new TreeSet<>(values);
    return switch (sorted.size()) {
      case 0 -> none();
      case 1 -> term(tag, sorted.first());
      default -> new AnyOf(tag, sorted);
    };
  }

  /** The document carries {@code tag}. */
  static Filter exists(String tag) {
    return new Exists(tag);
  }

  /**
   * Negation, folding constants and double negation, and pushing through an and/or whose children
   * are all negations (De Morgan), so that deny rules read as "none of: ..." rather than nested
   * negations.
   */
  static Filter not(Filter f) {
    return switch (f) {
      case All a -> none();
      case None n -> all();
      case Not n -> n.child();
      case And a when a.children().stream().allMatch(c -> c instanceof Not) ->
          or(a.children().stream().map(c -> ((Not) c).child()).toList());
      case Or o when o.children().stream().allMatch(c -> c instanceof Not) ->
          and(o.children().stream().map(c -> ((Not) c).child()).toList());
      default -> new Not(f);
    };
  }

  /** Conjunction, simplified (see the class comment). */
  static Filter and(Filter... children) {
    return and(List.of(children));
  }

  /** Conjunction, simplified (see the class comment). */
  static Filter and(List<Filter> children) {
    List<Filter> flat = new ArrayList<>();
    for (Filter c : children) {
      switch (c) {
        case None n -> {
          return none();
        }
        case All a -> {}
        case And and -> flat.addAll(and.children());
        default -> flat.add(c);
      }
    }
    // Ranges on one (scalar, ordered) tag intersect.
    Map<String, Range> ranges = new LinkedHashMap<>();
    List<Filter> rest = new ArrayList<>();
    for (Filter c : flat) {
      if (c instanceof Range r) {
        Range prev = ranges.get(r.tag());
        if (prev == null) {
          ranges.put(r.tag(), r);
        } else {
          Range lo = prev.minRank() >= r.minRank() ? prev : r;
          Range hi = prev.maxRank() <= r.maxRank() ? prev : r;
          if (lo.minRank() > hi.maxRank()) {
            return none();
          }
          ranges.put(
              r.tag(),
              new Range(r.tag(), lo.minRank(), hi.maxRank(), lo.minLevel(), hi.maxLevel()));
        }
      } else {
        rest.add(c);
      }
    }
    rest.addAll(ranges.values());
    // has(t) is implied by any term, any-of or range on t.
    rest.removeIf(
        c -> c instanceof Exists e && rest.stream().anyMatch(o -> constrains(o, e.tag())));
    return combine(rest, true);
  }

  /** Disjunction, simplified (see the class comment). */
  static Filter or(Filter... children) {
    return or(List.of(children));
  }

  /** Disjunction, simplified (see the class comment). */
  static Filter or(List<Filter> children) {
    List<Filter> flat = new ArrayList<>();
    for (Filter c : children) {
      switch (c) {
        case All a -> {
          return all();
        }
        case None n -> {}
        case Or or -> flat.addAll(or.children());
        default -> flat.add(c);
      }
    }
    // Terms and any-ofs on one tag become one any-of; overlapping or adjacent ranges merge.
    Map<String, TreeSet<String>> values = new LinkedHashMap<>();
    Map<String, List<Range>> ranges = new LinkedHashMap<>();
    List<Filter> rest = new ArrayList<>();
    for (Filter c : flat) {
      switch (c) {
        case Term t -> values.computeIfAbsent(t.tag(), k -> new TreeSet<>()).add(t.value());
        case AnyOf a -> values.computeIfAbsent(a.tag(), k -> new TreeSet<>()).addAll(a.values());
        case Range r -> ranges.computeIfAbsent(r.tag(), k -> new ArrayList<>()).add(r);
        default -> rest.add(c);
      }
    }
    values.forEach((tag, vs) -> rest.add(anyOf(tag, vs)));
    ranges.forEach((tag, rs) -> rest.addAll(mergeRanges(rs)));
    return combine(rest, false);
  }

  private static List<Range> mergeRanges(List<Range> ranges) {
    List<Range> sorted = new ArrayList<>(ranges);
    sorted.sort(Comparator.comparingInt(Range::minRank));
    List<Range> out = new ArrayList<>();
    for (Range r : sorted) {
      Range last = out.isEmpty() ? null : out.getLast();
      if (last != null && r.minRank() <= last.maxRank() + 1) {
        if (r.maxRank() > last.maxRank()) {
          out.set(
              out.size() - 1,
              new Range(r.tag(), last.minRank(), r.maxRank(), last.minLevel(), r.maxLevel()));
        }
      } else {
        out.add(r);
      }
    }
    return out;
  }

  private static int sortRank(Filter f) {
    return switch (f) {
      case And a -> 2;
      case Or o -> 2;
      case Not(And a) -> 3;
      case Not(Or o) -> 3;
      case Not n -> 1;
      default -> 0;
    };
  }

  private static boolean constrains(Filter f, String tag) {
    return switch (f) {
      case Term t -> t.tag().equals(tag);
      case AnyOf a -> a.tag().equals(tag);
      case Range r -> r.tag().equals(tag);
      default -> false;
    };
  }

  /** Dedupes, sorts into canonical order, and unwraps a single child. */
  private static Filter combine(List<Filter> children, boolean conjunction) {
    // Leaves first, then negated leaves, then compound nodes: reads well and is deterministic.
    // Sort keys are computed once per child: toString of a wide any-of is not free.
    Map<String, Filter> unique = new java.util.TreeMap<>();
    for (Filter c : children) {
      unique.putIfAbsent(sortRank(c) + c.toString(), c);
    }
    if (unique.isEmpty()) {
      return conjunction ? all() : none();
    }
    if (unique.size() == 1) {
      return unique.values().iterator().next();
    }
    List<Filter> list = List.copyOf(unique.values());
    return conjunction ? new And(list) : new Or(list);
  }
}
