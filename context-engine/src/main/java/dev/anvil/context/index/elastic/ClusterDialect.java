package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * Where Elasticsearch 8 and OpenSearch 2 differ for a chunk index: how the vector field is mapped
 * and how a filtered kNN search is asked for. Everything else the backend sends (index settings,
 * strict mappings with {@code _meta}, bool/term/terms/range/ids queries, bulk writes, composite and
 * cardinality aggregations, refresh, stats) is the same request on both, and is written once.
 *
 * <p>Both searches run the approximate search inside the policy filter (a pre-filter, never a
 * post-filter): Elasticsearch's top-level {@code knn} with its {@code filter}, OpenSearch's {@code
 * knn} query with its inner {@code filter} on a field of the {@code lucene} engine (efficient
 * filtering: exact search where the filter admits few chunks, the filtered HNSW search otherwise).
 */
public enum ClusterDialect {
  /** Elasticsearch 8: a {@code dense_vector} field, the top-level {@code knn} search. */
  ELASTICSEARCH("Elasticsearch"),
  /**
   * OpenSearch 2 with the k-NN plugin: a {@code knn_vector} field of the {@code lucene} engine (no
   * native library), the {@code knn} query.
   */
  OPENSEARCH("OpenSearch");

  /** HNSW graph parameters of both: Lucene's defaults, as the embedded index. */
  private static final int HNSW_M = 16;

  private static final int HNSW_EF_CONSTRUCTION = 100;

  private final String product;

  ClusterDialect(String product) {
    this.product = product;
  }

  /** The product's name, for messages. */
  public String product() {
    return product;
  }

  /** The mapping type of the vector field: what an index of this dialect has. */
  String vectorType() {
    return switch (this) {
      case ELASTICSEARCH -> "dense_vector";
      case OPENSEARCH -> "knn_vector";
    };
  }

  /** Adds what a new index needs to search vectors to its {@code index} settings. */
  void vectorSettings(JsonObject index) {
    switch (this) {
      case ELASTICSEARCH -> {} // dense_vector needs no index setting
      case OPENSEARCH -> index.addProperty("knn", true);
    }
  }

  /**
   * The mapping of the vector field: full-precision HNSW with Lucene's defaults (not a quantized
   * default). Elasticsearch's {@code dot_product} and OpenSearch's {@code cosinesimil} score the
   * engine's unit-length vectors alike: {@code (1 + cos) / 2}.
   */
  JsonObject vectorField(int dimension) {
    JsonObject field = new JsonObject();
    field.addProperty("type", vectorType());
    switch (this) {
      case ELASTICSEARCH -> {
        field.addProperty("dims", dimension);
        field.addProperty("index", true);
        field.addProperty("similarity", "dot_product");
        JsonObject hnsw = new JsonObject();
        hnsw.addProperty("type", "hnsw");
        hnsw.addProperty("m", HNSW_M);
        hnsw.addProperty("ef_construction", HNSW_EF_CONSTRUCTION);
        field.add("index_options", hnsw);
      }
      case OPENSEARCH -> {
        field.addProperty("dimension", dimension);
        JsonObject params = new JsonObject();
        params.addProperty("m", HNSW_M);
        params.addProperty("ef_construction", HNSW_EF_CONSTRUCTION);
        JsonObject method = new JsonObject();
        method.addProperty("name", "hnsw");
        method.addProperty("engine", "lucene");
        method.addProperty("space_type", "cosinesimil");
        method.add("parameters", params);
        field.add("method", method);
      }
    }
    return field;
  }

  /**
   * Puts into a search {@code body} the {@code k} nearest chunks to {@code vector} on {@code field}
   * among those {@code filter} admits, the filter applied inside the graph search.
   */
  void knn(JsonObject body, String field, float[] vector, JsonObject filter, int k) {
    JsonArray v = new JsonArray(vector.length);
    for (float f : vector) {
      v.add(f);
    }
    switch (this) {
      case ELASTICSEARCH -> {
        JsonObject knn = new JsonObject();
        knn.addProperty("field", field);
        knn.add("query_vector", v);
        knn.addProperty("k", k);
        // As many candidates per shard as results: the beam of the embedded index's HNSW search.
        knn.addProperty("num_candidates", k);
        knn.add("filter", filter);
        body.add("knn", knn);
      }
      case OPENSEARCH -> {
        // The lucene engine's beam is k itself, as the embedded index's HNSW search.
        JsonObject params = new JsonObject();
        params.add("vector", v);
        params.addProperty("k", k);
        params.add("filter", filter);
        JsonObject byField = new JsonObject();
        byField.add(field, params);
        JsonObject query = new JsonObject();
        query.add("knn", byField);
        body.add("query", query);
      }
    }
  }
}
