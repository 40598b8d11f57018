package dev.anvil.context.search;

import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A caller's tag query ({@code department: [hr, finance]}, ...) as a filter: every tag must match
 * one of its values. Combined with the access filter by AND, it can only narrow what the caller may
 * see, never widen it.
 */
public final class Narrowing {
  private Narrowing() {}

  /**
   * The filter of a tag query; the empty query is {@link Filter#all()}.
   *
   * @throws InvalidRequestException naming a tag the schema does not declare
   */
  public static Filter filter(TagSchema schema, Map<String, List<String>> tags) {
    List<Filter> parts = new ArrayList<>();
    tags.forEach(
        (tag, values) -> {
          if (schema.tag(tag).isEmpty()) {
            throw new InvalidRequestException(
                "filter." + tag,
                "unknown tag (the schema declares: "
                    + schema.tags().stream().map(t -> t.name()).toList()
                    + ")");
          }
          parts.add(Filter.anyOf(tag, values));
        });
    return Filter.and(parts);
  }
}
