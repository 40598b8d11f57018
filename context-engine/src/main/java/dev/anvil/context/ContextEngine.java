package dev.anvil.context;

import dev.anvil.context.admin.PolicyReview;
import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.Change;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.CorpusPage;
import dev.anvil.context.api.DeleteOutcome;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.Ranked;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.ingest.IngestPipeline;
import dev.anvil.context.search.Fusion;
import dev.anvil.context.search.HybridSearcher;
import dev.anvil.context.serving.ModelGovernance;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.context.serving.SearchesFirst;
import dev.anvil.context.serving.ServingIndexes;
import dev.anvil.context.serving.Slot;
import dev.anvil.context.telemetry.Telemetry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.BatchCallback;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The context engine: ingest tagged documents, search them as a principal with the policy filter
 * inside both retrievers, delete them, and switch the embedding model without serving mixed
 * vectors.
 *
 * <p>A facade over four parts, each readable on its own: {@link ServingIndexes} (what is served,
 * commits, switches and rollbacks), {@link IngestPipeline} (every write), {@link HybridSearcher}
 * (every read) and {@link ModelGovernance} (who may change the model).
 *
 * <p>Every request takes the policy set in force once and uses it throughout, so one answer never
 * mixes two policy versions. Thread-safe.
 */
public final class ContextEngine implements AutoCloseable {
  /**
   * The longest an ingest batch waits for running searches before embedding its next few chunks
   * ({@link SearchesFirst}): searches go first, and ingest still progresses under sustained search
   * load (TlsLoadBenchmark: about 5 chunks/s beside 125 searches/s on 2 cores).
   */
  static final long INGEST_MAX_WAIT_MILLIS = 100;

  /** Most chunks one {@link #trainingCorpus} page returns (unless one document has more). */
  public static final int MAX_CORPUS_CHUNKS = 10_000;

  private final PolicyStore policies;
  private final Telemetry telemetry;
  private final ServingIndexes indexes;
  private final IngestPipeline ingest;
  private final HybridSearcher searcher;
  private final ModelGovernance governance;
  private final PolicyReview review;
  private final ModelRegistry registry;
  private final BatchCallback indexGauges;
  private final String chunking;

