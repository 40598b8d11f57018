package dev.anvil.context;

import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ModelCard;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.index.IndexFields;
import dev.anvil.context.index.LuceneFilters;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.context.index.TagFacets;
import dev.anvil.context.internal.Chunker;
import dev.anvil.context.internal.Rrf;
import dev.anvil.context.internal.Telemetry;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import dev.anvil.rbac.schema.TagSchema;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.trace.Span;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.util.QueryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context engine: ingest tagged documents, search them as a principal with the policy filter
 * inside both retrievers, delete them.
 *
 * <p>Every request takes the policy set in force once and uses it throughout, so one answer never
 * mixes two policy versions. Thread-safe.
 */
public final class ContextEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ContextEngine.class);

  /** Most tokens repeated from the end of one chunk at the start of the next. */
  static final int CHUNK_OVERLAP_TOKENS = 24;

  /** Tokens of a chunk reserved for the title, which is embedded with every chunk. */
  static final int TITLE_TOKENS = 24;

  private final PolicyStore policies;
  private final Path root;
  private final Embedder base;
  private final Function<Path, Embedder> models;
  private final Chunker chunker;

  /** An index and the model of its vectors. */
  record Slot(String dir, String modelDir, LuceneIndex index, Embedder embedder) {}

  /** Searches use this one: each takes it once, so its query and index vectors always match. */
  private volatile Slot serving;

  /** Receives every write too: the previous model (for rollback), or a re-embedding under way. */
  private volatile Slot shadow;

  private volatile Reembedding reembedding;

  /** Held by every write, and by the model switch, so both slots see the same changes. */
  private final Object writeLock = new Object();

  private final LongAdder disagreements = new LongAdder();

  private final Telemetry telemetry;
  private final BatchCallback indexGauges;

  private ContextEngine(
      PolicyStore policies,
      Path root,
      Embedder base,
      Function<Path, Embedder> models,
      OpenTelemetry otel) {
    this.telemetry = new Telemetry(otel);
    this.policies = policies;
    this.root = root;
    this.base = base;
    this.models = models;
    this.chunker = chunker(base);
    ServingState state = ServingState.read(root);
    this.serving = state == null ? slot(".", null) : slot(state.index(), state.modelDir());
    this.shadow =
        state == null || state.previousIndex() == null
            ? null
            : slot(state.previousIndex(), state.previousModelDir());
    this.indexGauges = telemetry.observeIndex(() -> serving.index().stats());
  }

  private Slot slot(String dir, String modelDir) {
    Embedder e = modelDir == null ? base : models.apply(Path.of(modelDir));
    return new Slot(
        dir, modelDir, LuceneIndex.open(root.resolve(dir).normalize(), e.modelId(), chunking()), e);
  }

  /** Both slots (the serving one first), for writes. */
  private List<Slot> slots() {
    Slot s = shadow;
    return s == null ? List.of(serving) : List.of(serving, s);
  }

  /** Opens the engine over an index directory (created if absent). */
  public static ContextEngine open(Path indexDir, PolicyStore policies, Embedder embedder) {
    return open(indexDir, policies, embedder, GlobalOpenTelemetry.get());
  }

  /** Opens the engine reporting spans and metrics to {@code otel} (the API; mains wire the SDK). */
  public static ContextEngine open(
      Path indexDir, PolicyStore policies, Embedder embedder, OpenTelemetry otel) {
    return open(
        indexDir,
        policies,
        embedder,
        dir -> {
          throw new ContextException(
              indexDir + " serves the model in " + dir + ", but no model loader was given");
        },
        otel);
  }

  /**
   * Opens the engine; {@code models} loads the model directories it switched to (see {@link
   * #reembed}), {@code embedder} is the model of an index that never switched.
   */
  public static ContextEngine open(
      Path indexDir,
      PolicyStore policies,
      Embedder embedder,
      Function<Path, Embedder> models,
      OpenTelemetry otel) {
    return new ContextEngine(
        Objects.requireNonNull(policies, "policies"),
        indexDir,
        Objects.requireNonNull(embedder, "embedder"),
        Objects.requireNonNull(models, "models"),
        Objects.requireNonNull(otel, "otel"));
  }

  /**
   * How documents are cut into chunks (the chunker's settings and the title's share), as recorded
   * with the index: an index cut otherwise is refused at open.
   */
  public String chunking() {
    return chunker.settings() + " title=" + TITLE_TOKENS;
  }

  /** {@link #chunking()} of an engine that would open with {@code embedder}. */
  public static String chunking(Embedder embedder) {
    return chunker(embedder).settings() + " title=" + TITLE_TOKENS;
  }

  /** Chunks are cut by the opening model's tokenizer; a new model must share it (see reembed). */
  private static Chunker chunker(Embedder base) {
    int budget = Math.max(16, base.maxTokens() - 2 - TITLE_TOKENS); // 2: [CLS] and [SEP]
    return new Chunker(base::countTokens, budget, Math.min(CHUNK_OVERLAP_TOKENS, budget / 4));
  }

  /** The embedding model of the index and of queries. */
  public String modelId() {
    return serving.embedder().modelId();
  }

  /** The serving model's directory; empty for a model packaged with Anvil. */
  public Optional<Path> modelDir() {
    Slot s = serving;
    return s.modelDir() != null ? Optional.of(Path.of(s.modelDir())) : s.embedder().directory();
  }

  /** The model a rollback would return to, if one is kept. */
  public Optional<String> previousModelId() {
    Slot s = shadow;
    Reembedding r = reembedding;
    boolean rollbackTarget = s != null && (r == null || r.finished().isDone());
    return rollbackTarget ? Optional.of(s.embedder().modelId()) : Optional.empty();
  }

  /** The serving index (benchmarks compare against it directly). */
  public LuceneIndex index() {
    return serving.index();
  }

  /** The policies in force. */
  public PolicyStore policies() {
    return policies;
  }

  /**
   * Ingests documents as {@code principal}: validates each (fields, tags), checks the {@code
   * ingest} permission, chunks and embeds the accepted ones in one batch, and commits once. A bad
   * document never stops the others.
   */
  public List<IngestOutcome> ingest(Principal principal, List<Document> docs) {
    List<Change> changes = docs.stream().<Change>map(d -> new Change.Upsert(principal, d)).toList();
    return telemetry.span(
        "anvil.ingest",
        () -> {
          List<IngestOutcome> outcomes = applyTraced(changes);
          commit(Map.of());
          return outcomes;
        });
  }

  /**
   * Applies a stream's changes with the same outcomes as one by one, in order. They are visible to
   * searches at once and durable at the next {@link #commit}. Upserts need the {@code ingest}
   * permission on the new tags, deletes the {@code delete} permission on the indexed ones.
   */
  public List<IngestOutcome> apply(List<Change> changes) {
    return telemetry.span("anvil.ingest", () -> applyTraced(changes));
  }

  /**
   * Makes everything applied durable, together with {@code checkpoint} (e.g. the Kafka offsets the
   * applied changes reach), in one atomic commit: after a crash the index holds exactly the changes
   * up to the positions its {@link #checkpoint()} names.
   */
  public void commit(Map<String, String> checkpoint) {
    telemetry.span(
        "anvil.index.commit",
        () -> {
          synchronized (writeLock) {
            for (Slot slot : slots()) {
              slot.index().commit(checkpoint);
            }
          }
          return null;
        });
  }

  /** The checkpoint of the last commit (empty before the first {@link #commit} that set one). */
  public Map<String, String> checkpoint() {
    return serving.index().checkpoint();
  }

  /** Accepted upserts not yet written, embedded together. */
  private record Accepted(int slot, Document doc, DocTags tags) {}

  private List<IngestOutcome> applyTraced(List<Change> changes) {
    synchronized (writeLock) {
      return applyLocked(changes);
    }
  }

  private void refresh() {
    for (Slot slot : slots()) {
      slot.index().refresh();
    }
  }

  private List<IngestOutcome> applyLocked(List<Change> changes) {
    PolicySet set = policies.current();
    Span.current().setAttribute(Telemetry.DOCUMENTS, changes.size());
    Span.current().setAttribute(Telemetry.POLICY_VERSION, set.version());
    IngestOutcome[] outcomes = new IngestOutcome[changes.size()];
    List<Accepted> pending = new ArrayList<>();
    // Ids pending or written since the last refresh: a later change of one of them must see the
    // earlier one, so the pending ones are written and the searcher refreshed first.
    Set<String> unseen = new HashSet<>();
    boolean wrote = false;
    for (int i = 0; i < changes.size(); i++) {
      Change change = changes.get(i);
      if (unseen.contains(change.id())) {
        wrote |= write(pending, outcomes);
        pending.clear();
        refresh();
        unseen.clear();
      }
      switch (change) {
        case Change.Upsert u -> {
          outcomes[i] = admit(set, u.principal(), u.document(), i, pending);
          if (outcomes[i] == null) {
            unseen.add(u.id());
          }
        }
        case Change.Delete d -> {
          outcomes[i] = remove(set, d);
          wrote |= outcomes[i] instanceof IngestOutcome.Deleted;
          unseen.add(d.id());
        }
      }
    }
    wrote |= write(pending, outcomes);
    if (wrote) {
      refresh(); // the next change or request sees these
    }
    List<IngestOutcome> result = List.of(outcomes);
    for (Class<?> kind : IngestOutcome.class.getPermittedSubclasses()) {
      telemetry.ingested(
          kind.getSimpleName().toLowerCase(java.util.Locale.ROOT),
          result.stream().filter(kind::isInstance).count());
    }
    return result;
  }

  /** Chunks, embeds (in one batch) and writes accepted upserts; true if any were written. */
  private boolean write(List<Accepted> accepted, IngestOutcome[] outcomes) {
    if (accepted.isEmpty()) {
      return false;
    }
    List<List<String>> chunks = new ArrayList<>();
    List<int[]> tokens = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Accepted a : accepted) {
      List<String> c = chunker.chunk(a.doc().body());
      chunks.add(c);
      tokens.add(c.stream().mapToInt(base::countTokens).toArray());
      for (String chunk : c) {
        texts.add(embeddedText(a.doc().title(), chunk));
      }
      outcomes[a.slot()] = new IngestOutcome.Indexed(a.doc().id(), a.doc().version(), c.size());
    }
    Span.current().setAttribute(Telemetry.CHUNKS, texts.size());
    for (Slot slot : slots()) { // each index with vectors of its own model
      float[][] vectors = telemetry.span("anvil.embed", () -> slot.embedder().embed(texts));
      int v = 0;
      for (int i = 0; i < accepted.size(); i++) {
        int n = chunks.get(i).size();
        slot.index()
            .upsert(
                accepted.get(i).doc(),
                accepted.get(i).tags(),
                chunks.get(i),
                tokens.get(i),
                Arrays.copyOfRange(vectors, v, v + n));
        v += n;
      }
    }
    return true;
  }

  /** Returns a refusal, or null after adding the document to {@code pending}. */
  private IngestOutcome admit(
      PolicySet set, Principal principal, Document doc, int slot, List<Accepted> pending) {
    try {
      doc.check();
    } catch (InvalidDocumentException e) {
      return new IngestOutcome.Rejected(doc.id(), e.field(), e.getMessage());
    }
    DocTags valid;
    try {
      valid = set.schema().validate(doc.tags());
    } catch (InvalidTagsException e) {
      String field = "tags." + e.problems().getFirst().tag();
      return new IngestOutcome.Rejected(doc.id(), field, e.getMessage());
    }
    if (set.decide(principal, Action.INGEST, valid) instanceof Decision.Deny d) {
      return new IngestOutcome.Denied(doc.id(), d.policy());
    }
    OptionalLong indexed = serving.index().version(doc.id());
    if (indexed.isPresent() && indexed.getAsLong() >= doc.version()) {
      return new IngestOutcome.Ignored(doc.id(), doc.version(), indexed.getAsLong());
    }
    pending.add(new Accepted(slot, doc, valid));
    return null;
  }

  /** Deletes a document for a stream: absent is fine, a denied delete is refused. */
  private IngestOutcome remove(PolicySet set, Change.Delete d) {
    Optional<ChunkRecord> doc = firstChunk(set, d.id());
    if (doc.isEmpty()) {
      return new IngestOutcome.Deleted(d.id());
    }
    DocTags tags;
    try {
      tags = set.schema().validate(doc.get().rawTags());
    } catch (InvalidTagsException e) {
      return new IngestOutcome.Rejected(
          d.id(),
          "tags",
          "the indexed document's tags no longer fit the schema: " + e.getMessage());
    }
    if (set.decide(d.principal(), Action.DELETE, tags) instanceof Decision.Deny deny) {
      return new IngestOutcome.Denied(d.id(), deny.policy());
    }
    for (Slot slot : slots()) {
      slot.index().delete(d.id());
    }
    return new IngestOutcome.Deleted(d.id());
  }

  /** Searches as {@code principal}. */
  public SearchResponse search(Principal principal, SearchRequest request) {
    long start = System.nanoTime();
    Slot slot = serving; // one model for the query and the index, whatever switches meanwhile
    SearchResponse res =
        telemetry.span("anvil.search", () -> searchTraced(slot, principal, request));
    telemetry.searched(System.nanoTime() - start, request.mode().name());
    return res;
  }

  private SearchResponse searchTraced(Slot slot, Principal principal, SearchRequest request) {
    LuceneIndex index = slot.index();
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
    Filter filter = Filter.and(access, narrowing(set.schema(), request.narrowTo()));
    for (String facet : request.facets()) {
      if (set.schema().tag(facet).isEmpty()) {
        throw new InvalidRequestException("facets", "unknown tag '" + facet + "'");
      }
    }
    Query filterQuery = LuceneFilters.toQuery(filter);
    int candidates = Math.max(100, request.topK() * 4);
    Query text =
        new QueryBuilder(index.analyzer()).createBooleanQuery(IndexFields.TEXT, request.query());
    float[] vector =
        request.mode() == SearchRequest.Mode.BM25
            ? null
            : telemetry.span("anvil.embed", () -> embedder.embed(request.query()));
    return index.withSearcher(
        s -> {
          List<TopDocs> ranked = new ArrayList<>();
          // The BM25 pass also counts what the user may see: exactly up to 1,000 matches, a
          // lower bound above (as Lucene's block-max scoring allows), without a second pass.
          TotalHits visible = new TotalHits(0, TotalHits.Relation.EQUAL_TO);
          Map<String, Map<String, Long>> facets = Map.of();
          if (text != null) {
            Query bm25 =
                new BooleanQuery.Builder()
                    .add(text, Occur.MUST)
                    .add(filterQuery, Occur.FILTER)
                    .build();
            TopDocs top =
                telemetry.spanIo(
                    "anvil.search.bm25",
                    () ->
                        s.search(
                            bm25, request.mode() == SearchRequest.Mode.DENSE ? 1 : candidates));
            if (!request.facets().isEmpty()) {
              facets = s.search(bm25, new TagFacets(request.facets()));
            }
            visible = top.totalHits;
            if (request.mode() != SearchRequest.Mode.DENSE) {
              ranked.add(top);
            }
          }
          if (vector != null) {
            ranked.add(
                telemetry.spanIo(
                    "anvil.search.knn",
                    () ->
                        s.search(
                            new KnnFloatVectorQuery(
                                IndexFields.VECTOR, vector, candidates, filterQuery),
                            candidates)));
          }
          List<Rrf.Fused> fused = telemetry.span("anvil.search.fusion", () -> Rrf.fuse(ranked));
          List<SearchHit> hits =
              telemetry.spanIo(
                  "anvil.search.pack",
                  () -> pack(fused, s.storedFields(), set, principal, request));
          Span.current().setAttribute(Telemetry.HITS, hits.size());
          return new SearchResponse(
              hits,
              visible.value(),
              visible.relation() == TotalHits.Relation.EQUAL_TO,
              set.version(),
              embedder.modelId(),
              facets);
        });
  }

  /**
   * Best first: read the chunk, name the policies that permit it (a chunk decide() denies is
   * dropped and counted), and keep whole chunks within the token budget.
   */
  private List<SearchHit> pack(
      List<Rrf.Fused> fused,
      StoredFields stored,
      PolicySet set,
      Principal principal,
      SearchRequest request)
      throws java.io.IOException {
    List<SearchHit> hits = new ArrayList<>();
    int tokensLeft = request.tokenBudget() == 0 ? Integer.MAX_VALUE : request.tokenBudget();
    for (Rrf.Fused f : fused) {
      if (hits.size() == request.topK()) {
        break;
      }
      ChunkRecord c = LuceneIndex.read(stored, f.doc(), set.schema());
      Optional<List<String>> permittedBy = permittedBy(set, principal, c);
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
   * The policies that permit reading a chunk the index returned. The index filter already admitted
   * it; a chunk that {@code decide} does not permit means a bug, and is dropped, never served.
   */
  private Optional<List<String>> permittedBy(PolicySet set, Principal principal, ChunkRecord c) {
    Optional<List<String>> by = readers(set, principal, c);
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
   * The policies that let {@code principal} read a chunk, or empty (denied, or tags now invalid).
   */
  private static Optional<List<String>> readers(PolicySet set, Principal principal, ChunkRecord c) {
    try {
      if (set.decide(principal, Action.READ, set.schema().validate(c.rawTags()))
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

  private static Filter narrowing(TagSchema schema, Map<String, List<String>> narrowTo) {
    List<Filter> parts = new ArrayList<>();
    narrowTo.forEach(
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

  /** What a delete did. */
  public sealed interface DeleteOutcome {
    /** The document was deleted. */
    record Deleted(String policyVersion) implements DeleteOutcome {}

    /** No such document, or the caller may not even read it (existence is not revealed). */
    record NotFound(String policyVersion) implements DeleteOutcome {}

    /** The caller may read the document but not delete it. */
    record Denied(String policy, String policyVersion) implements DeleteOutcome {}
  }

  /** Deletes a document as {@code principal}, who needs the {@code delete} permission on it. */
  public DeleteOutcome delete(Principal principal, String id) {
    PolicySet set = policies.current();
    Optional<ChunkRecord> doc = firstChunk(set, id);
    if (doc.isEmpty()) {
      return new DeleteOutcome.NotFound(set.version());
    }
    DocTags tags = set.schema().validate(doc.get().rawTags());
    if (!set.decide(principal, Action.READ, tags).permitted()) {
      return new DeleteOutcome.NotFound(set.version());
    }
    if (set.decide(principal, Action.DELETE, tags) instanceof Decision.Deny d) {
      return new DeleteOutcome.Denied(d.policy(), set.version());
    }
    synchronized (writeLock) {
      for (Slot slot : slots()) {
        slot.index().delete(id);
        slot.index().commit();
      }
    }
    return new DeleteOutcome.Deleted(set.version());
  }

  /**
   * Deletes every document that matches a tag query and that {@code principal} may delete (the
   * compiled {@code delete} filter is part of the query); returns how many were deleted.
   */
  public long deleteWhere(Principal principal, Map<String, List<String>> tags) {
    if (tags.isEmpty()) {
      throw new InvalidRequestException(
          "filter", "expected at least one tag; an empty query would match everything");
    }
    PolicySet set = policies.current();
    Filter allowed =
        Filter.and(set.compile(principal, Action.DELETE).filter(), narrowing(set.schema(), tags));
    synchronized (writeLock) {
      long deleted = serving.index().deleteMatching(LuceneFilters.toQuery(allowed));
      serving.index().commit();
      Slot other = shadow;
      if (other != null) {
        other.index().deleteMatching(LuceneFilters.toQuery(allowed));
        other.index().commit();
      }
      return deleted;
    }
  }

  /**
   * The chunks of a document, if {@code principal} may read it; empty otherwise (absent or not).
   */
  public List<SearchHit> get(Principal principal, String id) {
    PolicySet set = policies.current();
    return serving
        .index()
        .withSearcher(
            s -> {
              List<SearchHit> out = new ArrayList<>();
              StoredFields stored = s.storedFields();
              for (var sd :
                  s.search(new TermQuery(new Term(IndexFields.ID, id)), 10_000).scoreDocs) {
                ChunkRecord c = LuceneIndex.read(stored, sd.doc, set.schema());
                Optional<List<String>> by = readers(set, principal, c);
                if (by.isEmpty()) {
                  return List.of();
                }
                out.add(hit(c, 1.0, by.get()));
              }
              out.sort(Comparator.comparingInt(SearchHit::chunk));
              return out;
            });
  }

  private Optional<ChunkRecord> firstChunk(PolicySet set, String id) {
    return serving
        .index()
        .withSearcher(
            s -> {
              var top = s.search(new TermQuery(new Term(IndexFields.ID, id)), 1);
              return top.scoreDocs.length == 0
                  ? Optional.empty()
                  : Optional.of(
                      LuceneIndex.read(s.storedFields(), top.scoreDocs[0].doc, set.schema()));
            });
  }

  /**
   * Starts re-embedding the index with the model in {@code modelDir}, in the background, into an
   * index of its own; searches keep using the serving model and its vectors until the new index is
   * complete, then switch at once (and {@code serving.json} records it). Writes made meanwhile go
   * to both indexes. The model that served before is kept, and still written to, for {@link
   * #rollback}. A process killed before the switch restarts on the serving model.
   *
   * @param chunksPerSecond at most this many chunks embedded per second (0: no limit), so the
   *     re-embedding leaves CPU for queries
   * @throws ContextException if a re-embedding is under way, or the model cannot reuse the chunks
   *     (another tokenizer or token limit)
   */
  public Reembedding reembed(Path modelDir, double chunksPerSecond) {
    synchronized (writeLock) {
      if (reembedding != null && !reembedding.finished().isDone()) {
        throw new ContextException("a re-embedding to " + reembedding.modelId() + " is under way");
      }
      Embedder next = models.apply(modelDir);
      String probe = "Anvil re-embeds every chunk with the new model: één, 2027, naïve.";
      if (next.maxTokens() != base.maxTokens()
          || next.countTokens(probe) != base.countTokens(probe)) {
        next.close();
        throw new ContextException(
            modelDir
                + ": re-embedding keeps the index's chunks, so the model must use the same"
                + " tokenizer and token limit as "
                + base.modelId()
                + "; re-ingest the documents to change them");
      }
      if (next.modelId().equals(serving.embedder().modelId())) {
        next.close();
        throw new ContextException(next.modelId() + " is the model in service already");
      }
      Slot previous = shadow;
      if (previous != null) { // the rollback target gives way to the new model
        shadow = null;
        previous.index().close();
        if (previous.embedder() != base) {
          previous.embedder().close();
        }
      }
      String dir = "models/" + next.modelId().replaceAll("[^A-Za-z0-9._-]", "_");
      deleteRecursively(root.resolve(dir)); // what a killed re-embedding left
      Slot target =
          new Slot(
              dir,
              modelDir.toAbsolutePath().toString(),
              LuceneIndex.open(root.resolve(dir), next.modelId(), chunking()),
              next);
      shadow = target;
      reembedding = new Reembedding(this, serving, target, chunksPerSecond);
      return reembedding;
    }
  }

  /**
   * {@link #reembed} as {@code principal}, who must be allowed to {@code promote} the model: a
   * policy decides on the lineage in its card (a model without a card needs {@code admin}).
   *
   * @throws ModelDeniedException naming the deciding policy
   */
  public Reembedding reembed(Principal principal, Path modelDir, double chunksPerSecond) {
    authorizeModel(principal, Optional.of(modelDir), "switch to");
    return reembed(modelDir, chunksPerSecond);
  }

  /**
   * {@link #rollback} as {@code principal}, who must be allowed to {@code promote} the model taken
   * out of service (whoever may put a model in service may take it out again).
   */
  public String rollback(Principal principal) {
    authorizeModel(principal, modelDir(), "roll back");
    return rollback();
  }

  private void authorizeModel(Principal principal, Optional<Path> dir, String what) {
    PolicySet set = policies.current();
    Optional<Map<String, Object>> lineage = dir.flatMap(ModelCard::lineage);
    Decision d;
    if (lineage.isPresent()) {
      try {
        d = set.decide(principal, Action.PROMOTE, set.schema().validate(lineage.get()));
      } catch (InvalidTagsException e) {
        throw new ModelDeniedException(
            dir.get()
                + ": the lineage in its model card does not fit the schema: "
                + e.getMessage());
      }
    } else {
      d = set.decide(principal, Action.ADMIN);
    }
    if (d instanceof Decision.Deny deny) {
      throw new ModelDeniedException(
          principal.subject()
              + " may not "
              + what
              + " "
              + dir.map(Path::toString).orElse(modelId())
              + (lineage.isPresent()
                  ? " (lineage " + lineage.get() + ")"
                  : " (no model card: admin only)")
              + ": denied by "
              + deny.policy());
    }
  }

  /** The re-embedding started last, if any. */
  public Optional<Reembedding> reembedding() {
    return Optional.ofNullable(reembedding);
  }

  /** Copies one document into {@code target} with new vectors, unless it changed meanwhile. */
  boolean copy(Slot source, Slot target, List<ChunkRecord> chunks, float[][] vectors) {
    ChunkRecord first = chunks.getFirst();
    DocTags tags;
    try {
      tags = policies.current().schema().validate(first.rawTags());
    } catch (InvalidTagsException e) {
      return false; // tags the schema no longer accepts: not served either way
    }
    synchronized (writeLock) {
      if (shadow != target) {
        return false; // cancelled
      }
      source.index().refresh();
      OptionalLong now = source.index().version(first.id());
      if (now.isEmpty() || now.getAsLong() != first.version()) {
        return false; // deleted or replaced since: the dual write already gave target its state
      }
      Document doc =
          new Document(
              first.id(), first.version(), first.title(), "", first.source(), first.rawTags());
      target
          .index()
          .upsert(
              doc,
              tags,
              chunks.stream().map(ChunkRecord::text).toList(),
              chunks.stream().mapToInt(ChunkRecord::tokens).toArray(),
              vectors);
      return true;
    }
  }

  /** The text embedded for a chunk: its title, then the chunk (as ingest embeds it). */
  static String embeddedText(String title, String chunk) {
    return title.isBlank() ? chunk : title + ". " + chunk;
  }

  /** Makes a complete re-embedding the serving index, and the serving one the previous. */
  void switchTo(Slot source, Slot target) {
    synchronized (writeLock) {
      if (shadow != target || serving != source) {
        throw new ContextException("the re-embedding was cancelled");
      }
      target.index().refresh();
      target.index().commit(source.index().checkpoint());
      new ServingState(target.dir(), target.modelDir(), source.dir(), source.modelDir())
          .write(root);
      serving = target;
      shadow = source;
      LOG.info("serving {} (was {})", target.embedder().modelId(), source.embedder().modelId());
    }
  }

  /** Drops an unfinished re-embedding: its index is deleted, the serving model stays. */
  void abandon(Slot target) {
    synchronized (writeLock) {
      if (shadow == target) {
        shadow = null;
        target.index().close();
        target.embedder().close();
        deleteRecursively(root.resolve(target.dir()));
      }
    }
  }

  /**
   * Switches back to the previous model, at once: its index received every write meanwhile, so
   * nothing is re-embedded. Returns the model now serving.
   *
   * @throws ContextException if there is no previous model, or a re-embedding is under way
   */
  public String rollback() {
    synchronized (writeLock) {
      Slot previous = shadow;
      if (reembedding != null && !reembedding.finished().isDone()) {
        throw new ContextException("a re-embedding is under way; cancel it first");
      }
      if (previous == null) {
        throw new ContextException("no previous model to roll back to");
      }
      Slot current = serving;
      previous.index().commit(current.index().checkpoint());
      new ServingState(previous.dir(), previous.modelDir(), current.dir(), current.modelDir())
          .write(root);
      serving = previous;
      shadow = current;
      LOG.info("rolled back to {}", previous.embedder().modelId());
      return previous.embedder().modelId();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /**
   * Chunks the index filter admitted but {@code decide} denied (and so were not served). Always 0
   * unless the filter translation has a bug; exported as a metric and asserted by tests.
   */
  public long filterDisagreements() {
    return disagreements.sum();
  }

  /** Live chunks in the index. */
  public int chunkCount() {
    return serving.index().chunkCount();
  }

  @Override
  public void close() {
    Reembedding running = reembedding;
    if (running != null) {
      running.cancel();
    }
    indexGauges.close();
    synchronized (writeLock) {
      for (Slot slot : slots()) {
        slot.index().close();
        if (slot.embedder() != base) {
          slot.embedder().close();
        }
      }
    }
  }
}
