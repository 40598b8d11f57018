package dev.anvil.context.index;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.ContextException;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * The chunk index in a local directory: one Lucene document per chunk, replaced per document id
 * atomically; commits are durable, so a killed process restarts on its last commit.
 *
 * <p>The index remembers which embedding model wrote its vectors and how its chunks were cut
 * (commit user data) and refuses to open with another: queries and documents must always be
 * embedded by the same model, and a document re-ingested must be cut as the rest were.
 *
 * <p>Thread-safe: writes are serialised, searches run on near-real-time snapshots.
 */
public final class LuceneIndex implements ChunkIndex {
  private static final String MODEL_KEY = "anvil.embedding-model";
  private static final String CHUNKING_KEY = "anvil.chunking";
  private static final String CHECKPOINT_PREFIX = "anvil.checkpoint.";

  /**
   * The share of the live chunks in one segment from which {@link #mergeWhenQuiet} leaves the index
   * as it is: a trickle of writes after a merge adds small segments, and rewriting the whole index
   * for them would cost far more than the few extra segments do.
   */
  static final double MERGED_SHARE = 0.9;

  private final FSDirectory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final Analyzer analyzer = new EnglishAnalyzer();
  private final PolicyFilterCache filters = PolicyFilterCache.withDefaultSize();
  private final String modelId;
  // When the last write was made (System.nanoTime): a merge waits for writes to pause.
  private volatile long lastWrite = System.nanoTime();

  private LuceneIndex(Path dir, String modelId, String chunking) throws IOException {
    this.directory = FSDirectory.open(dir);
    this.modelId = modelId;
    Map<String, String> userData = new HashMap<>();
    if (DirectoryReader.indexExists(directory)) {
      try (DirectoryReader r = DirectoryReader.open(directory)) {
        userData.putAll(r.getIndexCommit().getUserData());
        String written = userData.get(MODEL_KEY);
        if (written != null && !written.equals(modelId)) {
          directory.close();
          throw new ContextException(
              "index "
                  + dir
                  + " holds vectors of model "
                  + written
                  + ", not "
                  + modelId
                  + ": re-embed it or open it with that model");
        }
        // An index from before chunking was recorded was cut by today's chunker (it never
        // changed until it was recorded), so it adopts the current settings.
        String cut = userData.get(CHUNKING_KEY);
        if (cut != null && !cut.equals(chunking)) {
          directory.close();
          throw new ContextException(
              "index "
                  + dir
                  + " holds chunks cut with '"
                  + cut
                  + "', not '"
                  + chunking
                  + "': rebuild it (re-ingest its documents) with this version's chunking");
        }
      }
    }
    IndexWriterConfig config = new IndexWriterConfig(analyzer);
    config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
    this.writer = new IndexWriter(directory, config);
    userData.put(MODEL_KEY, modelId);
    userData.put(CHUNKING_KEY, chunking);
    writer.setLiveCommitData(userData.entrySet());
    this.searchers = new SearcherManager(writer, filters.searcherFactory());
  }

