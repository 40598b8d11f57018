package dev.anvil.rbac.diff;

import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link DiffIndex} over documents held in memory, matching with {@link Filter#matches}: the
 * reference semantics every backend must agree with, for testing {@link PolicyDiff} without one.
 * Counts the queries it answers.
 */
final class InMemoryDiffIndex implements DiffIndex {
  private final SortedMap<String, DocTags> docs;
  final AtomicInteger queries = new AtomicInteger();

  InMemoryDiffIndex(Map<String, DocTags> docs) {
    this.docs = new TreeMap<>(Breakdown.ID_ORDER);
    this.docs.putAll(docs);
  }

  @Override
  public Breakdown breakdown(Filter filter, List<String> tags, int samples) {
    queries.incrementAndGet();
    List<String> ids = docs.keySet().stream().filter(id -> filter.matches(docs.get(id))).toList();
    List<Breakdown.TagCounts> byTag = new ArrayList<>();
    for (String tag : tags) {
      Map<String, SortedSet<String>> holders = new TreeMap<>();
      for (String id : ids) {
        docs.get(id)
            .get(tag)
            .ifPresent(
                v -> {
                  for (String value : values(v)) {
                    holders.computeIfAbsent(value, k -> new TreeSet<>(Breakdown.ID_ORDER)).add(id);
                  }
                });
      }
      List<Breakdown.Bucket> buckets = new ArrayList<>();
      holders.forEach(
          (value, hs) ->
              buckets.add(
                  new Breakdown.Bucket(value, hs.size(), hs.stream().limit(samples).toList())));
      byTag.add(new Breakdown.TagCounts(tag, buckets));
    }
    return new Breakdown(ids.size(), ids.stream().limit(samples).toList(), byTag);
  }

  private static List<String> values(TagValue v) {
    return switch (v) {
      case TagValue.Single s -> List.of(s.value());
      case TagValue.Level l -> List.of(l.name());
      case TagValue.Members m -> List.copyOf(m.values());
    };
  }
}
