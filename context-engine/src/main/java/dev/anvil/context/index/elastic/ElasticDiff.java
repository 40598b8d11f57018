package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.ContextException;
import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.DiffIndex;
import dev.anvil.rbac.filter.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A policy diff counted inside the cluster: each filter is one search request whose query is the
 * filter (compiled by {@link ElasticFilters}, as every search) restricted to each document's first
 * chunk, so that a document counts once; the cluster returns the number of documents, a {@code
 * terms} aggregation per tag (documents per value), and the smallest ids overall and per value. No
 * document is fetched beyond the sample ids, and none is decided here.
 *
 * <p>Why the first chunk stands for its document: every chunk of a document carries the document's
 * tags (see {@link BulkWrites}) and a filter reads nothing but tags, so a document matches exactly
 * when its chunk 0 does; every indexed document has a chunk 0, and a replacement overwrites it in
 * the same refresh as its other chunks. That makes every count an exact document count (a {@code
 * cardinality} aggregation would only estimate it).
 *
 * <p>The counts are exact across shards: each shard returns every value of a tag (the response
 * proves it, or the request is refused with the tag named), and the smallest ids in key order,
 * whose union holds the smallest overall. Ids are ordered as the index orders them, by UTF-8 bytes:
 * {@link Breakdown#ID_ORDER}, as the embedded index's samples.
 */
final class ElasticDiff implements DiffIndex {
  /**
   * Most values of one tag a diff counts: more than any schema lists; more fail with the tag named.
   */
  static final int MAX_VALUES = 10_000;

  private final UnaryOperator<JsonObject> search;

  /**
   * @param search sends a search body to the snapshot's index (checking its cancellation) and
   *     returns the response
   */
  ElasticDiff(UnaryOperator<JsonObject> search) {
    this.search = search;
  }

  @Override
  public Breakdown breakdown(Filter filter, List<String> tags, int samples) {
    // The filter's size was checked by PolicyDiff (DiffIndex.MAX_NODES, MAX_DEPTH), within the
    // clause and nesting limits a cluster applies.
    JsonObject res = search.apply(body(ElasticFilters.toQuery(filter), tags, samples));
    long documents = res.getAsJsonObject("hits").getAsJsonObject("total").get("value").getAsLong();
    List<String> overall = new ArrayList<>();
    for (JsonElement h : res.getAsJsonObject("hits").getAsJsonArray("hits")) {
      overall.add(h.getAsJsonObject().getAsJsonArray("sort").get(0).getAsString());
    }
    JsonObject aggs = res.has("aggregations") ? res.getAsJsonObject("aggregations") : null;
    List<Breakdown.TagCounts> byTag = new ArrayList<>();
    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      JsonObject agg = aggs.getAsJsonObject("t" + i);
      if (agg.get("sum_other_doc_count").getAsLong() != 0
          || agg.get("doc_count_error_upper_bound").getAsLong() != 0) {
        throw new ContextException(
            "a policy diff counts at most "
                + MAX_VALUES
                + " values of a tag; the documents it matched hold more values of '"
                + tag
                + "'");
      }
      List<Breakdown.Bucket> buckets = new ArrayList<>();
      for (JsonElement b : agg.getAsJsonArray("buckets")) {
        JsonObject bucket = b.getAsJsonObject();
        List<String> ids = new ArrayList<>();
        if (samples > 0) {
          for (JsonElement id : bucket.getAsJsonObject("ids").getAsJsonArray("buckets")) {
            ids.add(id.getAsJsonObject().get("key").getAsString());
          }
        }
        buckets.add(
            new Breakdown.Bucket(
                bucket.get("key").getAsString(), bucket.get("doc_count").getAsLong(), ids));
      }
      byTag.add(new Breakdown.TagCounts(tag, buckets));
    }
    return new Breakdown(documents, overall, byTag);
  }

  /**
   * The request: {@code filter} on first chunks, counted exactly, the smallest ids as the hits, and
   * per tag (aggregations named {@code t0}, {@code t1}... so no tag name reaches a key) the
   * documents per value with their smallest ids.
   */
  private static JsonObject body(JsonObject filter, List<String> tags, int samples) {
    JsonArray clauses = new JsonArray();
    clauses.add(filter);
    JsonObject chunk = new JsonObject();
    chunk.addProperty("chunk", 0);
    JsonObject first = new JsonObject();
    first.add("term", chunk);
    clauses.add(first);
    JsonObject bool = new JsonObject();
    bool.add("filter", clauses);
    JsonObject query = new JsonObject();
    query.add("bool", bool);

    JsonObject aggs = new JsonObject();
    for (int i = 0; i < tags.size(); i++) {
      JsonObject agg = new JsonObject();
      agg.add("terms", terms(ElasticFilters.TAGS + "." + tags.get(i), MAX_VALUES));
      if (samples > 0) {
        JsonObject ids = new JsonObject();
        ids.add("terms", terms("id", samples));
        JsonObject sub = new JsonObject();
        sub.add("ids", ids);
        agg.add("aggs", sub);
      }
      aggs.add("t" + i, agg);
    }

    JsonObject body = new JsonObject();
    body.add("query", query);
    body.addProperty("track_total_hits", true);
    body.addProperty("size", samples);
    body.addProperty("_source", false);
    body.add("sort", ElasticIndex.Json.parse("{\"s\":[{\"id\":\"asc\"}]}").get("s"));
    body.add("aggs", aggs);
    return body;
  }

  /**
   * A {@code terms} aggregation over {@code field}, by key ascending: exact across shards (each
   * returns its smallest keys, among which are the smallest overall), and the same order whatever
   * the counts.
   */
  private static JsonObject terms(String field, int size) {
    JsonObject t = new JsonObject();
    t.addProperty("field", field);
    t.addProperty("size", size);
    JsonObject order = new JsonObject();
    order.addProperty("_key", "asc");
    t.add("order", order);
    return t;
  }
}
