package dev.anvil.context.index.elastic;

import com.google.gson.JsonObject;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import java.util.Map;

/**
 * The index settings and field mappings of a chunk index, generated from the tag schema: a keyword
 * field per tag ({@code tags.<name>}), an integer rank per ordered tag ({@code ranks.<name>}) for
 * the level ranges the compiled filter uses, and the fixed chunk fields. Mappings are strict: a
 * field that is not mapped is refused, never guessed.
 */
final class ElasticMapping {
  private ElasticMapping() {}

  /** The body that creates the index. */
  static JsonObject create(
      ElasticConfig config,
      ClusterDialect dialect,
      int dimension,
      TagSchema schema,
      Map<String, String> meta) {
    JsonObject index = new JsonObject();
    index.addProperty("number_of_shards", config.shards());
    index.addProperty("number_of_replicas", config.replicas());
    // Writes become visible only when the engine refreshes: a search sees the old chunks of a
    // document or the new ones, never a mix, as with the embedded index.
    index.addProperty("refresh_interval", "-1");
    dialect.vectorSettings(index);
    JsonObject settings = new JsonObject();
    settings.add("index", index);

    JsonObject props = new JsonObject();
    props.add("id", type("keyword"));
    props.add("version", notIndexed("long"));
    props.add("chunk", type("integer"));
    props.add("title", notIndexed("text"));
    props.add("body", notIndexed("text"));
    props.add("source", notIndexed("text"));
    props.add("tokens", notIndexed("integer"));
    JsonObject text = type("text");
    text.addProperty("analyzer", "whitespace"); // terms arrive analysed (TermAnalysis)
    props.add("text", text);
    props.add("vector", dialect.vectorField(dimension));
    props.add(ElasticFilters.PRESENT, type("keyword"));
    props.add(ElasticFilters.TAGS, object(new JsonObject()));
    props.add(ElasticFilters.RANKS, object(new JsonObject()));
    JsonObject mappings = new JsonObject();
    mappings.addProperty("dynamic", "strict");
    JsonObject source = new JsonObject();
    com.google.gson.JsonArray excludes = new com.google.gson.JsonArray();
    excludes.add("text");
    source.add("excludes", excludes);
    mappings.add("_source", source);
    mappings.add("_meta", meta(meta));
    mappings.add("properties", props);
    JsonObject tags = tagFields(schema);
    props
        .getAsJsonObject(ElasticFilters.TAGS)
        .add("properties", tags.getAsJsonObject(ElasticFilters.TAGS));
    props
        .getAsJsonObject(ElasticFilters.RANKS)
        .add("properties", tags.getAsJsonObject(ElasticFilters.RANKS));

    JsonObject body = new JsonObject();
    body.add("settings", settings);
    body.add("mappings", mappings);
    return body;
  }

  /** The fields of every tag of {@code schema}: {@code {tags: {...}, ranks: {...}}}. */
  static JsonObject tagFields(TagSchema schema) {
    JsonObject tags = new JsonObject();
    JsonObject ranks = new JsonObject();
    for (TagDefinition t : schema.tags()) {
      tags.add(t.name(), type("keyword"));
      if (t.type() == TagType.ORDERED) {
        ranks.add(t.name(), type("integer"));
      }
    }
    JsonObject out = new JsonObject();
    out.add(ElasticFilters.TAGS, tags);
    out.add(ElasticFilters.RANKS, ranks);
    return out;
  }

  /**
   * A mapping update adding fields: {@code tags.<t>} for each name, {@code ranks.<t>} for ranks.
   */
  static JsonObject addTags(Iterable<String> tagNames, Iterable<String> rankNames) {
    JsonObject tags = new JsonObject();
    tagNames.forEach(t -> tags.add(t, type("keyword")));
    JsonObject ranks = new JsonObject();
    rankNames.forEach(t -> ranks.add(t, type("integer")));
    JsonObject props = new JsonObject();
    JsonObject tagsObj = object(new JsonObject());
    tagsObj.add("properties", tags);
    JsonObject ranksObj = object(new JsonObject());
    ranksObj.add("properties", ranks);
    props.add(ElasticFilters.TAGS, tagsObj);
    props.add(ElasticFilters.RANKS, ranksObj);
    JsonObject body = new JsonObject();
    body.add("properties", props);
    return body;
  }

  static JsonObject meta(Map<String, String> meta) {
    JsonObject m = new JsonObject();
    meta.forEach(m::addProperty);
    return m;
  }

  private static JsonObject object(JsonObject o) {
    o.addProperty("type", "object");
    o.addProperty("dynamic", "strict");
    return o;
  }

  private static JsonObject notIndexed(String type) {
    JsonObject o = type(type);
    o.addProperty("index", false);
    return o;
  }

  private static JsonObject type(String type) {
    JsonObject o = new JsonObject();
    o.addProperty("type", type);
    return o;
  }
}
