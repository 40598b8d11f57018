package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.index.IndexFields;
import dev.anvil.context.index.IndexSnapshot;
import dev.anvil.rbac.diff.DiffIndex;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One request's view of a cluster index. Every ranking carries its chunks' stored fields, kept here
 * under numbers of this snapshot (one number per chunk, whichever ranking found it first), so
 * reading a chunk back costs no request. The cancellation is checked before and after every
 * request; once it fired the snapshot throws {@link SearchCancelledException}. Not thread-safe.
 */
final class ElasticSnapshot implements IndexSnapshot {
  /** Stored fields a ranking returns: all but the vector (read on demand) and the terms. */
  private static final String NO_VECTOR = "{\"excludes\":[\"vector\"]}";

  /** Most distinct values of one tag a facet counts. */
  private static final int MAX_FACET_VALUES = 10_000;

  private final ElasticClient client;
  private final ClusterDialect dialect;
  private final String index;
  private final Cancellation cancellation;
  private final List<JsonObject> chunks = new ArrayList<>();
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> numbers = new HashMap<>();

  ElasticSnapshot(
      ElasticClient client, ClusterDialect dialect, String index, Cancellation cancellation) {
    this.client = client;
    this.dialect = dialect;
    this.index = index;
    this.cancellation = cancellation;
  }

  @Override
  public Optional<Ranked> bm25(String text, Filter filter, int n) {
    Optional<JsonObject> query = bm25Query(text, filter);
    if (query.isEmpty()) {
      return Optional.empty();
    }
    JsonObject body = new JsonObject();
    body.addProperty("size", n);
    body.addProperty("track_total_hits", COUNTED_EXACTLY_UP_TO);
    body.add("_source", ElasticIndex.Json.parse(NO_VECTOR));
    body.add("query", query.get());
    return Optional.of(ranked(search(body)));
  }

  /**
   * The terms of {@code text} (as the embedded index analyses them) matched against the chunk text
   * (any term, as Lucene's query builder does), within {@code filter}.
   */
  private static Optional<JsonObject> bm25Query(String text, Filter filter) {
    String terms = TermAnalysis.terms(text);
    if (terms.isEmpty()) {
      return Optional.empty();
    }
    JsonObject match = new JsonObject();
    JsonObject field = new JsonObject();
    field.addProperty("query", terms);
    match.add("text", field);
    JsonObject must = new JsonObject();
    must.add("match", match);
    JsonObject q = ElasticIndex.filtered(filter);
    JsonArray musts = new JsonArray();
    musts.add(must);
    q.getAsJsonObject("bool").add("must", musts);
    return Optional.of(q);
  }

  @Override
  public Map<String, Map<String, Long>> facets(String text, Filter filter, List<String> tags) {
    Optional<JsonObject> query = bm25Query(text, filter);
    if (query.isEmpty()) {
      return Map.of();
    }
    JsonObject aggs = new JsonObject();
    for (String tag : tags) {
      // Distinct documents per value: a chunk count would count long documents several times.
      aggs.add(
          "tag_" + tag,
          ElasticIndex.Json.parse(
              "{\"terms\":{\"field\":\""
                  + ElasticFilters.TAGS
                  + "."
                  + tag
                  + "\",\"size\":"
                  + MAX_FACET_VALUES
                  + "},\"aggs\":{\"docs\":{\"cardinality\":{\"field\":\"id\","
                  + "\"precision_threshold\":40000}}}}"));
    }
    JsonObject body = new JsonObject();
    body.addProperty("size", 0);
    body.addProperty("track_total_hits", false);
    body.add("query", query.get());
    body.add("aggs", aggs);
    JsonObject res = search(body).getAsJsonObject("aggregations");
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    for (String tag : tags) {
      Map<String, Long> counts = new TreeMap<>();
      for (JsonElement b : res.getAsJsonObject("tag_" + tag).getAsJsonArray("buckets")) {
        JsonObject bucket = b.getAsJsonObject();
        counts.put(
            bucket.get("key").getAsString(),
            bucket.getAsJsonObject("docs").get("value").getAsLong());
      }
      out.put(tag, counts);
    }
    return out;
  }

  @Override
  public Ranked admitted(Filter filter) {
    JsonObject body = new JsonObject();
    body.addProperty("size", 0);
    body.addProperty("track_total_hits", COUNTED_EXACTLY_UP_TO);
    body.add("query", ElasticIndex.filtered(filter));
    return ranked(search(body));
  }

  @Override
  public Ranked knn(float[] vector, Filter filter, int k) {
    JsonObject body = new JsonObject();
    body.addProperty("size", k);
    body.add("_source", ElasticIndex.Json.parse(NO_VECTOR));
    // inside the graph search: a pre-filter
    dialect.knn(body, "vector", vector, ElasticFilters.toQuery(filter), k);
    return ranked(search(body));
  }

  @Override
  public int[] byDocumentId(Filter filter, String afterId, int max) {
    JsonObject q = ElasticIndex.filtered(filter);
    if (!afterId.isEmpty()) {
      JsonObject gt = new JsonObject();
      gt.addProperty("gt", afterId);
      JsonObject range = new JsonObject();
      range.add("id", gt);
      JsonObject r = new JsonObject();
      r.add("range", range);
      q.getAsJsonObject("bool").getAsJsonArray("filter").add(r);
    }
    JsonObject body = new JsonObject();
    body.addProperty("size", max);
    body.add("_source", ElasticIndex.Json.parse(NO_VECTOR));
    body.add("query", q);
    body.add(
        "sort", ElasticIndex.Json.parse("{\"s\":[{\"id\":\"asc\"},{\"chunk\":\"asc\"}]}").get("s"));
    return ranked(search(body)).docs();
  }