  private ContextEngine(
      PolicyStore policies,
      Path root,
      IndexBackend backend,
      Embedder base,
      Function<Path, Embedder> models,
      ModelRegistry registry,
      OpenTelemetry otel) {
    this.policies = policies;
    this.telemetry = new Telemetry(otel);
    this.chunking = chunking(base);
    this.indexes = new ServingIndexes(root, backend, policies, base, models, chunking);
    if (backend instanceof IndexBackend.Cluster c) {
      indexes.followEvery(c.followEvery()); // other replicas may switch the shared index
    }
    SearchesFirst first = new SearchesFirst(INGEST_MAX_WAIT_MILLIS);
    this.ingest = new IngestPipeline(policies, indexes, base, first, telemetry);
    this.searcher = new HybridSearcher(policies, first, telemetry);
    this.registry = registry;
    this.governance = new ModelGovernance(policies, indexes, registry);
    this.review = new PolicyReview(policies, () -> indexes.serving().index());
    this.indexGauges = telemetry.observeIndex(() -> indexes.serving().index().stats());
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
   *
   * @throws ContextException if the index holds another model's vectors or chunks cut otherwise
   */
  public static ContextEngine open(
      Path indexDir,
      PolicyStore policies,
      Embedder embedder,
      Function<Path, Embedder> models,
      OpenTelemetry otel) {
    return open(indexDir, policies, embedder, models, ModelRegistry.none(), otel);
  }

  /**
   * Opens the engine with the trainer's model {@code registry}, whose models {@link #switchTo}
   * names by id.
   */
  public static ContextEngine open(
      Path indexDir,
      PolicyStore policies,
      Embedder embedder,
      Function<Path, Embedder> models,
      ModelRegistry registry,
      OpenTelemetry otel) {
    return open(indexDir, IndexBackend.embedded(), policies, embedder, models, registry, otel);
  }

  /**
   * Opens the engine with its chunks in {@code backend}: the embedded index in {@code dataDir}, or
   * an Elasticsearch or OpenSearch cluster (then {@code dataDir} keeps only which index serves,
   * {@code serving.json}). Searches, writes and counts behave the same on all.
   *
   * @throws ContextException if the index holds another model's vectors or chunks cut otherwise, or
   *     the backend cannot be reached
   */
  public static ContextEngine open(
      Path dataDir,
      IndexBackend backend,
      PolicyStore policies,
      Embedder embedder,
      Function<Path, Embedder> models,
      ModelRegistry registry,
      OpenTelemetry otel) {
    return new ContextEngine(
        Objects.requireNonNull(policies, "policies"),
        dataDir,
        Objects.requireNonNull(backend, "backend"),
        Objects.requireNonNull(embedder, "embedder"),
        Objects.requireNonNull(models, "models"),
        Objects.requireNonNull(registry, "registry"),
        Objects.requireNonNull(otel, "otel"));
  }

  /**
   * How documents are cut into chunks, as recorded with the index: an index cut otherwise is
   * refused at open.
   */
  public String chunking() {
    return chunking;
  }

  /** {@link #chunking()} of an engine that would open with {@code embedder}. */
  public static String chunking(Embedder embedder) {
    return IngestPipeline.chunking(embedder);
  }

  /** The embedding model of the index and of queries. */
  public String modelId() {
    return indexes.serving().embedder().modelId();
  }

  /** The serving model's directory; empty for a model packaged with Anvil. */
  public Optional<Path> modelDir() {
    return indexes.modelDir();
  }

  /** The serving model's id in the registry; empty for a model outside it (the packaged one). */
  public Optional<String> registryId() {
    return indexes.modelDir().flatMap(registry::idOf);
  }

  /** SHA-256 of the serving model's file, as a gate verdict names it. */
  public Optional<String> modelDigest() {
    return indexes.serving().embedder().digest();
  }

  /**
   * Serves what the cluster's serving alias names now, if another replica switched, rolled back or
   * started a re-embedding (the engine also does so on its own every {@link
   * IndexBackend.Cluster#followEvery}). Nothing to do with the embedded index.
   *
   * @return whether what this engine serves or writes to changed
   * @throws ContextException if the alias names an index that cannot be served; the engine keeps
   *     serving what it served
   */
  public boolean followServing() {
    return indexes.follow();
  }

  /**
   * Whether other engine replicas share this engine's index (a cluster index): then each Kafka
   * record must be indexed by one of them only.
   */
  public boolean sharedIndex() {
    return indexes.shared();
  }

  /** The model a rollback would return to, if one is kept. */
  public Optional<String> previousModelId() {
    return indexes.previousModelId();
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
    return ingest(principal, docs, WriteAudit.NONE);
  }

  /**
   * {@link #ingest(Principal, List)}, each write recorded with {@code audit} before it is made and
   * each refusal after (see {@link WriteAudit}).
   */
  public List<IngestOutcome> ingest(Principal principal, List<Document> docs, WriteAudit audit) {
    List<Change> changes = docs.stream().<Change>map(d -> new Change.Upsert(principal, d)).toList();
    return telemetry.span(
        "anvil.ingest",
        () -> {
          List<IngestOutcome> outcomes = ingest.apply(changes, audit);
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
    return apply(changes, WriteAudit.NONE);
  }

  /** {@link #apply(List)}, recorded with {@code audit} (see {@link WriteAudit}). */
  public List<IngestOutcome> apply(List<Change> changes, WriteAudit audit) {
    return telemetry.span("anvil.ingest", () -> ingest.apply(changes, audit));
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
          indexes.commit(checkpoint);
          return null;
        });
  }

  /** The checkpoint of the last commit (empty before the first {@link #commit} that set one). */
  public Map<String, String> checkpoint() {
    return indexes.checkpoint();
  }

  /**
   * Fuses hybrid searches' rankings with {@code fusion} from the next search on (a deployment
   * setting: {@code --fusion-k}, chosen with {@code anvil eval fusion}).
   */
  public void fuseWith(Fusion fusion) {
    searcher.fuseWith(fusion);
  }

  /** How hybrid searches fuse their retrievers' rankings. */
  public Fusion fusion() {
    return searcher.fusion();
  }

  /** Searches as {@code principal}. */
  public SearchResponse search(Principal principal, SearchRequest request) {
    return search(principal, request, Cancellation.NONE);
  }

  /**
   * Searches as {@code principal} until {@code cancellation} fires.
   *
   * @throws SearchCancelledException once it fired; nothing partial is returned
   */
  public SearchResponse search(
      Principal principal, SearchRequest request, Cancellation cancellation) {
    long start = System.nanoTime();
    Slot slot = indexes.serving(); // one model for the query and the index, whatever switches
    SearchResponse res =
        telemetry.span(
            "anvil.search", () -> searcher.search(slot, principal, request, cancellation));
    telemetry.searched(System.nanoTime() - start, request.mode().name());
    return res;
  }

  /**
   * A training corpus, one page: the chunks matching {@code tags} that {@code principal} may train
   * on (the compiled {@code train} filter is part of the index query), of documents whose id sorts
   * after {@code afterId} ("" for the first page), ordered by document id then chunk; each is given
   * to {@code sink}. A page holds whole documents: at most {@code max} chunks, or all of one
   * document's if it alone has more; the next page starts after its last document. Stops with
   * {@link SearchCancelledException} once {@code cancellation} fires.
   *
   * @return how many chunks {@code sink} received, and the policy version that decided them
   * @throws InvalidRequestException for an unknown tag or {@code max} outside 1 to {@link
   *     #MAX_CORPUS_CHUNKS}
   */
  public CorpusPage trainingCorpus(
      Principal principal,
      Map<String, List<String>> tags,
      String afterId,
      int max,
      Cancellation cancellation,
      Consumer<SearchHit> sink) {
    if (max < 1 || max > MAX_CORPUS_CHUNKS) {
      throw new InvalidRequestException(
          "max_chunks", "expected 1 to " + MAX_CORPUS_CHUNKS + ", was " + max);
    }
    return telemetry.span(
        "anvil.corpus",
        () ->
            searcher.corpus(indexes.serving(), principal, tags, afterId, max, cancellation, sink));
  }

  /**
   * Each retriever's own ranking of {@code query} (first {@code depth} chunks, raw scores), within
   * what {@code principal} may read: what judgments value results by.
   */
  public Ranked rankings(Principal principal, String query, int depth) {
    if (depth < 1 || depth > SearchRequest.MAX_TOP_K) {
      throw new InvalidRequestException(
          "depth", "expected 1 to " + SearchRequest.MAX_TOP_K + ", was " + depth);
    }
    return telemetry.span(
        "anvil.rankings", () -> searcher.rankings(indexes.serving(), principal, query, depth));
  }

  /** Deletes a document as {@code principal}, who needs the {@code delete} permission on it. */
  public DeleteOutcome delete(Principal principal, String id) {
    return delete(principal, id, WriteAudit.NONE);
  }

  /** {@link #delete(Principal, String)}, recorded with {@code audit} (see {@link WriteAudit}). */
  public DeleteOutcome delete(Principal principal, String id, WriteAudit audit) {
    return ingest.delete(principal, id, audit);
  }

  /**
   * Deletes every document that matches a tag query and that {@code principal} may delete (the
   * compiled {@code delete} filter is part of the query), recorded with {@code audit} before;
   * returns how many were deleted.
   */
  public long deleteWhere(Principal principal, Map<String, List<String>> tags, WriteAudit audit) {
    return ingest.deleteWhere(principal, tags, audit);
  }

  /**
   * The chunks of a document, if {@code principal} may read it; empty otherwise (absent or not).
   */
  public List<SearchHit> get(Principal principal, String id) {
    return searcher.get(indexes.serving(), principal, id);
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
    return indexes.reembed(modelDir, chunksPerSecond);
  }

  /**
   * Starts switching to model {@code id} of the registry as {@code principal}: see {@link
   * ModelGovernance#switchTo} for who may, and the gate verdict it needs.
   */
  public ModelGovernance.Switch switchTo(
      Principal principal,
      String id,
      double chunksPerSecond,
      boolean overrideGate,
      WriteAudit audit) {
    return governance.switchTo(principal, id, chunksPerSecond, overrideGate, audit);
  }

  /**
   * Switches back to the previous model, at once: its index received every write meanwhile, so
   * nothing is re-embedded. Returns the model now serving.
   *
   * @throws ContextException if there is no previous model, or a re-embedding is under way
   */
  public String rollback() {
    return indexes.rollback();
  }

  /**
   * Stops keeping the previous model for a rollback: writes are embedded once again, and its index
   * is deleted. Returns the model that was kept.
   *
   * @throws ContextException if no previous model is kept, or a re-embedding is under way
   */
  public String dropRollback() {
    return indexes.dropRollback();
  }

  /**
   * Keeps the previous model for a rollback for {@code window} after each switch or rollback, then
   * drops it ({@link #dropRollback}): while it is kept, every write is embedded twice.
   */
  public void keepRollbackFor(Duration window) {
    // Checked ten times a window, at least every minute and at most every 100 ms.
    indexes.keepRollbackFor(
        window, Duration.ofMillis(Math.clamp(window.toMillis() / 10, 100, 60_000)));
  }

  /**
   * Merges the serving index into one segment once no write came for {@code quiet} after a bulk
   * load (see {@link dev.anvil.context.index.ChunkIndex#mergeWhenQuiet}): filtered searches cost
   * least on one segment.
   */
  public void mergeWhenQuiet(Duration quiet) {
    // Checked four times a quiet period, at least every minute and at most every 100 ms (as
    // durations: a pause of centuries has no millisecond count in a long).
    Duration every = quiet.dividedBy(4);
    if (every.compareTo(Duration.ofMillis(100)) < 0) {
      every = Duration.ofMillis(100);
    } else if (every.compareTo(Duration.ofMinutes(1)) > 0) {
      every = Duration.ofMinutes(1);
    }
    indexes.mergeWhenQuiet(quiet, every);
  }

  /**
   * Merges the serving index into one segment now, if a bulk load left it spread over several;
   * returns whether it merged.
   */
  public boolean mergeSegments() {
    return indexes.mergeServing(Duration.ZERO);
  }

  /**
   * {@link #rollback} as {@code principal}, who must be allowed to {@code promote} the model taken
   * out of service (whoever may put a model in service may take it out again).
   */
  public String rollback(Principal principal, WriteAudit audit) {
    return governance.rollback(principal, audit);
  }

  /**
   * {@link #dropRollback()} as {@code principal}, who must be allowed to {@code promote} the model
   * kept for the rollback.
   */
  public String dropRollback(Principal principal, WriteAudit audit) {
    return governance.dropRollback(principal, audit);
  }

  /** Policy changes reviewed against this engine's index, by admins (see {@link PolicyReview}). */
  public PolicyReview policyReview() {
    return review;
  }

  /**
   * A document's tags as stored, whoever may read it, for explaining a decision on it to an
   * administrator or auditor (the admin console): the caller must be allowed {@code admin} or
   * {@code audit} by the policies in force.
   *
   * @return the raw tags, or empty if no such document is indexed
   * @throws dev.anvil.context.api.AdminDeniedException if the caller may do neither
   */
  public Optional<Map<String, Object>> tagsForExplanation(Principal caller, String id) {
    dev.anvil.rbac.PolicySet set = policies.current();
    if (!set.decide(caller, dev.anvil.rbac.Action.ADMIN).permitted()
        && !set.decide(caller, dev.anvil.rbac.Action.AUDIT).permitted()) {
      throw new dev.anvil.context.api.AdminDeniedException(
          caller.subject() + " may not read documents' tags to explain decisions (admin or audit)");
    }
    return indexes.serving().index().firstChunk(id, set.schema()).map(c -> c.rawTags());
  }

  /** The re-embedding started last, if any. */
  public Optional<Reembedding> reembedding() {
    return indexes.reembedding();
  }

  /**
   * Chunks the index filter admitted but {@code decide} denied (and so were not served). Always 0
   * unless the filter translation has a bug; exported as a metric and asserted by tests.
   */
  public long filterDisagreements() {
    return searcher.disagreements();
  }

  /** Live chunks in the index. */
  public int chunkCount() {
    return indexes.serving().index().chunkCount();
  }

  @Override
  public void close() {
    indexGauges.close();
    indexes.close();
  }
}
