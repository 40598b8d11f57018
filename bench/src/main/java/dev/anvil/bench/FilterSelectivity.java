package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.index.FilteredKnnQuery;
import dev.anvil.context.index.IndexFields;
import dev.anvil.context.index.LuceneFilters;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.knn.KnnSearchStrategy;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.FixedBitSet;

/**
 * Filtered search across selectivities, on real embeddings: what the policy filter costs the engine
 * at 1%, 5%, 20% and 50% of the corpus visible, and how well filtered HNSW finds the true nearest
 * neighbours.
 *
 * <p>The corpus is SciFact's abstracts cut into sentences (about 50,000 chunks), embedded by
 * all-MiniLM-L6-v2; each chunk belongs to one of 100 teams, and 10% are {@code restricted}. A
 * principal in k teams sees about k% (measured with a count). Queries are SciFact's 1,109 queries
 * (vectors precomputed, so only the search is timed). For each principal it measures:
 *
 * <ul>
 *   <li>the engine's hybrid and dense search (compiled policy filter, cached per segment), against
 *       the engine for a principal who sees everything and against raw Lucene without a filter;
 *   <li>raw Lucene's filtered kNN with the filter's bits cached by hand ({@link CachedBits}), with
 *       Lucene's default HNSW strategy and with its filtered-search (ACORN-style) strategy, each
 *       with recall@10 against the exact filtered top 10 (a scan of every admitted vector).
 * </ul>
 *
 * <p>{@code java ... -cp bench/target/benchmarks.jar dev.anvil.bench.FilterSelectivity [INDEX_DIR]
 * [BEIR_DIR]}: the index is built on the first run (minutes: every sentence is embedded) and
 * reused. The engine then merges it into one segment as {@code anvil serve} does once writes pause;
 * {@code -Danvil.bench.asIngested=true} measures it as the bulk load left it, {@code
 * -Danvil.bench.segments=N} merged into N segments.
 */
public final class FilterSelectivity {
  static final int TEAMS = 100;
  static final int[] SEEN_TEAMS = {1, 5, 20, 50, TEAMS};
  static final int K = 10;
  static final int CANDIDATES = 100;
  static final int PASSES = 3;

  private FilterSelectivity() {}

