package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The writes of a cluster index not yet sent, in order, and how they become one bulk request: each
 * upsert's chunks indexed under ids of their own, and the chunks past a replacement's last one (and
 * a deleted document's) deleted in the same request. Which chunks a document has indexed is read
 * from the searcher, so a document written since the last refresh must be refreshed before it is
 * written again ({@link #mustRefreshBefore}). Not thread-safe: its {@link ElasticIndex} serialises
 * writes.
 */
final class BulkWrites {
  /** Most documents one bulk request carries. */
  static final int BULK_DOCUMENTS = 500;

  private final ElasticClient client;
  private final String index;

  private sealed interface Pending {
    String id();
  }

  private record Upsert(String id, List<JsonObject> chunks) implements Pending {}

  private record Delete(String id) implements Pending {}

  private final List<Pending> pending = new ArrayList<>();
  private final Set<String> pendingIds = new HashSet<>();

  /** Ids sent since the last refresh: their chunks in the index are not yet what searches see. */
  private final Set<String> unrefreshed = new HashSet<>();

  BulkWrites(ElasticClient client, String index) {
    this.client = client;
    this.index = index;
  }

  /**
   * A document's stored chunks, and the tags (and ranks of ordered tags) they carry.
   *
   * @param sources one source document per chunk
   * @param tags names of the tags
   * @param ranks names of the ordered tags
   */
  record Chunks(List<JsonObject> sources, Set<String> tags, Set<String> ranks) {}

  /** The source documents of a document's chunks: its fields, its tags, the terms, the vector. */
  static Chunks chunks(
      Document doc, DocTags tags, List<String> chunks, int[] tokens, float[][] vectors) {
    Set<String> tagNames = new TreeSet<>();
    Set<String> rankNames = new TreeSet<>();
    JsonObject tagValues = new JsonObject();
    JsonObject ranks = new JsonObject();
    JsonArray present = new JsonArray();
    tags.values()
        .forEach(
            (name, value) -> {
              present.add(name);
              tagNames.add(name);
              JsonArray values = new JsonArray();
              switch (value) {
                case TagValue.Single s -> values.add(s.value());
                case TagValue.Level l -> {
                  values.add(l.name());
                  ranks.addProperty(name, l.rank());
                  rankNames.add(name);
                }
                case TagValue.Members m -> m.values().forEach(values::add);
              }
              tagValues.add(name, values);
            });
    List<JsonObject> sources = new ArrayList<>(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      JsonObject c = new JsonObject();
      c.addProperty("id", doc.id());
      c.addProperty("version", doc.version());
      c.addProperty("chunk", i);
      c.addProperty("title", doc.title());
      c.addProperty("body", chunks.get(i));
      c.addProperty("source", doc.source());
      c.addProperty("tokens", tokens[i]);
      // As the embedded index: the title and the chunk, analysed for BM25.
      c.addProperty("text", TermAnalysis.terms(doc.title() + "\n" + chunks.get(i)));
      JsonArray v = new JsonArray(vectors[i].length);
      for (float f : vectors[i]) {
        v.add(f);
      }
      c.add("vector", v);
      c.add(ElasticFilters.PRESENT, present);
      c.add(ElasticFilters.TAGS, tagValues);
      c.add(ElasticFilters.RANKS, ranks);
      sources.add(c);
    }
    return new Chunks(sources, tagNames, rankNames);
  }

  /**
   * Whether a write of {@code id} must wait for a refresh: an earlier one is not yet searchable.
   */
  boolean mustRefreshBefore(String id) {
    return pendingIds.contains(id) || unrefreshed.contains(id);
  }

  /** Queues a document's chunks; true once enough documents wait to fill a bulk request. */
  boolean upsert(String id, List<JsonObject> chunks) {
    pending.add(new Upsert(id, chunks));
    pendingIds.add(id);
    return pending.size() >= BULK_DOCUMENTS;
  }

  /** Queues the deletion of a document's chunks. */
  void delete(String id) {
    pending.add(new Delete(id));
    pendingIds.add(id);
  }

  /** The index was refreshed: everything sent is searchable. */
  void refreshed() {
    unrefreshed.clear();
  }

  /**
   * Sends the pending writes as one bulk request.
   *
   * @throws ContextException naming the first chunk the cluster refused, if any
   */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Integer> indexed = lastChunks(pendingIds);
    StringBuilder ndjson = new StringBuilder();
    for (Pending p : pending) {
      int keep =
          switch (p) {
            case Upsert u -> {
              for (int i = 0; i < u.chunks().size(); i++) {
                ndjson.append(action("index", u.id(), i)).append('\n');
                ndjson.append(u.chunks().get(i)).append('\n');
              }
              yield u.chunks().size();
            }
            case Delete d -> 0;
          };
      // Chunks past the new last one belong to the version replaced: they go in the same request.
      for (int i = keep; i <= indexed.getOrDefault(p.id(), -1); i++) {
        ndjson.append(action("delete", p.id(), i)).append('\n');
      }
    }
    unrefreshed.addAll(pendingIds);
    pending.clear();
    pendingIds.clear();
    if (ndjson.isEmpty()) {
      return;
    }
    JsonObject res = client.bulk("/" + index + "/_bulk", ndjson.toString());
    if (res.has("errors") && res.get("errors").getAsBoolean()) {
      throw new ContextException(
          "the cluster refused part of a bulk write to " + index + ": " + firstError(res));
    }
  }

  private static String firstError(JsonObject bulk) {
    for (JsonElement item : bulk.getAsJsonArray("items")) {
      for (var e : item.getAsJsonObject().entrySet()) {
        JsonObject op = e.getValue().getAsJsonObject();
        if (op.has("error")) {
          return e.getKey() + " " + op.get("_id").getAsString() + ": " + ElasticClient.reason(op);
        }
      }
    }
    return bulk.toString();
  }

  /** The bulk action line of one chunk. */
  private static String action(String op, String id, int chunk) {
    JsonObject meta = new JsonObject();
    meta.addProperty("_id", chunkId(id, chunk));
    JsonObject line = new JsonObject();
    line.add(op, meta);
    return line.toString();
  }

  /**
   * A chunk's {@code _id}: the SHA-256 of the document id and the chunk number, fixed-length
   * whatever the document id holds (ids may be long, or hold any text).
   */
  static String chunkId(String id, int chunk) {
    return ElasticConfig.digest(id) + "-" + chunk;
  }

  /** The last chunk number indexed (as searches see it) of each document that has one. */
  private Map<String, Integer> lastChunks(Set<String> ids) {
    JsonArray values = new JsonArray();
    ids.forEach(values::add);
    JsonObject terms = new JsonObject();
    terms.add("id", values);
    JsonObject query = new JsonObject();
    query.add("terms", terms);
    JsonObject body = new JsonObject();
    body.addProperty("size", 0);
    body.add("query", query);
    body.add(
        "aggs",
        ElasticIndex.Json.parse(
            "{\"ids\":{\"terms\":{\"field\":\"id\",\"size\":"
                + ids.size()
                + "},\"aggs\":{\"last\":{\"max\":{\"field\":\"chunk\"}}}}}"));
    JsonObject res = client.call("POST", "/" + index + "/_search", body);
    Map<String, Integer> out = new LinkedHashMap<>();
    for (JsonElement b :
        res.getAsJsonObject("aggregations").getAsJsonObject("ids").getAsJsonArray("buckets")) {
      JsonObject bucket = b.getAsJsonObject();
      out.put(
          bucket.get("key").getAsString(), bucket.getAsJsonObject("last").get("value").getAsInt());
    }
    return out;
  }
}
