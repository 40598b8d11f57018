package dev.anvil.context.index.elastic;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * The stream checkpoints (Kafka offsets) of the chunk indexes of a prefix: one document per index
 * and key in {@code PREFIXcheckpoints}. Replicas sharing an index each commit the partitions they
 * consume; a document per key means one replica's commit never overwrites another's (a mapping's
 * {@code _meta} is replaced whole, so two replicas merging into it lose each other's updates).
 * Thread-safe.
 */
final class ElasticCheckpoints {
  private final ElasticClient client;
  private final ElasticConfig config;
  private final String store;
  private final String index;
  private volatile boolean created;

  ElasticCheckpoints(ElasticClient client, ElasticConfig config, String index) {
    this.client = client;
    this.config = config;
    this.store = store(config);
    this.index = index;
  }

  static String store(ElasticConfig config) {
    return config.indexPrefix() + "checkpoints";
  }

  /** Writes {@code checkpoint}'s keys (others stay), visible to every replica when it returns. */
  void put(Map<String, String> checkpoint) {
    if (checkpoint.isEmpty()) {
      return;
    }
    create();
    StringBuilder ndjson = new StringBuilder();
    checkpoint.forEach(
        (k, v) -> {
          JsonObject id = new JsonObject();
          id.addProperty("_id", ElasticConfig.digest(index + "\n" + k));
          JsonObject action = new JsonObject();
          action.add("index", id);
          JsonObject doc = new JsonObject();
          doc.addProperty("index", index);
          doc.addProperty("key", k);
          doc.addProperty("value", v);
          ndjson.append(action).append('\n').append(doc).append('\n');
        });
    JsonObject r = client.bulk("/" + store + "/_bulk?refresh=true", ndjson.toString());
    if (r.has("errors") && r.get("errors").getAsBoolean()) {
      throw new dev.anvil.context.api.ContextException(
          "cannot write the checkpoint of " + index + " to " + store + ": " + r);
    }
  }

  /** The keys written for the index, empty if none. */
  Map<String, String> get() {
    Map<String, String> out = new TreeMap<>();
    for (JsonElement hit : hits()) {
      JsonObject src = hit.getAsJsonObject().getAsJsonObject("_source");
      out.put(src.get("key").getAsString(), src.get("value").getAsString());
    }
    return out;
  }

  /** Deletes the index's keys (the index is dropped). */
  void drop() {
    StringBuilder ndjson = new StringBuilder();
    for (JsonElement hit : hits()) {
      JsonObject id = new JsonObject();
      id.addProperty("_id", hit.getAsJsonObject().get("_id").getAsString());
      JsonObject action = new JsonObject();
      action.add("delete", id);
      ndjson.append(action).append('\n');
    }
    if (!ndjson.isEmpty()) {
      client.bulk("/" + store + "/_bulk?refresh=true", ndjson.toString());
    }
  }

  private com.google.gson.JsonArray hits() {
    JsonObject body =
        ElasticIndex.Json.parse(
            "{\"size\":" + ElasticIndex.MAX_READ + ",\"query\":{\"term\":{\"index\":\"\"}}}");
    body.getAsJsonObject("query").getAsJsonObject("term").addProperty("index", index);
    ElasticClient.Response r = client.send("POST", "/" + store + "/_search", body);
    if (r.status() == 404) {
      return new com.google.gson.JsonArray(); // nothing committed under this prefix yet
    }
    if (!r.ok()) {
      throw ElasticClient.refused("POST", "/" + store + "/_search", r);
    }
    return r.body().getAsJsonObject("hits").getAsJsonArray("hits");
  }

  private void create() {
    if (created) {
      return;
    }
    JsonObject body =
        ElasticIndex.Json.parse(
            "{\"settings\":{\"index\":{\"number_of_shards\":1}},\"mappings\":{\"dynamic\":"
                + "\"strict\",\"properties\":{\"index\":{\"type\":\"keyword\"},\"key\":{\"type\":"
                + "\"keyword\"},\"value\":{\"type\":\"keyword\",\"index\":false}}}}");
    body.getAsJsonObject("settings")
        .getAsJsonObject("index")
        .addProperty("number_of_replicas", config.replicas());
    ElasticClient.Response r = client.send("PUT", "/" + store, body);
    if (!r.ok() && !r.body().toString().contains("resource_already_exists_exception")) {
      throw ElasticClient.refused("PUT", "/" + store, r);
    }
    created = true;
  }
}
