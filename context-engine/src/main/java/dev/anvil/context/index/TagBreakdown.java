package dev.anvil.context.index;

import dev.anvil.rbac.diff.Breakdown;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.SortedSetDocValues;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.util.FixedBitSet;

/**
 * Counts the distinct documents among matching chunks, in all and per value of some tags, keeping
 * the smallest ids overall and per value: a facet count over the tags' doc values, so a policy diff
 * reads two doc values per matching document and never its stored fields or its policy decision.
 */
final class TagBreakdown implements CollectorManager<TagBreakdown.Counter, Breakdown> {
  private final List<String> tags;
  private final int samples;

  TagBreakdown(List<String> tags, int samples) {
    this.tags = List.copyOf(tags);
    this.samples = samples;
  }

  @Override
  public Counter newCollector() {
    return new Counter();
  }

  @Override
  public Breakdown reduce(Collection<Counter> counters) {
    // A document's live chunks sit in one segment (one update is one block), but collectors of
    // different slices are merged by id anyway, as TagFacets does, so nothing counts twice.
    Set<String> seen = new HashSet<>();
    TreeSet<String> overall = new TreeSet<>(Breakdown.ID_ORDER);
    Map<String, Map<String, Bucket>> byTag = new LinkedHashMap<>();
    tags.forEach(t -> byTag.put(t, new TreeMap<>()));
    for (Counter c : counters) {
      c.docs.forEach(
          (id, values) -> {
            if (seen.add(id)) {
              keep(overall, id);
              values.forEach(
                  (tag, vs) ->
                      vs.forEach(v -> byTag.get(tag).computeIfAbsent(v, Bucket::new).add(id)));
            }
          });
    }
    List<Breakdown.TagCounts> counts = new ArrayList<>();
    byTag.forEach(
        (tag, buckets) ->
            counts.add(
                new Breakdown.TagCounts(
                    tag, buckets.values().stream().map(Bucket::toRecord).toList())));
    return new Breakdown(seen.size(), List.copyOf(overall), counts);
  }

  /** Adds an id to a sample set, keeping only the smallest {@code samples}. */
  private void keep(TreeSet<String> sample, String id) {
    sample.add(id);
    if (sample.size() > samples) {
      sample.pollLast();
    }
  }

  private final class Bucket {
    final String value;
    long documents;
    final TreeSet<String> sample = new TreeSet<>(Breakdown.ID_ORDER);

    Bucket(String value) {
      this.value = value;
    }

    void add(String id) {
      documents++;
      keep(sample, id);
    }

    Breakdown.Bucket toRecord() {
      return new Breakdown.Bucket(value, documents, List.copyOf(sample));
    }
  }

  /** Collects each matching document's id and tag values, once per document. */
  final class Counter extends SimpleCollector {
    private final Map<String, Map<String, List<String>>> docs = new LinkedHashMap<>();
    private final Map<String, SortedSetDocValues> values = new LinkedHashMap<>();
    private SortedDocValues ids;
    private FixedBitSet seenOrds;

    @Override
    protected void doSetNextReader(LeafReaderContext context) throws IOException {
      ids = DocValues.getSorted(context.reader(), IndexFields.ID);
      // Chunks of one document share its id's ordinal: one bit per id tells a document already
      // counted without building its id string again.
      seenOrds = new FixedBitSet(Math.max(1, ids.getValueCount()));
      values.clear();
      for (String tag : tags) {
        values.put(tag, DocValues.getSortedSet(context.reader(), IndexFields.tag(tag)));
      }
    }

    @Override
    public void collect(int doc) throws IOException {
      if (!ids.advanceExact(doc) || seenOrds.getAndSet(ids.ordValue())) {
        return;
      }
      String id = ids.lookupOrd(ids.ordValue()).utf8ToString();
      Map<String, List<String>> byTag = new LinkedHashMap<>();
      for (Map.Entry<String, SortedSetDocValues> e : values.entrySet()) {
        SortedSetDocValues dv = e.getValue();
        if (dv.advanceExact(doc)) {
          String[] vs = new String[dv.docValueCount()];
          for (int i = 0; i < vs.length; i++) {
            vs[i] = dv.lookupOrd(dv.nextOrd()).utf8ToString();
          }
          byTag.put(e.getKey(), List.of(vs));
        }
      }
      docs.putIfAbsent(id, byTag);
    }

    @Override
    public ScoreMode scoreMode() {
      return ScoreMode.COMPLETE_NO_SCORES;
    }
  }
}