  /**
   * This snapshot as the index of a policy diff: one request per filter, counted in the cluster
   * (see {@link ElasticDiff}). Stops, with {@link SearchCancelledException}, once the cancellation
   * fires.
   */
  @Override
  public DiffIndex diffIndex() {
    return new ElasticDiff(this::search);
  }

  @Override
  public ChunkRecord read(int doc, TagSchema schema) {
    check();
    return record(chunks.get(doc), schema);
  }

  @Override
  public String[] documentIds(int[] docs) {
    check();
    String[] out = new String[docs.length];
    for (int i = 0; i < docs.length; i++) {
      out[i] = chunks.get(docs[i]).get(IndexFields.ID).getAsString();
    }
    return out;
  }

  @Override
  public float[] vector(int doc) {
    JsonArray values = new JsonArray();
    values.add(ids.get(doc));
    JsonObject idsQuery = new JsonObject();
    idsQuery.add("values", values);
    JsonObject query = new JsonObject();
    query.add("ids", idsQuery);
    JsonObject body = new JsonObject();
    body.add("query", query);
    body.add("_source", ElasticIndex.Json.parse("{\"includes\":[\"vector\"]}"));
    JsonArray hits = search(body).getAsJsonObject("hits").getAsJsonArray("hits");
    if (hits.isEmpty()) {
      return new float[0];
    }
    JsonObject source = hits.get(0).getAsJsonObject().getAsJsonObject("_source");
    if (!source.has("vector")) {
      return new float[0];
    }
    JsonArray v = source.getAsJsonArray("vector");
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i).getAsFloat();
    }
    return out;
  }

  @Override
  public List<ChunkRecord> chunksOf(String id, TagSchema schema) {
    check();
    return chunksOf(client, index, id, schema, ElasticIndex.MAX_READ);
  }

  /** The first {@code max} chunks of a document, in order. */
  static List<ChunkRecord> chunksOf(
      ElasticClient client, String index, String id, TagSchema schema, int max) {
    JsonObject term = new JsonObject();
    term.addProperty("id", id);
    JsonObject q = new JsonObject();
    q.add("term", term);
    JsonObject body = new JsonObject();
    body.addProperty("size", max);
    body.add("_source", ElasticIndex.Json.parse(NO_VECTOR));
    body.add("query", q);
    body.add("sort", ElasticIndex.Json.parse("{\"s\":[{\"chunk\":\"asc\"}]}").get("s"));
    List<ChunkRecord> out = new ArrayList<>();
    for (JsonElement h :
        client
            .call("POST", "/" + index + "/_search", body)
            .getAsJsonObject("hits")
            .getAsJsonArray("hits")) {
      out.add(record(h.getAsJsonObject().getAsJsonObject("_source"), schema));
    }
    return out;
  }

  private JsonObject search(JsonObject body) {
    check();
    JsonObject res = client.call("POST", "/" + index + "/_search", body);
    check();
    return res;
  }

  private void check() {
    if (cancellation.isCancelled()) {
      throw new SearchCancelledException();
    }
  }

  /** The hits of a response under this snapshot's numbers, and the count within the threshold. */
  private Ranked ranked(JsonObject res) {
    JsonObject hits = res.getAsJsonObject("hits");
    JsonArray list = hits.getAsJsonArray("hits");
    int[] docs = new int[list.size()];
    float[] scores = new float[docs.length];
    for (int i = 0; i < docs.length; i++) {
      JsonObject h = list.get(i).getAsJsonObject();
      String esId = h.get("_id").getAsString();
      Integer n = numbers.get(esId);
      if (n == null) {
        n = chunks.size();
        chunks.add(h.getAsJsonObject("_source"));
        ids.add(esId);
        numbers.put(esId, n);
      }
      docs[i] = n;
      scores[i] =
          h.get("_score") == null || h.get("_score").isJsonNull()
              ? 0f
              : h.get("_score").getAsFloat();
    }
    long visible = docs.length;
    boolean exact = true;
    if (hits.has("total")) {
      JsonObject total = hits.getAsJsonObject("total");
      exact = total.get("relation").getAsString().equals("eq");
      visible = exact ? total.get("value").getAsLong() : COUNTED_EXACTLY_UP_TO;
    }
    return new Ranked(docs, scores, visible, exact);
  }

  /** A chunk's stored fields; set tags as lists (by the schema, else by how many values). */
  static ChunkRecord record(JsonObject s, TagSchema schema) {
    Map<String, Object> raw = new HashMap<>();
    if (s.has(ElasticFilters.TAGS)) {
      for (var e : s.getAsJsonObject(ElasticFilters.TAGS).entrySet()) {
        List<String> vs = new ArrayList<>();
        JsonElement v = e.getValue();
        if (v.isJsonArray()) {
          v.getAsJsonArray().forEach(x -> vs.add(x.getAsString()));
        } else {
          vs.add(v.getAsString());
        }
        String tag = e.getKey();
        boolean isSet =
            schema == null
                ? vs.size() > 1
                : schema.tag(tag).map(t -> !t.isScalar()).orElse(vs.size() > 1);
        if (!vs.isEmpty()) { // as the embedded index: an empty set stores nothing
          raw.put(tag, isSet ? List.copyOf(vs) : vs.getFirst());
        }
      }
    }
    return new ChunkRecord(
        s.get("id").getAsString(),
        s.get("version").getAsLong(),
        s.get("chunk").getAsInt(),
        s.get("title").getAsString(),
        s.get("body").getAsString(),
        s.get("source").getAsString(),
        s.get("tokens").getAsInt(),
        raw);
  }
}
