package dev.anvil.context.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's filtered kNN: where it scans instead of searching the graph, and that its answers
 * are the exact nearest admitted neighbours there, and never worse than Lucene's elsewhere.
 */
class FilteredKnnQueryTest {
  private static final int N = 4_000;
  private static final int DIM = 8;
  private static final int K = 10;
  private static final float[][] VECTORS = new float[N][];
  private static Directory dir;

  @BeforeAll
  static void index() throws Exception {
    Random r = new Random(42);
    dir = new ByteBuffersDirectory();
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig())) {
      for (int i = 0; i < N; i++) {
        VECTORS[i] = unit(r);
        Document d = new Document();
        d.add(new KnnFloatVectorField("v", VECTORS[i], VectorSimilarityFunction.DOT_PRODUCT));
        d.add(new IntField("bucket", i % 100, Field.Store.NO)); // bucket < p admits p%
        w.addDocument(d);
      }
      w.forceMerge(1);
    }
  }

  @Test
  void scansWhereTheGraphSearchWouldVisitMoreThanTheFilterAdmits() {
    // k·n·ln n = 10 · 4,000 · 8.29 ≈ 331,800: a scan below √ of it, about 576 admitted.
    assertThat(FilteredKnnQuery.scanIsCheaper(500, N, K)).isTrue();
    assertThat(FilteredKnnQuery.scanIsCheaper(600, N, K)).isFalse();
    // A million chunks, k = 100: the scan wins below about 37,000 admitted (3.7%).
    assertThat(FilteredKnnQuery.scanIsCheaper(30_000, 1_000_000, 100)).isTrue();
    assertThat(FilteredKnnQuery.scanIsCheaper(50_000, 1_000_000, 100)).isFalse();
    assertThat(FilteredKnnQuery.scanIsCheaper(0, 1, K)).isFalse();
  }

  @Test
  void aSelectiveFilterGetsTheExactNearestAdmittedNeighbours() throws Exception {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexSearcher searcher = new IndexSearcher(reader);
      Random r = new Random(7);
      for (int percent : new int[] {1, 5, 10}) { // 40, 200 and 400 admitted: scanned
        for (int q = 0; q < 20; q++) {
          float[] query = unit(r);
          Query filter = IntField.newRangeQuery("bucket", 0, percent - 1);
          assertThat(docs(searcher, new FilteredKnnQuery("v", query, K, filter)))
              .as("%d%% admitted, query %d", percent, q)
              .containsExactly(exact(query, percent));
        }
      }
    }
  }

  @Test
  void elsewhereItSearchesTheGraphAndFindsAtLeastWhatLuceneFinds() throws Exception {
    try (DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexSearcher searcher = new IndexSearcher(reader);
      Random r = new Random(11);
      for (int percent : new int[] {20, 50, 100}) {
        int ours = 0;
        int lucene = 0;
        for (int q = 0; q < 20; q++) {
          float[] query = unit(r);
          Query filter = IntField.newRangeQuery("bucket", 0, percent - 1);
          List<Integer> truth = Arrays.stream(exact(query, percent)).boxed().toList();
          ours += overlap(docs(searcher, new FilteredKnnQuery("v", query, K, filter)), truth);
          lucene += overlap(docs(searcher, new KnnFloatVectorQuery("v", query, K, filter)), truth);
        }
        assertThat(ours).as("%d%% admitted", percent).isGreaterThanOrEqualTo(lucene);
        // (Low-dimensional vectors, which a graph searches well: this shows it did search.)
        assertThat(ours / (20.0 * K)).as("recall at %d%%", percent).isGreaterThan(0.9);
      }
    }
  }

  private static int overlap(int[] found, List<Integer> truth) {
    return (int) Arrays.stream(found).filter(truth::contains).count();
  }

  private static int[] docs(IndexSearcher searcher, Query q) throws Exception {
    return Arrays.stream(searcher.search(q, K).scoreDocs).mapToInt(sd -> sd.doc).toArray();
  }

  /**
   * The {@code K} nearest among the documents of the first {@code percent} buckets, by brute force.
   */
  private static int[] exact(float[] query, int percent) {
    return IntStream.range(0, N)
        .filter(i -> i % 100 < percent)
        .boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -dot(query, VECTORS[i])))
        .limit(K)
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static float[] unit(Random r) {
    float[] v = new float[DIM];
    double norm = 0;
    for (int i = 0; i < DIM; i++) {
      v[i] = (float) r.nextGaussian();
      norm += v[i] * v[i];
    }
    for (int i = 0; i < DIM; i++) {
      v[i] /= (float) Math.sqrt(norm);
    }
    return v;
  }
}