  /**
   * Opens (or creates) the index in {@code dir} for vectors of {@code modelId} and chunks cut with
   * {@code chunking} (see {@code Chunker.settings()}).
   *
   * @throws ContextException if the index holds another model's vectors or other chunks
   */
  public static LuceneIndex open(Path dir, String modelId, String chunking) {
    try {
      return new LuceneIndex(dir, modelId, chunking);
    } catch (org.apache.lucene.store.LockObtainFailedException e) {
      throw new ContextException(
          "the index at " + dir + " is in use by another process (is anvil serve running on it?)",
          e);
    } catch (IOException e) {
      throw new ContextException("cannot open the index at " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The embedding model of the vectors. */
  @Override
  public String modelId() {
    return modelId;
  }

  /** The indexed version of a document, if any. */
  @Override
  public OptionalLong version(String id) {
    return withSearcher(
        s -> {
          TopDocs top = s.search(new TermQuery(new Term(IndexFields.ID, id)), 1);
          if (top.scoreDocs.length == 0) {
            return OptionalLong.empty();
          }
          Document d = s.storedFields().document(top.scoreDocs[0].doc);
          return OptionalLong.of(d.getField(IndexFields.VERSION).numericValue().longValue());
        });
  }

  /**
   * Replaces all chunks of a document (atomically: a searcher sees the old or the new chunks).
   *
   * @param chunks chunk texts, in order
   * @param tokens tokens of each chunk
   * @param vectors one vector per chunk
   */
  @Override
  public synchronized void upsert(
      dev.anvil.context.api.Document doc,
      DocTags tags,
      List<String> chunks,
      int[] tokens,
      float[][] vectors) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < chunks.size(); i++) {
      Document d = new Document();
      d.add(new StringField(IndexFields.ID, doc.id(), Field.Store.YES));
      d.add(new SortedDocValuesField(IndexFields.ID, new BytesRef(doc.id())));
      d.add(new StoredField(IndexFields.VERSION, doc.version()));
      d.add(new StoredField(IndexFields.CHUNK, i));
      d.add(new StoredField(IndexFields.TITLE, doc.title()));
      d.add(new StoredField(IndexFields.BODY, chunks.get(i)));
      d.add(new StoredField(IndexFields.TOKENS, tokens[i]));
      d.add(new StoredField(IndexFields.SOURCE, doc.source()));
      d.add(new TextField(IndexFields.TEXT, doc.title() + "\n" + chunks.get(i), Field.Store.NO));
      d.add(
          new KnnFloatVectorField(
              IndexFields.VECTOR, vectors[i], VectorSimilarityFunction.DOT_PRODUCT));
      IndexFields.addTags(d, tags);
      docs.add(d);
    }
    lastWrite = System.nanoTime();
    try {
      writer.updateDocuments(new Term(IndexFields.ID, doc.id()), docs);
    } catch (IOException e) {
      throw new UncheckedIOException("indexing " + doc.id() + " failed", e);
    }
  }

  /** Deletes a document's chunks (nothing happens if it is not indexed). */
  @Override
  public synchronized void delete(String id) {
    lastWrite = System.nanoTime();
    try {
      writer.deleteDocuments(new Term(IndexFields.ID, id));
    } catch (IOException e) {
      throw new UncheckedIOException("deleting " + id + " failed", e);
    }
  }

  /** Deletes every chunk {@code filter} admits. */
  @Override
  public synchronized void deleteMatching(Filter filter) {
    lastWrite = System.nanoTime();
    try {
      writer.deleteDocuments(LuceneFilters.toQuery(filter));
    } catch (IOException e) {
      throw new UncheckedIOException("deleting by query failed", e);
    }
  }

  /** The ids of the documents with a chunk matching {@code filter}, sorted. */
  @Override
  public List<String> idsMatching(Filter filter) {
    Query query = LuceneFilters.toQuery(filter);
    return withSearcher(
        s -> {
          java.util.SortedSet<String> ids = new java.util.TreeSet<>();
          StoredFields fields = s.storedFields();
          for (var sd : s.search(query, Integer.MAX_VALUE).scoreDocs) {
            ids.add(fields.document(sd.doc, java.util.Set.of(IndexFields.ID)).get(IndexFields.ID));
          }
          return List.copyOf(ids);
        });
  }

  /**
   * Makes everything written so far durable and visible, together with {@code checkpoint}: entries
   * that replace those of the same key in {@link #checkpoint()}, in the same atomic commit.
   */
  @Override
  public synchronized void commit(Map<String, String> checkpoint) {
    if (!checkpoint.isEmpty()) {
      Map<String, String> data = new HashMap<>();
      writer.getLiveCommitData().forEach(e -> data.put(e.getKey(), e.getValue()));
      checkpoint.forEach((k, v) -> data.put(CHECKPOINT_PREFIX + k, v));
      writer.setLiveCommitData(data.entrySet());
    }
    commit();
  }

  /** The checkpoint entries the index holds (those of its last commit once committed). */
  @Override
  public synchronized Map<String, String> checkpoint() {
    return checkpointOf(writer.getLiveCommitData());
  }

  /**
   * The checkpoint of the last commit in an index directory no process has open, e.g. after the
   * process was killed; empty if there is no index.
   */
  public static Map<String, String> lastCheckpoint(Path dir) {
    try (FSDirectory d = FSDirectory.open(dir)) {
      if (!DirectoryReader.indexExists(d)) {
        return Map.of();
      }
      try (DirectoryReader r = DirectoryReader.open(d)) {
        return checkpointOf(r.getIndexCommit().getUserData().entrySet());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the index at " + dir, e);
    }
  }

  /**
   * Empties the index in {@code dir} (no process has it open): Lucene deletes its files, and
   * nothing else in the directory is touched (the first index shares the engine's data directory
   * with the indexes of later models and {@code serving.json}).
   */
  public static void clear(Path dir) {
    try (FSDirectory d = FSDirectory.open(dir)) {
      if (!DirectoryReader.indexExists(d)) {
        return;
      }
      try (IndexWriter w =
          new IndexWriter(
              d, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE))) {
        w.commit();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot empty the index at " + dir, e);
    }
  }

  private static Map<String, String> checkpointOf(Iterable<Map.Entry<String, String>> data) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : data) {
      if (e.getKey().startsWith(CHECKPOINT_PREFIX)) {
        out.put(e.getKey().substring(CHECKPOINT_PREFIX.length()), e.getValue());
      }
    }
    return out;
  }

