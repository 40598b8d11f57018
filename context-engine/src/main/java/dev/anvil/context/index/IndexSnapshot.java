package dev.anvil.context.index;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.rbac.diff.DiffIndex;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One request's view of a {@link ChunkIndex}: BM25 and kNN retrieval with the access filter inside
 * each (never after), facets, and reading chunks back. Chunks are named by numbers that only this
 * snapshot knows (the same chunk has the same number in every ranking of one snapshot, which is
 * what fusion relies on), valid until the {@code withSnapshot} call that made it returns.
 *
 * <p>Every search of a snapshot stops once the caller's {@link Cancellation} fires, and then throws
 * {@link SearchCancelledException} instead of returning what it found so far. Not thread-safe.
 */
public interface IndexSnapshot {
  /** How far BM25 counts its matches exactly (Lucene's default threshold, said here). */
  int COUNTED_EXACTLY_UP_TO = 1_000;

  /**
   * Chunks ranked best first, and how many chunks the query and filter match: exactly up to 1,000,
   * and 1,000 (with {@code exact} false) above. Past the threshold the count depends on how the
   * scorers walked the index, so it is not reported: the same search answers the same.
   *
   * @param docs the snapshot's chunk numbers, best first
   * @param scores their raw scores (BM25, or the vector similarity), in the same order
   * @param visible matches of the query within the filter
   * @param exact whether {@code visible} is exact
   */
  record Ranked(int[] docs, float[] scores, long visible, boolean exact) {}

  /**
   * BM25 over the chunk text (title and body) within {@code filter}; empty if the text has no
   * searchable terms (e.g. only stop words).
   */
  Optional<Ranked> bm25(String text, Filter filter, int n) throws IOException;

  /** The distinct documents per value of each tag among the BM25 matches within {@code filter}. */
  Map<String, Map<String, Long>> facets(String text, Filter filter, List<String> tags)
      throws IOException;

  /**
   * How many chunks {@code filter} admits, counted as {@link Ranked#visible} is (exactly up to
   * 1,000): what a dense search may rank, every visible chunk being a candidate. An empty ranking.
   */
  Ranked admitted(Filter filter) throws IOException;

  /** The {@code k} nearest chunks to {@code vector} within {@code filter} (filtered inside ANN). */
  Ranked knn(float[] vector, Filter filter, int k) throws IOException;

  /**
   * Chunks within {@code filter} of documents whose id sorts after {@code afterId} (all if empty),
   * ordered by document id then chunk, at most {@code max}.
   */
  int[] byDocumentId(Filter filter, String afterId, int max) throws IOException;

  /**
   * This snapshot as the index of a policy diff (see {@code dev.anvil.rbac.diff.PolicyDiff}).
   *
   * @throws dev.anvil.context.api.ContextException where the backend cannot count a diff
   */
  DiffIndex diffIndex();

  /** Reads a chunk named by a ranking of this snapshot. */
  ChunkRecord read(int doc, TagSchema schema) throws IOException;

  /**
   * The ids of the documents chunks named by rankings of this snapshot belong to, in the order of
   * {@code docs}: cheaper than {@link #read} (fusion asks it of every candidate).
   */
  String[] documentIds(int[] docs) throws IOException;

  /**
   * The stored vector of a chunk named by a ranking of this snapshot (unit length); empty if it has
   * none.
   */
  float[] vector(int doc) throws IOException;

  /** Every chunk of a document, in order; empty if it is not indexed. */
  List<ChunkRecord> chunksOf(String id, TagSchema schema) throws IOException;
}