  public static void main(String[] args) throws Exception {
    Path index = Path.of(args.length > 0 ? args[0] : "bench/target/selectivity-index");
    Path beir = Path.of(args.length > 1 ? args[1] : "../shared/data/beir/scifact");
    int[] seen =
        args.length > 2
            ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray()
            : SEEN_TEAMS;
    PolicyPack pack = new PolicyPack(writePack(Files.createTempDirectory("anvil-selectivity")));
    PolicySet set = pack.load();
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    BeirDataset scifact = BeirDataset.load(beir, "test");
    List<String> queries = new ArrayList<>(scifact.queries().values());
    queries.addAll(BeirDataset.load(beir, "train").queries().values());
    try (OnnxEmbedder onnx = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 2)) {
      Map<String, float[]> vectors = new HashMap<>();
      for (String q : queries) {
        vectors.put(q, onnx.embedQuery(q));
      }
      boolean fresh = !Files.exists(index.resolve("done"));
      int segments = Integer.getInteger("anvil.bench.segments", 0);
      if (!fresh && segments > 0) {
        mergeInto(index, segments);
      }
      try (ContextEngine engine =
          ContextEngine.open(
              index, PolicyStore.open(pack), new SearchCost.Precomputed(onnx, vectors))) {
        if (fresh) {
          build(engine, people.find("loader").orElseThrow(), scifact);
          Files.writeString(index.resolve("done"), "built\n");
        }
        // As anvil serve leaves it once writes pause (--merge-quiet-seconds), unless measuring
        // the index as ingested (-Danvil.bench.asIngested) or a chosen number of segments.
        if (segments == 0 && !Boolean.getBoolean("anvil.bench.asIngested")) {
          long t = System.nanoTime();
          if (engine.mergeSegments()) {
            engine.commit(Map.of()); // the raw baseline reads the last commit
            System.out.printf(
                "the engine merged its segments into one in %.1f s%n",
                (System.nanoTime() - t) / 1e9);
          }
        }
        try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(index))) {
          IndexSearcher raw = new IndexSearcher(reader);
          System.out.printf(
              "corpus: %d chunks in %d segments; %d queries%n",
              reader.numDocs(), reader.leaves().size(), queries.size());
          Stats noFilter =
              time(queries, q -> RawHybrid.search(raw, q, vectors.get(q), null, CANDIDATES, K));
          System.out.printf(
              "raw Lucene hybrid, no filter: p50 %.3f p99 %.3f ms%n", noFilter.p50, noFilter.p99);
          for (int teams : seen) {
            Principal p = people.find("in-" + teams).orElseThrow();
            Query filter = LuceneFilters.toQuery(set.compile(p, Action.READ).filter());
            CachedBits bits = CachedBits.of(p.subject(), raw, filter);
            double selectivity = (double) bits.cardinality() / reader.numDocs();
            Stats hybrid =
                time(queries, q -> engineSearch(engine, p, q, SearchRequest.Mode.HYBRID));
            Stats dense = time(queries, q -> engineSearch(engine, p, q, SearchRequest.Mode.DENSE));
            System.out.printf(
                "%s sees %.1f%%: engine hybrid p50 %.3f p99 %.3f ms, dense p50 %.3f p99 %.3f ms%n",
                p.subject(), 100 * selectivity, hybrid.p50, hybrid.p99, dense.p50, dense.p99);
            Stats shortcut =
                time(
                    queries,
                    q -> {
                      try {
                        raw.search(
                            new FilteredKnnQuery(
                                IndexFields.VECTOR, vectors.get(q), CANDIDATES, bits),
                            CANDIDATES);
                      } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                    });
            System.out.printf(
                "  raw filtered kNN (%d of them), the engine's exact-scan shortcut"
                    + " (FilteredKnnQuery): p50 %.3f p99 %.3f ms%n",
                CANDIDATES, shortcut.p50, shortcut.p99);
            // The default strategy, then the filtered-search one asking CANDIDATES and, with
            // -Danvil.bench.acornCandidates=200,300, more (oversampled to win recall back).
            List<int[]> variants = new ArrayList<>(List.of(new int[] {0, CANDIDATES}));
            variants.add(new int[] {60, CANDIDATES});
            for (String c : System.getProperty("anvil.bench.acornCandidates", "").split(",")) {
              if (!c.isBlank()) {
                variants.add(new int[] {60, Integer.parseInt(c.trim())});
              }
            }
            for (int[] variant : variants) {
              int threshold = variant[0];
              int asked = variant[1];
              KnnSearchStrategy strategy = new KnnSearchStrategy.Hnsw(threshold);
              Stats knn =
                  time(
                      queries,
                      q -> {
                        try {
                          raw.search(
                              new KnnFloatVectorQuery(
                                  IndexFields.VECTOR, vectors.get(q), asked, bits, strategy),
                              CANDIDATES);
                        } catch (IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      });
              double recall = recall(raw, bits, queries, vectors, strategy, asked);
              System.out.printf(
                  "  raw filtered kNN (%d of them, top %d kept), HNSW filtered-search threshold %d:"
                      + " p50 %.3f p99 %.3f ms, recall@%d vs exact %.4f%n",
                  asked, K, threshold, knn.p50, knn.p99, K, recall);
            }
          }
        }
      }
    }
  }

  /** Merges the built index into at most {@code segments} segments (before the engine opens it). */
  private static void mergeInto(Path index, int segments) throws IOException {
    long t = System.nanoTime();
    try (IndexWriter w =
        new IndexWriter(
            FSDirectory.open(index),
            new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.APPEND))) {
      w.forceMerge(segments);
      w.commit();
    }
    System.out.printf(
        "merged into %d segment(s) in %.1f s%n", segments, (System.nanoTime() - t) / 1e9);
  }

  private static void engineSearch(
      ContextEngine engine, Principal p, String q, SearchRequest.Mode mode) {
    engine.search(p, new SearchRequest(q, K, 0, Map.of(), mode, List.of()));
  }

  /**
   * Mean recall@K of filtered HNSW ({@code asked} candidates, the best K kept) vs the exact top K.
   */
  private static double recall(
      IndexSearcher raw,
      CachedBits bits,
      List<String> queries,
      Map<String, float[]> vectors,
      KnnSearchStrategy strategy,
      int asked)
      throws IOException {
    double sum = 0;
    for (String q : queries) {
      float[] v = vectors.get(q);
      TopDocs approx =
          raw.search(new KnnFloatVectorQuery(IndexFields.VECTOR, v, asked, bits, strategy), K);
      Set<Integer> exact = exactTop(raw, bits, v);
      long found = Arrays.stream(approx.scoreDocs).filter(sd -> exact.contains(sd.doc)).count();
      sum += exact.isEmpty() ? 1 : (double) found / exact.size();
    }
    return sum / queries.size();
  }

  /** The exact top K among the admitted chunks: every admitted vector scored. */
  static Set<Integer> exactTop(IndexSearcher raw, CachedBits bits, float[] v) throws IOException {
    PriorityQueue<ScoreDoc> best = new PriorityQueue<>((a, b) -> Float.compare(a.score, b.score));
    for (LeafReaderContext leaf : raw.getIndexReader().leaves()) {
      FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
      if (values == null) {
        continue;
      }
      FixedBitSet admitted = bits.bits(leaf);
      KnnVectorValues.DocIndexIterator it = values.iterator();
      BitSetIterator docs = new BitSetIterator(admitted, admitted.cardinality());
      for (int doc = docs.nextDoc(); doc != BitSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if (it.docID() < doc) {
          it.advance(doc);
        }
        if (it.docID() != doc) {
          continue;
        }
        float score =
            VectorSimilarityFunction.DOT_PRODUCT.compare(v, values.vectorValue(it.index()));
        best.add(new ScoreDoc(leaf.docBase + doc, score));
        if (best.size() > K) {
          best.poll();
        }
      }
    }
    Set<Integer> out = new java.util.HashSet<>();
    best.forEach(sd -> out.add(sd.doc));
    return out;
  }

  record Stats(double p50, double p99) {}

  /** One warm-up pass, then PASSES timed passes over every query. */
  static Stats time(List<String> queries, Consumer<String> search) {
    queries.forEach(search);
    double[] ms = new double[queries.size() * PASSES];
    int i = 0;
    for (int pass = 0; pass < PASSES; pass++) {
      for (String q : queries) {
        long t = System.nanoTime();
        search.accept(q);
        ms[i++] = (System.nanoTime() - t) / 1e6;
      }
    }
    Arrays.sort(ms);
    return new Stats(ms[ms.length / 2], ms[(int) (ms.length * 0.99)]);
  }

  /** Every SciFact sentence a chunk of its own, in one of 100 teams; 10% restricted. */
  private static void build(ContextEngine engine, Principal loader, BeirDataset scifact) {
    Random r = new Random(42);
    List<Document> batch = new ArrayList<>();
    int n = 0;
    long t0 = System.nanoTime();
    for (BeirDataset.Doc d : scifact.corpus()) {
      for (String sentence : sentences(d.text())) {
        Map<String, Object> tags = new HashMap<>();
        tags.put("department", List.of(team(r.nextInt(TEAMS))));
        tags.put(
            "classification",
            r.nextInt(10) == 0
                ? "restricted"
                : List.of("public", "internal", "confidential").get(r.nextInt(3)));
        if (r.nextInt(300) == 0) {
          tags.put("owner", "in-" + SEEN_TEAMS[r.nextInt(SEEN_TEAMS.length)]);
        }
        batch.add(new Document("s" + n++, 1, d.title(), sentence, "scifact:" + d.id(), tags));
        if (batch.size() == 256) {
          engine.ingest(loader, batch);
          batch.clear();
          if (n % 5_120 == 0) {
            System.out.printf(
                "indexed %d chunks, %.0f/s%n", n, n / ((System.nanoTime() - t0) / 1e9));
          }
        }
      }
    }
    engine.ingest(loader, batch);
    engine.commit(Map.of());
  }

  /** Sentences of an abstract; a fragment under 40 characters joins the next sentence. */
  static List<String> sentences(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String s : text.split("(?<=[.!?])\\s+(?=[A-Z(\\[])")) {
      pending.append(pending.isEmpty() ? "" : " ").append(s.strip());
      if (pending.length() >= 40) {
        out.add(pending.toString());
        pending.setLength(0);
      }
    }
    if (!pending.isEmpty()) {
      out.add(pending.toString());
    }
    return out;
  }

  private static String team(int i) {
    return String.format("t%02d", i);
  }

  /** A policy pack like the example's baseline, over 100 teams. */
  static Path writePack(Path dir) throws IOException {
    StringBuilder teams = new StringBuilder();
    for (int i = 0; i < TEAMS; i++) {
      teams.append(i == 0 ? "" : ", ").append(team(i));
    }
    Files.writeString(
        dir.resolve("schema.yaml"),
        """
        tags:
          classification:
            type: ordered
            values: [public, internal, confidential, restricted]
            required: true
          department:
            type: set
            values: [%s]
            required: true
          owner:
            type: principal
        principal_attributes:
          clearance:
            description: The highest classification the user may read.
        """
            .formatted(teams));
    StringBuilder principals = new StringBuilder();
    principals.append("loader:\n  roles: [loader]\n  attributes: {clearance: restricted}\n");
    for (int seen : SEEN_TEAMS) {
      List<String> groups = new ArrayList<>();
      for (int i = 0; i < seen; i++) {
        groups.add(team(i));
      }
      principals.append(
          "in-%d:\n  roles: [employee]\n  groups: [%s]\n  attributes: {clearance: %s}\n"
              .formatted(
                  seen, String.join(", ", groups), seen == TEAMS ? "restricted" : "confidential"));
    }
    Files.writeString(dir.resolve("principals.yaml"), principals.toString());
    Files.createDirectories(dir.resolve("policies"));
    Files.writeString(
        dir.resolve("policies/00-teams.yaml"),
        """
        - id: team-members-read
          effect: allow
          actions: [read]
          when: "principal.groups.exists(g, g in doc.department) && doc.classification <= principal.attributes.clearance"
        - id: owners-read-their-own
          effect: allow
          actions: [read]
          when: "has(doc.owner) && doc.owner == principal.subject"
        - id: restricted-needs-restricted-clearance
          effect: deny
          actions: [read]
          when: "doc.classification == 'restricted' && principal.attributes.clearance != 'restricted'"
        - id: loader-writes
          effect: allow
          actions: [read, ingest, delete]
          when: "'loader' in principal.roles"
        """);
    return dir;
  }
}
