package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The chunk index in an Elasticsearch or OpenSearch cluster: one cluster document per chunk,
 * written through bulk requests, searched with the compiled policy filter inside BM25 and kNN. The
 * two products differ only where {@link ClusterDialect} says.
 *
 * <p>As the embedded index, it records in the index's mapping metadata ({@code _meta}) which model
 * wrote its vectors and how its chunks were cut, and refuses to open with others; the checkpoint of
 * a stream (Kafka offsets) is kept beside it ({@link ElasticCheckpoints}), written after the chunks
 * it covers. The index refreshes only when the engine says, so a search sees the old chunks of a
 * document or the new ones, never a mix. The cluster acknowledges a write once it is in its
 * translog, so a commit has nothing left to make durable: after a crash the index may hold changes
 * past its checkpoint, which a stream then applies again; versions make that harmless.
 *
 * <p>Writes are collected and sent as one bulk request when a refresh, a commit or a delete by
 * query needs them, or when {@value BulkWrites#BULK_DOCUMENTS} documents are waiting. Thread-safe:
 * writes are serialised.
 */
public final class ElasticIndex implements ChunkIndex {
  static final String MODEL_KEY = "anvil.embedding-model";
  static final String CHUNKING_KEY = "anvil.chunking";
  static final String CHECKPOINT_PREFIX = "anvil.checkpoint.";

  /** The engine index directory the index holds ({@code "."}, {@code models/ID}). */
  static final String DIR_KEY = "anvil.dir";

  /** The directory of the model of its vectors; absent for the model an engine opens with. */
  static final String MODEL_DIR_KEY = "anvil.model-dir";

  /** Most chunks read back in one request (the cluster's default result window). */
  static final int MAX_READ = 10_000;

  private final ElasticClient client;
  private final ClusterDialect dialect;
  private final String index;
  private final String modelId;
  private IndexMapping mapping; // set once, at open
  private final BulkWrites writes;
  private final ElasticCheckpoints checkpoints;

  private ElasticIndex(
      ElasticClient client,
      ElasticConfig config,
      ClusterDialect dialect,
      String index,
      String modelId) {
    this.client = client;
    this.dialect = dialect;
    this.index = index;
    this.modelId = modelId;
    this.writes = new BulkWrites(client, index);
    this.checkpoints = new ElasticCheckpoints(client, config, index);
  }

  /**
   * Opens (or creates) the index of the engine directory {@code dir} in an Elasticsearch cluster:
   * {@link #open(ElasticConfig, ClusterDialect, String, String, int, String, TagSchema)} with
   * {@link ClusterDialect#ELASTICSEARCH}.
   */
  public static ElasticIndex open(
      ElasticConfig config,
      String dir,
      String modelId,
      int dimension,
      String chunking,
      TagSchema schema) {
    return open(config, ClusterDialect.ELASTICSEARCH, dir, modelId, dimension, chunking, schema);
  }

  /**
   * {@link #open(ElasticConfig, ClusterDialect, String, String, String, int, String, TagSchema)}
   * for the model an engine opens with (no model directory).
   */
  public static ElasticIndex open(
      ElasticConfig config,
      ClusterDialect dialect,
      String dir,
      String modelId,
      int dimension,
      String chunking,
      TagSchema schema) {
    return open(config, dialect, dir, modelId, null, dimension, chunking, schema);
  }

  /**
   * Opens (or creates) the index of the engine directory {@code dir} in the cluster, for vectors of
   * {@code modelId} ({@code dimension} floats) and chunks cut with {@code chunking}; a new index
   * maps every tag of {@code schema} and records {@code dir} and {@code modelDir} (null: the model
   * an engine opens with) in its metadata, so that every replica following the cluster's serving
   * alias ({@link ElasticServing}) loads the same model for it.
   *
   * @throws ContextException if the index holds another model's vectors or other chunks, maps its
   *     vectors for the other product, or the cluster cannot be reached or refuses
   */
  public static ElasticIndex open(
      ElasticConfig config,
      ClusterDialect dialect,
      String dir,
      String modelId,
      String modelDir,
      int dimension,
      String chunking,
      TagSchema schema) {
    ElasticClient client = new ElasticClient(config);
    try {
      ElasticIndex idx = new ElasticIndex(client, config, dialect, config.indexName(dir), modelId);
      Map<String, String> fresh = new TreeMap<>();
      fresh.put(MODEL_KEY, modelId);
      fresh.put(CHUNKING_KEY, chunking);
      fresh.put(DIR_KEY, dir);
      if (modelDir != null) {
        fresh.put(MODEL_DIR_KEY, modelDir);
      }
      idx.mapping =
          IndexMapping.openOrCreate(
              client, dialect, idx.index, modelId, config, dimension, chunking, schema, fresh);
      return idx;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** Deletes the index of {@code dir} (what an abandoned re-embedding left); absent is fine. */
  public static void drop(ElasticConfig config, String dir) {
    try (ElasticClient client = new ElasticClient(config)) {
      String name = config.indexName(dir);
      ElasticClient.Response r = client.send("DELETE", "/" + name, null);
      if (!r.ok() && r.status() != 404) {
        throw ElasticClient.refused("DELETE", "/" + name, r);
      }
      new ElasticCheckpoints(client, config, name).drop();
    }
  }

  /**
   * Runs {@code f} over a snapshot of the index of {@code dir} as it is, creating and changing
   * nothing: for tools that only read it while an engine may write it ({@code anvil policy diff}).
   *
   * @throws ContextException if the cluster holds no such index (naming it), or one that is not an
   *     Anvil chunk index, or cannot be reached
   */
  public static <T> T readExisting(
      ElasticConfig config, ClusterDialect dialect, String dir, SnapshotFunction<T> f) {
    String name = config.indexName(dir);
    try (ElasticClient client = new ElasticClient(config)) {
      ElasticClient.Response mapping = client.send("GET", "/" + name + "/_mapping", null);
      if (mapping.status() == 404) {
        throw new ContextException(
            "no index "
                + name
                + " in the cluster at "
                + config.urls()
                + ": nothing was ingested with this --es-index-prefix and data directory");
      }
      if (!mapping.ok()) {
        throw ElasticClient.refused("GET", "/" + name + "/_mapping", mapping);
      }
      IndexMapping.requireChunkIndex(
          name, mapping.body().getAsJsonObject(name).getAsJsonObject("mappings"), "");
      return f.apply(new ElasticSnapshot(client, dialect, name, Cancellation.NONE));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + name + " failed", e);
    }
  }

  /** The index's name in the cluster. */
  public String name() {
    return index;
  }

  @Override
  public String modelId() {
    return modelId;
  }

  @Override
  public OptionalLong version(String id) {
    return firstChunk(id, null).map(c -> OptionalLong.of(c.version())).orElse(OptionalLong.empty());
  }

  @Override
  public synchronized void upsert(
      Document doc, DocTags tags, List<String> chunks, int[] tokens, float[][] vectors) {
    before(doc.id());
    BulkWrites.Chunks c = BulkWrites.chunks(doc, tags, chunks, tokens, vectors);
    mapping.mapTags(c.tags(), c.ranks());
    if (writes.upsert(doc.id(), c.sources())) {
      writes.flush();
    }
  }

  @Override
  public synchronized void delete(String id) {
    before(id);
    writes.delete(id);
  }

  /**
   * A document's earlier write in this batch must reach the index and the searcher first: the next
   * write reads which of its chunks are indexed.
   */
  private void before(String id) {
    if (writes.mustRefreshBefore(id)) {
      refresh();
    }
  }

  /**
   * Deletes the documents with a chunk {@code filter} admits, all of their chunks (every chunk of a
   * document carries its tags, so they are the chunks it admits), through bulk requests: a minimal
   * cluster has no delete-by-query (it lives in the reindex module), and a bulk names each chunk.
   */
  @Override
  public synchronized void deleteMatching(Filter filter) {
    refresh();
    for (String id : idsMatching(filter)) {
      delete(id);
    }
    refresh();
  }

  @Override
  public List<String> idsMatching(Filter filter) {
    return List.copyOf(new TreeSet<>(idCounts(filtered(filter)).keySet()));
  }

  /**
   * Makes the writes visible, then records {@code checkpoint}'s keys, each a document of its own
   * ({@link ElasticCheckpoints}): replicas sharing the index each commit the partitions they
   * consume, and none overwrites another's.
   */
  @Override
  public synchronized void commit(Map<String, String> checkpoint) {
    refresh();
    checkpoints.put(checkpoint);
  }

  /**
   * The checkpoint the cluster holds now (replicas sharing the index commit there too): what an
   * earlier version kept in the mapping's {@code _meta}, overridden by the keys committed since.
   */
  @Override
  public synchronized Map<String, String> checkpoint() {
    Map<String, String> out = new TreeMap<>();
    mapping
        .meta()
        .forEach(
            (k, v) -> {
              if (k.startsWith(CHECKPOINT_PREFIX)) {
                out.put(k.substring(CHECKPOINT_PREFIX.length()), v);
              }
            });
    out.putAll(checkpoints.get());
    return out;
  }

  @Override
  public void commit() {
    refresh();
  }

  @Override
  public synchronized void refresh() {
    writes.flush();
    client.call("POST", "/" + index + "/_refresh", null);
    writes.refreshed();
  }

  /** Document ids with their chunk counts among the chunks {@code query} matches, by id. */
  private Map<String, Long> idCounts(JsonObject query) {
    Map<String, Long> out = new LinkedHashMap<>();
    JsonObject after = null;
    while (true) {
      JsonObject composite =
          Json.parse("{\"size\":1000,\"sources\":[{\"id\":{\"terms\":{\"field\":\"id\"}}}]}");
      if (after != null) {
        composite.add("after", after);
      }
      JsonObject agg = new JsonObject();
      agg.add("composite", composite);
      JsonObject aggs = new JsonObject();
      aggs.add("ids", agg);
      JsonObject body = new JsonObject();
      body.addProperty("size", 0);
      body.add("query", query);
      body.add("aggs", aggs);
      JsonObject ids =
          client
              .call("POST", "/" + index + "/_search", body)
              .getAsJsonObject("aggregations")
              .getAsJsonObject("ids");
      JsonArray buckets = ids.getAsJsonArray("buckets");
      for (JsonElement b : buckets) {
        JsonObject bucket = b.getAsJsonObject();
        out.put(
            bucket.getAsJsonObject("key").get("id").getAsString(),
            bucket.get("doc_count").getAsLong());
      }
      if (buckets.isEmpty() || !ids.has("after_key")) {
        return out;
      }
      after = ids.getAsJsonObject("after_key");
    }
  }

  /** {@code filter} as a non-scoring query. */
  static JsonObject filtered(Filter filter) {
    JsonObject bool = new JsonObject();
    JsonArray f = new JsonArray();
    f.add(ElasticFilters.toQuery(filter));
    bool.add("filter", f);
    JsonObject q = new JsonObject();
    q.add("bool", bool);
    return q;
  }

  @Override
  public <T> T withSnapshot(Cancellation cancellation, SnapshotFunction<T> f) {
    try {
      return f.apply(new ElasticSnapshot(client, dialect, index, cancellation));
    } catch (IOException e) {
      throw new UncheckedIOException("search of " + index + " failed", e);
    }
  }

  @Override
  public List<ChunkRecord> chunksOf(String id, TagSchema schema) {
    return ElasticSnapshot.chunksOf(client, index, id, schema, MAX_READ);
  }

  @Override
  public Optional<ChunkRecord> firstChunk(String id, TagSchema schema) {
    return ElasticSnapshot.chunksOf(client, index, id, schema, 1).stream().findFirst();
  }

  @Override
  public Map<String, Long> documents() {
    return idCounts(Json.parse("{\"match_all\":{}}"));
  }

  @Override
  public Stats stats() {
    JsonObject p =
        client
            .call("GET", "/" + index + "/_stats/docs,store,segments", null)
            .getAsJsonObject("indices")
            .getAsJsonObject(index)
            .getAsJsonObject("primaries");
    return new Stats(
        p.getAsJsonObject("docs").get("count").getAsInt(),
        p.getAsJsonObject("segments").get("count").getAsInt(),
        p.getAsJsonObject("store").get("size_in_bytes").getAsLong());
  }

  @Override
  public int chunkCount() {
    return client.call("POST", "/" + index + "/_count", null).get("count").getAsInt();
  }

  /** Sends what is pending (as the embedded index commits on close), then closes the client. */
  @Override
  public synchronized void close() {
    try {
      writes.flush();
    } finally {
      client.close();
    }
  }

  /** Small JSON literals. */
  static final class Json {
    private Json() {}

    static JsonObject parse(String json) {
      return com.google.gson.JsonParser.parseString(json).getAsJsonObject();
    }
  }
}
