package dev.anvil.bench;

import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.index.IndexFields;
import dev.anvil.context.index.LuceneFilters;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene102.Lucene102HnswBinaryQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.CodecReader;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SlowCodecReaderWrapper;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * What quantized HNSW costs in recall and buys in memory and speed, under the policy filter, on
 * real embeddings: the {@link FilterSelectivity} corpus (SciFact sentences, MiniLM vectors, 100
 * teams) copied into one segment per vector format — float32 HNSW (the engine's today), int7 and
 * int4 scalar-quantized HNSW, and binary-quantized HNSW (BBQ) — with everything else the same, so
 * the document numbers agree across the copies.
 *
 * <p>For each format and principal it measures the filtered kNN (100 candidates, the best 10 kept)
 * as the graph scores them, and re-scored with the float vectors (which every format keeps on disk:
 * the re-scoring reads 100 of them per query). Recall@10 is against the exact filtered top 10 by
 * the float vectors (every admitted vector scored). The sizes of the vector files say what a graph
 * search keeps in memory: the graph and the vectors it compares (the quantized ones where there
 * are; the float ones stay on disk for merges and re-scoring).
 *
 * <p>{@code java --add-modules jdk.incubator.vector ... -cp bench/target/benchmarks.jar
 * dev.anvil.bench.VectorFormats SELECTIVITY_INDEX [BEIR_DIR] [WORK_DIR]}: SELECTIVITY_INDEX is the
 * index {@link FilterSelectivity} built (it is only read).
 */
public final class VectorFormats {
  private VectorFormats() {}

  /** A vector format under test. */
  record Format(String name, KnnVectorsFormat format) {}

  static final List<Format> FORMATS =
      List.of(
          new Format("float32", new Lucene99HnswVectorsFormat()),
          new Format("int7", new Lucene99HnswScalarQuantizedVectorsFormat()),
          new Format(
              "int4",
              new Lucene99HnswScalarQuantizedVectorsFormat(16, 100, 1, 4, true, null, null)),
          new Format("bbq", new Lucene102HnswBinaryQuantizedVectorsFormat()));

  public static void main(String[] args) throws Exception {
    Path source = Path.of(args[0]);
    Path beir = Path.of(args.length > 1 ? args[1] : "../shared/data/beir/scifact");
    Path work = Path.of(args.length > 2 ? args[2] : "bench/target/vector-formats");
    PolicyPack pack =
        new PolicyPack(FilterSelectivity.writePack(Files.createTempDirectory("anvil-formats")));
    PolicySet set = pack.load();
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    List<String> queries = new ArrayList<>(BeirDataset.load(beir, "test").queries().values());
    queries.addAll(BeirDataset.load(beir, "train").queries().values());
    Map<String, float[]> vectors = new HashMap<>();
    try (OnnxEmbedder onnx = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 2)) {
      for (String q : queries) {
        vectors.put(q, onnx.embedQuery(q));
      }
    }
    Map<String, IndexSearcher> copies = new java.util.LinkedHashMap<>();
    List<DirectoryReader> open = new ArrayList<>();
    try {
      for (Format f : FORMATS) {
        DirectoryReader r = DirectoryReader.open(FSDirectory.open(copy(source, work, f)));
        open.add(r);
        copies.put(f.name(), new IndexSearcher(r));
      }
      IndexSearcher exact = copies.get("float32");
      System.out.printf(
          "corpus: %d chunks, %d queries%n", exact.getIndexReader().numDocs(), queries.size());
      for (int teams : FilterSelectivity.SEEN_TEAMS) {
        var p = people.find("in-" + teams).orElseThrow();
        var filter = LuceneFilters.toQuery(set.compile(p, Action.READ).filter());
        Map<String, Set<Integer>> truth = new HashMap<>();
        CachedBits exactBits = CachedBits.of(p.subject(), exact, filter);
        for (String q : queries) {
          truth.put(q, FilterSelectivity.exactTop(exact, exactBits, vectors.get(q)));
        }
        System.out.printf(
            "%s sees %.1f%%:%n",
            p.subject(), 100.0 * exactBits.cardinality() / exact.getIndexReader().numDocs());
        for (var copy : copies.entrySet()) {
          IndexSearcher s = copy.getValue();
          CachedBits bits = CachedBits.of(p.subject(), s, filter);
          double[] recall = new double[2];
          for (String q : queries) {
            recall[0] += recall(graphTop(s, bits, vectors.get(q)), truth.get(q));
            recall[1] +=
                recall(
                    rescored(s, graphTop(s, bits, vectors.get(q)), vectors.get(q)), truth.get(q));
          }
          FilterSelectivity.Stats graph =
              FilterSelectivity.time(queries, q -> graphTop(s, bits, vectors.get(q)));
          FilterSelectivity.Stats rescoring =
              FilterSelectivity.time(
                  queries, q -> rescored(s, graphTop(s, bits, vectors.get(q)), vectors.get(q)));
          System.out.printf(
              "  %-8s graph p50 %.3f ms, recall@10 %.3f; re-scored p50 %.3f ms, recall@10 %.3f%n",
              copy.getKey(),
              graph.p50(),
              recall[0] / queries.size(),
              rescoring.p50(),
              recall[1] / queries.size());
        }
      }
    } finally {
      for (DirectoryReader r : open) {
        r.close();
      }
    }
  }

  /**
   * The source index rewritten in one segment whose vectors are stored and searched in {@code f}
   * (built once per work directory); prints the build time and the sizes of the vector files.
   */
  static Path copy(Path source, Path work, Format f) throws IOException {
    Path dir = work.resolve(f.name());
    if (!Files.exists(dir.resolve("done"))) {
      long t = System.nanoTime();
      IndexWriterConfig config =
          new IndexWriterConfig()
              .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
              .setCodec(
                  new Lucene103Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                      return f.format();
                    }
                  });
      try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(source));
          IndexWriter w = new IndexWriter(FSDirectory.open(dir), config)) {
        List<CodecReader> leaves = new ArrayList<>();
        for (LeafReaderContext leaf : r.leaves()) { // in order: the same document numbers
          leaves.add(SlowCodecReaderWrapper.wrap(leaf.reader()));
        }
        w.addIndexes(leaves.toArray(CodecReader[]::new));
        w.forceMerge(1);
        w.commit();
      }
      Files.writeString(dir.resolve("done"), "built\n");
      System.out.printf("%s: built in %.1f s%n", f.name(), (System.nanoTime() - t) / 1e9);
    }
    long raw = 0;
    long graph = 0;
    long quantized = 0;
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        long size = Files.size(file);
        // .vec the float vectors (every format keeps them), .vex the graph, .veq / .veb the
        // int7-int4 / binary vectors the graph search compares
        if (name.endsWith(".vec")) {
          raw += size;
        } else if (name.endsWith(".vex")) {
          graph += size;
        } else if (name.endsWith(".veq") || name.endsWith(".veb")) {
          quantized += size;
        }
      }
    }
    System.out.printf(
        "%s: float vectors %.1f MB, graph %.1f MB, quantized vectors %.1f MB; a graph search"
            + " reads %.1f MB%n",
        f.name(),
        raw / 1e6,
        graph / 1e6,
        quantized / 1e6,
        (graph + (quantized > 0 ? quantized : raw)) / 1e6);
    return dir;
  }

  /** The filtered graph search: 100 candidates, scored as the format scores them. */
  static ScoreDoc[] graphTop(IndexSearcher s, CachedBits bits, float[] v) {
    try {
      TopDocs top =
          s.search(
              new KnnFloatVectorQuery(IndexFields.VECTOR, v, FilterSelectivity.CANDIDATES, bits),
              FilterSelectivity.CANDIDATES);
      return top.scoreDocs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The candidates scored again with their float vectors. */
  static ScoreDoc[] rescored(IndexSearcher s, ScoreDoc[] candidates, float[] v) {
    try {
      List<LeafReaderContext> leaves = s.getIndexReader().leaves();
      ScoreDoc[] out = new ScoreDoc[candidates.length];
      for (int i = 0; i < candidates.length; i++) {
        int doc = candidates[i].doc;
        LeafReaderContext leaf =
            leaves.get(org.apache.lucene.index.ReaderUtil.subIndex(doc, leaves));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
        var it = values.iterator();
        it.advance(doc - leaf.docBase);
        out[i] =
            new ScoreDoc(
                doc,
                VectorSimilarityFunction.DOT_PRODUCT.compare(v, values.vectorValue(it.index())));
      }
      Arrays.sort(out, Comparator.comparingDouble((ScoreDoc d) -> -d.score));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The share of the exact top 10 among the first 10 of {@code ranked}. */
  static double recall(ScoreDoc[] ranked, Set<Integer> exact) {
    if (exact.isEmpty()) {
      return 1;
    }
    long found =
        Arrays.stream(ranked).limit(FilterSelectivity.K).filter(d -> exact.contains(d.doc)).count();
    return (double) found / exact.size();
  }
}
