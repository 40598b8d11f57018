package dev.anvil.rbac.diff;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What makes a policy change fail a CI gate: it newly permits an action on documents at or above a
 * level of an ordered tag (by default the top level of the schema's first ordered tag: {@code
 * classification: restricted} in the example pack).
 *
 * @param tag the ordered tag
 * @param level the lowest level that trips the gate
 * @param levels that level and every one above it, lowest first
 */
public record Gate(String tag, String level, List<String> levels) {
  public Gate {
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(level, "level");
    levels = List.copyOf(levels);
    if (levels.isEmpty() || !levels.getFirst().equals(level)) {
      throw new IllegalArgumentException("levels must start with " + level + ", was " + levels);
    }
  }

  /** The top level of the schema's first ordered tag; empty if the schema has no ordered tag. */
  public static Optional<Gate> top(TagSchema schema) {
    return firstOrdered(schema).map(t -> of(t, t.values().getLast()));
  }

  /**
   * A gate at {@code spec}: {@code LEVEL} of the schema's first ordered tag, or {@code TAG=LEVEL}.
   *
   * @throws RbacException if there is no such ordered tag or level
   */
  public static Gate parse(TagSchema schema, String spec) {
    int eq = spec.indexOf('=');
    TagDefinition tag =
        eq < 0
            ? firstOrdered(schema)
                .orElseThrow(() -> new RbacException("the schema has no ordered tag to gate on"))
            : schema
                .tag(spec.substring(0, eq))
                .filter(t -> t.type() == TagType.ORDERED)
                .orElseThrow(
                    () ->
                        new RbacException(
                            "gate "
                                + spec
                                + ": expected an ordered tag of the schema, was '"
                                + spec.substring(0, eq)
                                + "'"));
    String level = eq < 0 ? spec : spec.substring(eq + 1);
    if (tag.rank(level) < 0) {
      throw new RbacException(
          "gate "
              + spec
              + ": expected a level of "
              + tag.name()
              + " "
              + tag.values()
              + ", was '"
              + level
              + "'");
    }
    return of(tag, level);
  }

  private static Gate of(TagDefinition tag, String level) {
    return new Gate(tag.name(), level, tag.values().subList(tag.rank(level), tag.values().size()));
  }

  private static Optional<TagDefinition> firstOrdered(TagSchema schema) {
    return schema.tags().stream().filter(t -> t.type() == TagType.ORDERED).findFirst();
  }

  /** How many documents of {@code b} are at or above the gate's level (0 if none). */
  public long count(Breakdown b) {
    return b.tag(tag)
        .map(t -> t.buckets().stream().filter(x -> levels.contains(x.value())))
        .map(s -> s.mapToLong(Breakdown.Bucket::documents).sum())
        .orElse(0L);
  }

  @Override
  public String toString() {
    return tag + " >= " + level;
  }
}