  /** Makes everything written so far durable and visible. */
  @Override
  public synchronized void commit() {
    try {
      writer.commit();
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new UncheckedIOException("commit failed", e);
    }
  }

  /**
   * Merges the index into one segment once no write came for {@code quiet}, unless one segment
   * already holds {@link #MERGED_SHARE} of the live chunks. Writes go on into new segments while it
   * merges (they are not held up), and searches see the merged segment as soon as it is written. It
   * is not committed here: the next commit makes it durable with the checkpoint of the writes it
   * holds, so a commit never covers writes its checkpoint does not name.
   */
  @Override
  public boolean mergeWhenQuiet(Duration quiet) {
    // As durations: a pause of centuries has no nanosecond count in a long.
    if (Duration.ofNanos(System.nanoTime() - lastWrite).compareTo(quiet) < 0) {
      return false;
    }
    boolean spread =
        withSearcher(
            s -> {
              long live = 0;
              long largest = 0;
              for (var leaf : s.getIndexReader().leaves()) {
                live += leaf.reader().numDocs();
                largest = Math.max(largest, leaf.reader().numDocs());
              }
              return largest < MERGED_SHARE * live;
            });
    if (!spread) {
      return false;
    }
    try {
      writer.forceMerge(1);
      searchers.maybeRefreshBlocking();
    } catch (org.apache.lucene.util.ThreadInterruptedException e) {
      // The engine is closing: the merge goes on in Lucene's merge thread and close waits for it.
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("merging the index's segments failed", e);
    }
    return true;
  }

  /** Makes writes visible to searches without the cost of a durable commit. */
  @Override
  public void refresh() {
    try {
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new UncheckedIOException("refresh failed", e);
    }
  }

  /** Work with a searcher. */
  private interface SearcherFunction<T> {
    T apply(IndexSearcher searcher) throws IOException;
  }

