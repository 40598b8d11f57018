package dev.anvil.context.index;

import dev.anvil.context.api.Cancellation;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The search-backend seam: where the engine's chunks live, whatever holds them. Every write, every
 * search and every count of the engine goes through it; the policy filter is handed over as rbac's
 * filter AST and each backend compiles it into its own query, applied inside both retrievers.
 *
 * <p>Two implementations: {@link LuceneIndex}, the embedded default, and {@code ElasticIndex}, an
 * index in an existing Elasticsearch or OpenSearch cluster; {@code
 * dev.anvil.context.backend.IndexBackend} says which one an engine opens.
 *
 * <p>An index remembers which embedding model wrote its vectors and how its chunks were cut, and
 * refuses to open with others. Writes are serialised by the caller; searches run on snapshots that
 * see what was last {@link #refresh() refreshed}. Implementations are thread-safe.
 */
public interface ChunkIndex extends AutoCloseable {
  /** The embedding model of the vectors. */
  String modelId();

  /** The indexed version of a document, if any. */
  OptionalLong version(String id);

  /**
   * Replaces all chunks of a document; a search sees the old or the new chunks, never a mix.
   *
   * @param chunks chunk texts, in order
   * @param tokens tokens of each chunk
   * @param vectors one vector per chunk
   */
  void upsert(
      dev.anvil.context.api.Document doc,
      DocTags tags,
      List<String> chunks,
      int[] tokens,
      float[][] vectors);

  /** Deletes a document's chunks (nothing happens if it is not indexed). */
  void delete(String id);

  /** Deletes every chunk {@code filter} admits. */
  void deleteMatching(Filter filter);

  /** The ids of the documents with a chunk matching {@code filter}, sorted. */
  List<String> idsMatching(Filter filter);

  /**
   * Makes everything written so far durable and visible, together with {@code checkpoint}: entries
   * that replace those of the same key in {@link #checkpoint()}.
   */
  void commit(Map<String, String> checkpoint);

  /** The checkpoint entries the index holds (those of its last commit once committed). */
  Map<String, String> checkpoint();

  /** Makes everything written so far durable and visible. */
  void commit();

  /** Makes writes visible to searches without the cost of a durable commit. */
  void refresh();

  /**
   * Merges the index's segments into one once no write came for {@code quiet}, if a bulk load left
   * them spread: a filtered search does its work (the filter's bits, the graph search, the exact
   * scan) once per segment, so one segment is the cheapest to search. Writes and searches go on
   * while it merges. The embedded index does it; a cluster merges its shards by its own policy, so
   * this does nothing there.
   *
   * @return whether it merged
   */
  default boolean mergeWhenQuiet(Duration quiet) {
    return false;
  }

  /** Work with a snapshot; may fail with an I/O error. */
  interface SnapshotFunction<T> {
    T apply(IndexSnapshot snapshot) throws IOException;
  }

  /** Runs {@code f} on a snapshot of what was last refreshed or committed. */
  default <T> T withSnapshot(SnapshotFunction<T> f) {
    return withSnapshot(Cancellation.NONE, f);
  }

  /** Runs {@code f} on a snapshot whose searches stop once {@code cancellation} fires. */
  <T> T withSnapshot(Cancellation cancellation, SnapshotFunction<T> f);

  /** Every chunk of a document, in order; empty if it is not indexed. */
  List<ChunkRecord> chunksOf(String id, TagSchema schema);

  /** The first chunk of a document, if it is indexed. */
  Optional<ChunkRecord> firstChunk(String id, TagSchema schema);

  /** Every document id with its number of chunks. */
  Map<String, Long> documents();

  /**
   * Live chunks, segments and bytes on disk, as of the last refresh.
   *
   * @param chunks live chunks
   * @param segments segments (every shard's)
   * @param bytes bytes on disk (primary copies only)
   */
  record Stats(int chunks, int segments, long bytes) {}

  /** The index's size now (for metrics). */
  Stats stats();

  /** The number of live chunks, as of the last refresh. */
  int chunkCount();

  /** Releases the index (and its connections); the data stays. */
  @Override
  void close();
}
