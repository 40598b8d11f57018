package dev.anvil.rbac.schema;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A document's tags after validation against a {@link TagSchema}: every value has its schema type
 * (levels carry their rank) and empty sets are absent. Obtain one from {@link
 * TagSchema#validate(Map)}; the constructor does not check against any schema.
 *
 * @param values tag name to value, sorted by name
 */
public record DocTags(SortedMap<String, TagValue> values) {
  public DocTags {
    values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
  }

  /** No tags: what actions that are not about a document or a model are decided on. */
  public static DocTags none() {
    return new DocTags(new TreeMap<>());
  }

  /** The value of a tag, if the document carries it. */
  public Optional<TagValue> get(String tag) {
    return Optional.ofNullable(values.get(tag));
  }

  /** Whether the document carries the tag (a set tag only when non-empty). */
  public boolean has(String tag) {
    return values.containsKey(tag);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    values.forEach(
        (k, v) -> {
          if (sb.length() > 1) {
            sb.append(", ");
          }
          sb.append(k).append('=');
          switch (v) {
            case TagValue.Single s -> sb.append(s.value());
            case TagValue.Level l -> sb.append(l.name());
            case TagValue.Members m -> sb.append(m.values());
          }
        });
    return sb.append('}').toString();
  }
}