  /** Runs {@code f} on a current searcher, releasing it afterwards. */
  private <T> T withSearcher(SearcherFunction<T> f) {
    try {
      IndexSearcher s = searchers.acquire();
      try {
        return f.apply(s);
      } finally {
        searchers.release(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("search failed", e);
    }
  }

  /**
   * Runs {@code f} on a snapshot whose searches stop once {@code cancellation} fires (see {@link
   * IndexSnapshot}).
   */
  @Override
  public <T> T withSnapshot(Cancellation cancellation, ChunkIndex.SnapshotFunction<T> f) {
    return withSearcher(s -> f.apply(new LuceneSnapshot(s, analyzer, cancellation)));
  }

  /**
   * Runs {@code f} on a snapshot of the last commit in {@code dir}, read-only: a reader takes no
   * lock, so the directory may be open in a running engine. For tools that read an index without
   * serving it, such as {@code anvil policy diff --index DIR}.
   *
   * @throws ContextException if {@code dir} holds no index
   */
  public static <T> T readCommitted(Path dir, ChunkIndex.SnapshotFunction<T> f) {
    try (FSDirectory d = FSDirectory.open(dir)) {
      if (!DirectoryReader.indexExists(d)) {
        throw new ContextException("no index at " + dir);
      }
      try (DirectoryReader r = DirectoryReader.open(d);
          EnglishAnalyzer analyzer = new EnglishAnalyzer()) {
        return f.apply(new LuceneSnapshot(new IndexSearcher(r), analyzer, Cancellation.NONE));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the index at " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Every chunk of a document, in order; empty if it is not indexed. */
  @Override
  public List<ChunkRecord> chunksOf(String id, TagSchema schema) {
    return withSnapshot(s -> s.chunksOf(id, schema));
  }

  /** The first chunk of a document, if it is indexed. */
  @Override
  public Optional<ChunkRecord> firstChunk(String id, TagSchema schema) {
    return withSearcher(
        s -> {
          TopDocs top = s.search(new TermQuery(new Term(IndexFields.ID, id)), 1);
          return top.scoreDocs.length == 0
              ? Optional.empty()
              : Optional.of(read(s.storedFields(), top.scoreDocs[0].doc, schema));
        });
  }

  /** Every document id with its number of chunks, in index order. */
  @Override
  public Map<String, Long> documents() {
    return withSearcher(
        s -> {
          Map<String, Long> ids = new LinkedHashMap<>();
          StoredFields fields = s.storedFields();
          for (var sd : s.search(new MatchAllDocsQuery(), Integer.MAX_VALUE).scoreDocs) {
            ids.merge(
                fields.document(sd.doc, Set.of(IndexFields.ID)).get(IndexFields.ID), 1L, Long::sum);
          }
          return ids;
        });
  }

  /** Reads a chunk's stored fields. */
  static ChunkRecord read(StoredFields fields, int docId, TagSchema schema) throws IOException {
    Document d = fields.document(docId);
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (IndexableField f : d.getFields()) {
      String tag = IndexFields.storedTagName(f.name());
      if (tag != null) {
        values.computeIfAbsent(tag, k -> new ArrayList<>()).add(f.stringValue());
      }
    }
    Map<String, Object> raw = new HashMap<>();
    values.forEach(
        (tag, vs) -> {
          boolean isSet = schema.tag(tag).map(t -> !t.isScalar()).orElse(vs.size() > 1);
          raw.put(tag, isSet ? List.copyOf(vs) : vs.getFirst());
        });
    return new ChunkRecord(
        d.get(IndexFields.ID),
        d.getField(IndexFields.VERSION).numericValue().longValue(),
        d.getField(IndexFields.CHUNK).numericValue().intValue(),
        d.get(IndexFields.TITLE),
        d.get(IndexFields.BODY),
        d.get(IndexFields.SOURCE),
        d.getField(IndexFields.TOKENS).numericValue().intValue(),
        raw);
  }

  /** The index's size now (for metrics). */
  @Override
  public Stats stats() {
    return withSearcher(
        s -> {
          long bytes = 0;
          for (String file : directory.listAll()) {
            try {
              bytes += directory.fileLength(file);
            } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
              // merged away while we counted
            }
          }
          return new Stats(s.getIndexReader().numDocs(), s.getIndexReader().leaves().size(), bytes);
        });
  }

  /** How often a search found its policy filter already evaluated for a segment (for tests). */
  long filterCacheHits() {
    return filters.hits();
  }

  /** The number of live chunks. */
  @Override
  public int chunkCount() {
    return withSearcher(s -> s.getIndexReader().numDocs());
  }

  @Override
  public synchronized void close() {
    try {
      searchers.close();
      writer.close();
      directory.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing the index failed", e);
    }
  }
}
