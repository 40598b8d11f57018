package dev.anvil.context.index.elastic;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.ContextException;
import dev.anvil.rbac.schema.TagSchema;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A chunk index's mapping in the cluster: created with the tag schema's fields and the index's
 * metadata ({@code _meta}: model, chunking, engine directory, model directory), or checked against
 * them when the index exists (another model's vectors, other chunks or the other product's vector
 * field are refused at open), and extended when the schema gains a tag.
 */
final class IndexMapping {
  private final ElasticClient client;
  private final String index;
  private final Map<String, String> meta = new TreeMap<>();
  private final Set<String> mappedTags = new HashSet<>();
  private final Set<String> mappedRanks = new HashSet<>();

  private IndexMapping(ElasticClient client, String index) {
    this.client = client;
    this.index = index;
  }

  /** The index's metadata as it was opened. */
  Map<String, String> meta() {
    return meta;
  }

  /**
   * Creates the index of {@code index} with {@code fresh} as its metadata, or checks the one that
   * exists (and names it, if it is from before the serving alias).
   *
   * @throws ContextException if it holds another model's vectors or other chunks, maps its vectors
   *     for the other product, or is no chunk index
   */
  static IndexMapping openOrCreate(
      ElasticClient client,
      ClusterDialect dialect,
      String index,
      String modelId,
      ElasticConfig config,
      int dimension,
      String chunking,
      TagSchema schema,
      Map<String, String> fresh) {
    IndexMapping m = new IndexMapping(client, index);
    Map<String, String> meta = m.meta;
    ElasticClient.Response existing = client.send("GET", "/" + index + "/_mapping", null);
    if (existing.status() == 404) {
      ElasticClient.Response created =
          client.send(
              "PUT", "/" + index, ElasticMapping.create(config, dialect, dimension, schema, fresh));
      if (created.ok()) {
        meta.putAll(fresh);
        m.rememberMapped(ElasticMapping.tagFields(schema));
        return m;
      }
      if (!created.body().toString().contains("resource_already_exists_exception")) {
        throw ElasticClient.refused("PUT", "/" + index, created);
      }
      existing = client.send("GET", "/" + index + "/_mapping", null); // created meanwhile
    }
    if (!existing.ok()) {
      throw ElasticClient.refused("GET", "/" + index + "/_mapping", existing);
    }
    JsonObject mappings = existing.body().getAsJsonObject(index).getAsJsonObject("mappings");
    if (mappings.has("_meta")) {
      mappings
          .getAsJsonObject("_meta")
          .entrySet()
          .forEach(e -> meta.put(e.getKey(), e.getValue().getAsString()));
    }
    String written = meta.get(ElasticIndex.MODEL_KEY);
    if (written != null && !written.equals(modelId)) {
      throw new ContextException(
          "index "
              + index
              + " holds vectors of model "
              + written
              + ", not "
              + modelId
              + ": re-embed it or open it with that model");
    }
    String cut = meta.get(ElasticIndex.CHUNKING_KEY);
    if (cut != null && !cut.equals(chunking)) {
      throw new ContextException(
          "index "
              + index
              + " holds chunks cut with '"
              + cut
              + "', not '"
              + chunking
              + "': rebuild it (re-ingest its documents) with this version's chunking");
    }
    requireChunkIndex(index, mappings, "; choose another --es-index-prefix");
    JsonObject props = mappings.getAsJsonObject("properties");
    JsonElement vectorType = props.getAsJsonObject("vector").get("type");
    if (vectorType == null || !vectorType.getAsString().equals(dialect.vectorType())) {
      // Another product's index (a cluster migrated, or the wrong --backend): its kNN searches
      // would be refused one by one; say so once, at open.
      throw new ContextException(
          "index "
              + index
              + " maps its vectors as "
              + vectorType
              + ", not as "
              + dialect.vectorType()
              + " as "
              + dialect.product()
              + " does: is --backend right?");
    }
    for (String group : List.of(ElasticFilters.TAGS, ElasticFilters.RANKS)) {
      JsonObject g = props.has(group) ? props.getAsJsonObject(group) : new JsonObject();
      if (g.has("properties")) {
        Set<String> into = group.equals(ElasticFilters.TAGS) ? m.mappedTags : m.mappedRanks;
        into.addAll(g.getAsJsonObject("properties").keySet());
      }
    }
    if (!meta.containsKey(
        ElasticIndex.DIR_KEY)) { // an index from before the serving alias: name it
      Map<String, String> next = new TreeMap<>(meta);
      fresh.forEach((k, v) -> next.putIfAbsent(k, v));
      JsonObject body = new JsonObject();
      body.add("_meta", ElasticMapping.meta(next));
      client.call("PUT", "/" + index + "/_mapping", body);
      meta.putAll(next);
    }
    JsonObject wanted = ElasticMapping.tagFields(schema);
    m.mapTags(
        wanted.getAsJsonObject(ElasticFilters.TAGS).keySet(),
        wanted.getAsJsonObject(ElasticFilters.RANKS).keySet());
    return m;
  }

  /**
   * Refuses an index whose mapping has no vector field: not an Anvil chunk index.
   *
   * @param advice what to add to the message
   */
  static void requireChunkIndex(String index, JsonObject mappings, String advice) {
    if (mappings == null
        || !mappings.has("properties")
        || !mappings.getAsJsonObject("properties").has("vector")) {
      throw new ContextException(
          "index " + index + " exists but is not an Anvil chunk index (no vector field)" + advice);
    }
  }

  private void rememberMapped(JsonObject tagFields) {
    mappedTags.addAll(tagFields.getAsJsonObject(ElasticFilters.TAGS).keySet());
    mappedRanks.addAll(tagFields.getAsJsonObject(ElasticFilters.RANKS).keySet());
  }

  /** Adds the fields of tags the mapping lacks (a schema that gained a tag since). */
  synchronized void mapTags(Set<String> tags, Set<String> ranks) {
    Set<String> newTags = new TreeSet<>(tags);
    newTags.removeAll(mappedTags);
    Set<String> newRanks = new TreeSet<>(ranks);
    newRanks.removeAll(mappedRanks);
    if (newTags.isEmpty() && newRanks.isEmpty()) {
      return;
    }
    client.call("PUT", "/" + index + "/_mapping", ElasticMapping.addTags(newTags, newRanks));
    mappedTags.addAll(newTags);
    mappedRanks.addAll(newRanks);
  }
}
