package dev.anvil.judge;

import dev.anvil.judge.spi.Corpus;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.judge.spi.Rankings;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A corpus in memory for tests: chunks with tags, read under the policy as the engine reads them (a
 * chunk a principal may not read is absent), and each query's rankings as the test sets them.
 */
public final class MemoryCorpus implements Corpus {
  private final PolicyStore policies;
  private final Map<String, CorpusChunk> chunks = new ConcurrentHashMap<>();
  private final Map<String, Map<String, List<Rankings.Scored>>> rankings =
      new ConcurrentHashMap<>();

  public MemoryCorpus(PolicyStore policies) {
    this.policies = policies;
  }

  /** Adds or replaces a chunk. */
  public MemoryCorpus put(
      String doc, int chunk, long version, String text, Map<String, Object> tags, float... vector) {
    chunks.put(
        CorpusChunk.key(doc, chunk),
        new CorpusChunk(doc, version, chunk, "title of " + doc, text, tags, vector));
    return this;
  }

  /** What {@code retriever} returns for {@code query}: keys {@code doc#chunk} with scores. */
  public MemoryCorpus rank(String query, String retriever, Object... keysAndScores) {
    List<Rankings.Scored> list = new ArrayList<>();
    for (int i = 0; i < keysAndScores.length; i += 2) {
      list.add(
          new Rankings.Scored(
              (String) keysAndScores[i], ((Number) keysAndScores[i + 1]).doubleValue()));
    }
    rankings.computeIfAbsent(query, q -> new LinkedHashMap<>()).put(retriever, list);
    return this;
  }

  private boolean readable(Principal p, CorpusChunk c) {
    PolicySet set = policies.current();
    return set.decide(p, Action.READ, set.schema().validate(c.tags())).permitted();
  }

  @Override
  public Optional<CorpusChunk> chunk(Principal principal, String documentId, int chunk) {
    CorpusChunk c = chunks.get(CorpusChunk.key(documentId, chunk));
    return c != null && readable(principal, c) ? Optional.of(c) : Optional.empty();
  }

  @Override
  public Rankings rank(Principal principal, String query, int depth) {
    Map<String, List<Rankings.Scored>> out = new LinkedHashMap<>();
    Map<String, CorpusChunk> seen = new LinkedHashMap<>();
    Map<String, Double> rrf = new LinkedHashMap<>();
    rankings
        .getOrDefault(query, Map.of())
        .forEach(
            (retriever, list) -> {
              List<Rankings.Scored> visible = new ArrayList<>();
              for (Rankings.Scored s : list) {
                CorpusChunk c = chunks.get(s.key());
                if (c != null && readable(principal, c) && visible.size() < depth) {
                  visible.add(s);
                  seen.put(s.key(), c);
                  rrf.merge(s.key(), 1.0 / (60 + visible.size()), Double::sum);
                }
              }
              out.put(retriever, visible);
            });
    List<String> fused =
        rrf.entrySet().stream()
            .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
            .map(Map.Entry::getKey)
            .toList();
    return new Rankings(fused, out, seen, "memory-model", policies.current().version());
  }

  @Override
  public PolicyStore policies() {
    return policies;
  }
}
