package dev.anvil.context.index;

import java.io.IOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.SortedSetDocValues;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;

/**
 * Counts, for some tags, how many distinct documents among the matching chunks carry each value.
 * Run with the access filter inside the query, it only ever counts what the user may see.
 */
public final class TagFacets
    implements CollectorManager<TagFacets.Counter, Map<String, Map<String, Long>>> {
  private final List<String> tags;

  public TagFacets(List<String> tags) {
    this.tags = List.copyOf(tags);
  }

  @Override
  public Counter newCollector() {
    return new Counter();
  }

  @Override
  public Map<String, Map<String, Long>> reduce(Collection<Counter> counters) {
    // Chunks of one document may sit in different segments only transiently (an update is one
    // atomic block), so per-collector document sets are merged before counting.
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (String tag : tags) {
      out.put(tag, new TreeMap<>());
    }
    for (Counter c : counters) {
      c.values.forEach(
          (doc, byTag) -> {
            if (seen.add(doc)) {
              byTag.forEach(
                  (tag, values) -> values.forEach(v -> out.get(tag).merge(v, 1L, Long::sum)));
            }
          });
    }
    return out;
  }

  /** Collects the tag values of each matching document once. */
  public final class Counter extends SimpleCollector {
    private final Map<String, Map<String, List<String>>> values = new LinkedHashMap<>();
    private SortedDocValues ids;
    private final Map<String, SortedSetDocValues> tagValues = new LinkedHashMap<>();

    @Override
    protected void doSetNextReader(LeafReaderContext context) throws IOException {
      ids = DocValues.getSorted(context.reader(), IndexFields.ID);
      tagValues.clear();
      for (String tag : tags) {
        tagValues.put(tag, DocValues.getSortedSet(context.reader(), IndexFields.tag(tag)));
      }
    }

    @Override
    public void collect(int doc) throws IOException {
      if (!ids.advanceExact(doc)) {
        return;
      }
      String id = ids.lookupOrd(ids.ordValue()).utf8ToString();
      if (values.containsKey(id)) {
        return;
      }
      Map<String, List<String>> byTag = new LinkedHashMap<>();
      for (Map.Entry<String, SortedSetDocValues> e : tagValues.entrySet()) {
        SortedSetDocValues dv = e.getValue();
        if (dv.advanceExact(doc)) {
          String[] vs = new String[dv.docValueCount()];
          for (int i = 0; i < vs.length; i++) {
            vs[i] = dv.lookupOrd(dv.nextOrd()).utf8ToString();
          }
          byTag.put(e.getKey(), List.of(vs));
        }
      }
      values.put(id, byTag);
    }

    @Override
    public ScoreMode scoreMode() {
      return ScoreMode.COMPLETE_NO_SCORES;
    }
  }
}
