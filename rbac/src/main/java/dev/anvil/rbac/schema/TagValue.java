package dev.anvil.rbac.schema;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/** A validated tag value of a document. */
public sealed interface TagValue {

  /** Whether the value is, or (for sets) contains, {@code v}. */
  boolean contains(String v);

  /** A value of an enum, string or principal tag. */
  record Single(String value) implements TagValue {
    public Single {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean contains(String v) {
      return value.equals(v);
    }
  }

  /** A level of an ordered tag with its rank (0 = lowest). */
  record Level(String name, int rank) implements TagValue {
    public Level {
      Objects.requireNonNull(name, "name");
      if (rank < 0) {
        throw new IllegalArgumentException("rank must be >= 0, was " + rank);
      }
    }

    @Override
    public boolean contains(String v) {
      return name.equals(v);
    }
  }

  /** The members of a set tag; never empty (an empty set is stored as an absent tag). */
  record Members(SortedSet<String> values) implements TagValue {
    public Members {
      values = Collections.unmodifiableSortedSet(new TreeSet<>(values));
      if (values.isEmpty()) {
        throw new IllegalArgumentException("a set tag value must not be empty");
      }
    }

    @Override
    public boolean contains(String v) {
      return values.contains(v);
    }
  }
}
