package dev.anvil.context.search;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.CorpusPage;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.Ranked;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.index.IndexSnapshot;
import dev.anvil.context.serving.SearchesFirst;
import dev.anvil.context.serving.Slot;
import dev.anvil.context.telemetry.Telemetry;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.InvalidTagsException;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Search as a principal: the policy in force compiled for the principal (and narrowed by the
 * request's tags) goes inside both retrievers, BM25 and kNN; their rankings are fused (RRF), and
 * the best chunks are packed whole into the token budget, each naming the policies that permit it.
 *
 * <p>Every chunk served is decided once more, one by one: the index filter already admitted it, so
 * a chunk {@code decide} denies means a bug in the filter translation, and is dropped, logged and
 * counted ({@link #disagreements}), never served. Thread-safe.
 */
public final class HybridSearcher {
  private static final Logger LOG = LoggerFactory.getLogger(HybridSearcher.class);

  private final PolicyStore policies;
  private final SearchesFirst first;
  private final Telemetry telemetry;
  private final LongAdder disagreements = new LongAdder();
  private final QueryVectors queryVectors = new QueryVectors(QueryVectors.DEFAULT_CAPACITY);
  private volatile Fusion fusion = Fusion.DEFAULT;

  /**
   * @param first where searches take their turn ahead of ingest's embedding
   */
  public HybridSearcher(PolicyStore policies, SearchesFirst first, Telemetry telemetry) {
    this.policies = policies;
    this.first = first;
    this.telemetry = telemetry;
  }

  /** Fuses the retrievers' rankings with {@code fusion} from the next search on. */
  public void fuseWith(Fusion fusion) {
    this.fusion = java.util.Objects.requireNonNull(fusion, "fusion");
  }

  /** How searches fuse their retrievers' rankings. */
  public Fusion fusion() {
    return fusion;
  }

  /**
   * Searches {@code slot} (taken once by the caller) as {@code principal}, until {@code
   * cancellation} fires.
   *
   * @throws SearchCancelledException once {@code cancellation} fired: before the query is embedded,
   *     after, inside either retriever, or while chunks are packed
   */
  public SearchResponse search(
      Slot slot, Principal principal, SearchRequest request, Cancellation cancellation) {
    try (SearchesFirst.Turn turn = first.search()) {
      return searchInTurn(slot, principal, request, cancellation);
    }
  }

  private SearchResponse searchInTurn(
      Slot slot, Principal principal, SearchRequest request, Cancellation cancellation) {
    Embedder embedder = slot.embedder();
    request.check();
    PolicySet set = policies.current();
    Span.current().setAttribute(Telemetry.POLICY_VERSION, set.version());
    Span.current().setAttribute(Telemetry.MODEL, embedder.modelId());
    Span.current().setAttribute(Telemetry.MODE, request.mode().name());
    Filter access =
        telemetry.span(
            "anvil.policy.compile",
            () -> {
              telemetry.compiled(set.isCached(principal, Action.READ));
              return set.compile(principal, Action.READ).filter();
            });
    Filter filter = Filter.and(access, Narrowing.filter(set.schema(), request.narrowTo()));
    for (String facet : request.facets()) {
      if (set.schema().tag(facet).isEmpty()) {
        throw new InvalidRequestException("facets", "unknown tag '" + facet + "'");
      }
    }
    int candidates = Math.max(100, request.topK() * 4);
    stopIfCancelled(cancellation);
    float[] vector =
        request.mode() == SearchRequest.Mode.BM25
            ? null
            : telemetry.span(
                "anvil.embed",
                () -> queryVectors.of(principal.subject(), embedder, request.query()));
    stopIfCancelled(cancellation); // one query's embedding (milliseconds) is not interrupted
    return slot.index()
        .withSnapshot(
            cancellation,
            s -> {
              List<int[]> ranked = new ArrayList<>();
              // The BM25 pass also counts what the user may see, without a second pass; a dense
              // search counts every visible chunk (each is a candidate), from the filter's bits.
              Optional<IndexSnapshot.Ranked> counted =
                  request.mode() == SearchRequest.Mode.DENSE
                      ? Optional.of(
                          telemetry.spanIo("anvil.search.count", () -> s.admitted(filter)))
                      : telemetry.spanIo(
                          "anvil.search.bm25", () -> s.bm25(request.query(), filter, candidates));
              Map<String, Map<String, Long>> facets =
                  request.facets().isEmpty()
                      ? Map.of()
                      : s.facets(request.query(), filter, request.facets());
              if (counted.isPresent() && request.mode() != SearchRequest.Mode.DENSE) {
                ranked.add(counted.get().docs());
              }
              if (vector != null) {
                ranked.add(
                    telemetry
                        .spanIo("anvil.search.knn", () -> s.knn(vector, filter, candidates))
                        .docs());
              }
              List<Rrf.Fused> fused =
                  telemetry.spanIo(
                      "anvil.search.fusion",
                      () -> Rrf.fuseByDocument(ranked, fusion.k(), s::documentIds));
              List<SearchHit> hits =
                  telemetry.spanIo(
                      "anvil.search.pack", () -> pack(fused, s, set, principal, request));
              Span.current().setAttribute(Telemetry.HITS, hits.size());
              return new SearchResponse(
                  hits,
                  counted.map(IndexSnapshot.Ranked::visible).orElse(0L),
                  counted.map(IndexSnapshot.Ranked::exact).orElse(true),
                  set.version(),
                  embedder.modelId(),
                  facets);
            });
  }

  private static void stopIfCancelled(Cancellation cancellation) {
    if (cancellation.isCancelled()) {
      throw new SearchCancelledException();
    }
  }

  /**
   * Best first: read the chunk, name the policies that permit it (a chunk decide() denies is
   * dropped and counted), and keep whole chunks within the token budget.
   */
  private List<SearchHit> pack(
      List<Rrf.Fused> fused,
      IndexSnapshot snapshot,
      PolicySet set,
      Principal principal,
      SearchRequest request)
      throws IOException {
    List<SearchHit> hits = new ArrayList<>();
    int tokensLeft = request.tokenBudget() == 0 ? Integer.MAX_VALUE : request.tokenBudget();
    for (Rrf.Fused f : fused) {
      if (hits.size() == request.topK()) {
        break;
      }
      ChunkRecord c = snapshot.read(f.doc(), set.schema());
      Optional<List<String>> permittedBy = permittedBy(set, principal, Action.READ, c);
      if (permittedBy.isEmpty()) {
        continue;
      }
      if (c.tokens() > tokensLeft) {
        continue; // never cut a chunk: a smaller one further down may still fit
      }
      tokensLeft -= c.tokens();
      hits.add(hit(c, f.score(), permittedBy.get()));
    }
    return hits;
  }

  /**
   * Each retriever's first {@code depth} chunks for {@code query}, with raw scores, within what
   * {@code principal} may read (the compiled {@code read} filter inside both, and each chunk
   * decided once more, as in search), and the fused order.
   */
  public Ranked rankings(Slot slot, Principal principal, String query, int depth) {
    Embedder embedder = slot.embedder();
    PolicySet set = policies.current();
    Filter filter = set.compile(principal, Action.READ).filter();
    float[] vector = embedder.embedQuery(query);
    return slot.index()
        .withSnapshot(
            s -> {
              Map<String, List<Ranked.Scored>> retrievers = new java.util.LinkedHashMap<>();
              Map<String, Ranked.Chunk> chunks = new java.util.LinkedHashMap<>();
              List<int[]> lists = new ArrayList<>();
              Optional<IndexSnapshot.Ranked> bm25 = s.bm25(query, filter, depth);
              IndexSnapshot.Ranked knn = s.knn(vector, filter, depth);
              Map<Integer, String> keys = new java.util.HashMap<>();
              if (bm25.isPresent()) {
                lists.add(collect("bm25", bm25.get(), s, set, principal, retrievers, chunks, keys));
              }
              lists.add(collect("dense", knn, s, set, principal, retrievers, chunks, keys));
              List<String> fused =
                  Rrf.fuseByDocument(lists, fusion.k(), s::documentIds).stream()
                      .map(f -> keys.get(f.doc()))
                      .toList();
              return new Ranked(fused, retrievers, chunks, embedder.modelId(), set.version());
            });
  }

  /** One retriever's readable chunks, recorded; returns their chunk numbers for fusion. */
  private int[] collect(
      String name,
      IndexSnapshot.Ranked ranked,
      IndexSnapshot s,
      PolicySet set,
      Principal principal,
      Map<String, List<Ranked.Scored>> retrievers,
      Map<String, Ranked.Chunk> chunks,
      Map<Integer, String> keys)
      throws IOException {
    List<Ranked.Scored> out = new ArrayList<>();
    List<Integer> docs = new ArrayList<>();
    for (int i = 0; i < ranked.docs().length; i++) {
      int doc = ranked.docs()[i];
      ChunkRecord c = s.read(doc, set.schema());
      Optional<List<String>> by = permittedBy(set, principal, Action.READ, c);
      if (by.isEmpty()) {
        continue;
      }
      String key = Ranked.key(c.id(), c.chunk());
      keys.put(doc, key);
      if (!chunks.containsKey(key)) {
        chunks.put(key, new Ranked.Chunk(hit(c, 1.0, by.get()), s.vector(doc)));
      }
      out.add(new Ranked.Scored(key, ranked.scores()[i]));
      docs.add(doc);
    }
    retrievers.put(name, out);
    return docs.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * A training corpus, one page: the chunks within {@code tags} that {@code principal} may train on
   * (the compiled {@code train} filter inside the index query), of documents whose id sorts after
   * {@code afterId}, ordered by document id then chunk, each given to {@code sink} with the
   * policies that permit it. A page holds whole documents: at most {@code max} chunks, or all of
   * one document's if it alone has more. Each chunk is decided once more, as in search.
   *
   * @return how many chunks {@code sink} received, and the policy version that decided them
   */
  public CorpusPage corpus(
      Slot slot,
      Principal principal,
      Map<String, List<String>> tags,
      String afterId,
      int max,
      Cancellation cancellation,
      Consumer<SearchHit> sink) {
    PolicySet set = policies.current();
    Span.current().setAttribute(Telemetry.POLICY_VERSION, set.version());
    Filter filter =
        Filter.and(
            set.compile(principal, Action.TRAIN).filter(), Narrowing.filter(set.schema(), tags));
    return slot.index()
        .withSnapshot(
            cancellation,
            s -> {
              int[] docs = s.byDocumentId(filter, afterId, max);
              List<ChunkRecord> page = new ArrayList<>(docs.length);
              for (int doc : docs) {
                page.add(s.read(doc, set.schema()));
              }
              if (docs.length == max) { // the last document may go on past the page
                String last = page.getLast().id();
                if (page.getFirst().id().equals(last)) {
                  page = s.chunksOf(last, set.schema()); // one document: all of it
                } else {
                  page.removeIf(c -> c.id().equals(last)); // the next page starts with it
                }
              }
              int n = 0;
              for (ChunkRecord c : page) {
                Optional<List<String>> by = permittedBy(set, principal, Action.TRAIN, c);
                if (by.isPresent()) {
                  sink.accept(hit(c, 1.0, by.get()));
                  n++;
                }
              }
              return new CorpusPage(n, set.version());
            });
  }

  /**
   * The chunks of a document, if {@code principal} may read it; empty otherwise (absent or not).
   */
  public List<SearchHit> get(Slot slot, Principal principal, String id) {
    PolicySet set = policies.current();
    List<SearchHit> out = new ArrayList<>();
    for (ChunkRecord c : slot.index().chunksOf(id, set.schema())) {
      Optional<List<String>> by = permitting(set, principal, Action.READ, c);
      if (by.isEmpty()) {
        return List.of();
      }
      out.add(hit(c, 1.0, by.get()));
    }
    return out;
  }

  /**
   * Chunks the index filter admitted but {@code decide} denied (and so were not served). Always 0
   * unless the filter translation has a bug; exported as a metric and asserted by tests.
   */
  public long disagreements() {
    return disagreements.sum();
  }

  /**
   * The policies that permit {@code action} on a chunk the index returned within the compiled
   * filter of that action; empty (and counted) if none.
   */
  private Optional<List<String>> permittedBy(
      PolicySet set, Principal principal, Action action, ChunkRecord c) {
    Optional<List<String>> by = permitting(set, principal, action, c);
    if (by.isEmpty()) {
      disagreements.increment();
      telemetry.disagreement();
      LOG.error("index filter admitted chunk {} that decide() denies; not served", c.chunkId());
    }
    return by;
  }

  private static SearchHit hit(ChunkRecord c, double score, List<String> policies) {
    return new SearchHit(
        c.id(),
        c.version(),
        c.chunk(),
        c.title(),
        c.text(),
        c.source(),
        c.rawTags(),
        score,
        policies,
        c.tokens());
  }

  /**
   * The policies that permit {@code action} on a chunk to {@code principal}, or empty (denied, or
   * tags now invalid).
   */
  private static Optional<List<String>> permitting(
      PolicySet set, Principal principal, Action action, ChunkRecord c) {
    try {
      if (set.decide(principal, action, set.schema().validate(c.rawTags()))
          instanceof Decision.Permit p) {
        return Optional.of(p.policies());
      }
    } catch (InvalidTagsException e) {
      LOG.error(
          "chunk {} has tags the current schema refuses ({}); not served",
          c.chunkId(),
          e.getMessage());
    }
    return Optional.empty();
  }
}
