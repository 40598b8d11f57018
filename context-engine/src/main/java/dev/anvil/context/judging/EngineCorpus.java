package dev.anvil.context.judging;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Ranked;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.embed.Embedder;
import dev.anvil.judge.spi.Corpus;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.judge.spi.Rankings;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Judgments' corpus on the context engine: every read goes through the engine's policy-filtered
 * paths ({@link ContextEngine#get}, {@link ContextEngine#rankings}), so judgments never see a chunk
 * their principal may not read. With a teacher model, the chunks both retrievers found are also
 * ranked by the teacher (a third opinion for the queue's disagreement). Thread-safe.
 */
public final class EngineCorpus implements Corpus {
  private final ContextEngine engine;
  private final Optional<Embedder> teacher;

  /** The engine's corpus, without a teacher. */
  public EngineCorpus(ContextEngine engine) {
    this(engine, Optional.empty());
  }

  /** The engine's corpus; {@code teacher} re-ranks what the retrievers found. */
  public EngineCorpus(ContextEngine engine, Optional<Embedder> teacher) {
    this.engine = engine;
    this.teacher = teacher;
  }

  @Override
  public Optional<CorpusChunk> chunk(Principal principal, String documentId, int chunk) {
    for (SearchHit h : engine.get(principal, documentId)) {
      if (h.chunk() == chunk) {
        return Optional.of(
            new CorpusChunk(
                documentId, h.version(), chunk, h.title(), h.text(), h.tags(), new float[0]));
      }
    }
    return Optional.empty();
  }

  @Override
  public Rankings rank(Principal principal, String query, int depth) {
    Ranked r = engine.rankings(principal, query, depth);
    Map<String, List<Rankings.Scored>> retrievers = new LinkedHashMap<>();
    r.retrievers()
        .forEach(
            (name, list) ->
                retrievers.put(
                    name,
                    list.stream().map(s -> new Rankings.Scored(s.key(), s.score())).toList()));
    Map<String, CorpusChunk> chunks = new LinkedHashMap<>();
    r.chunks()
        .forEach(
            (key, c) -> {
              SearchHit h = c.hit();
              chunks.put(
                  key,
                  new CorpusChunk(
                      h.documentId(),
                      h.version(),
                      h.chunk(),
                      h.title(),
                      h.text(),
                      h.tags(),
                      c.vector()));
            });
    teacher.ifPresent(t -> retrievers.put("teacher", teacherRanking(t, query, chunks)));
    return new Rankings(r.fused(), retrievers, chunks, r.modelId(), r.policyVersion());
  }

  /** The teacher's cosine of the query and each chunk (title and text, as ingest embeds them). */
  private static List<Rankings.Scored> teacherRanking(
      Embedder teacher, String query, Map<String, CorpusChunk> chunks) {
    if (chunks.isEmpty()) {
      return List.of();
    }
    List<String> keys = new ArrayList<>(chunks.keySet());
    List<String> texts =
        keys.stream()
            .map(k -> chunks.get(k))
            .map(c -> c.title().isBlank() ? c.text() : c.title() + ". " + c.text())
            .toList();
    float[] q = teacher.embedQuery(query);
    float[][] d = teacher.embedDocuments(texts);
    List<Rankings.Scored> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      double dot = 0;
      for (int j = 0; j < q.length; j++) {
        dot += q[j] * d[i][j];
      }
      out.add(new Rankings.Scored(keys.get(i), dot));
    }
    out.sort(Comparator.comparingDouble(Rankings.Scored::score).reversed());
    return out;
  }

  @Override
  public PolicyStore policies() {
    return engine.policies();
  }
}
