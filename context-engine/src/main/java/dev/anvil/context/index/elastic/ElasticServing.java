package dev.anvil.context.index.elastic;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.context.api.ContextException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which index of the cluster serves, kept in the cluster itself so that every engine replica over
 * one index prefix serves the same model: three aliases, each on at most one index of the prefix.
 *
 * <ul>
 *   <li>{@code PREFIXserving}: the index searches use. Absent only before the first engine opened.
 *   <li>{@code PREFIXrollback}: the previous model's index, still written to, for a rollback.
 *   <li>{@code PREFIXbuilding}: the index a re-embedding fills, written to as well.
 * </ul>
 *
 * Every change is one {@code POST _aliases} request, which the cluster applies atomically (the same
 * request on Elasticsearch 8 and OpenSearch 2, so no {@link ClusterDialect} case); each removal is
 * {@code must_exist}, so a change computed from a state another replica has changed meanwhile is
 * refused as a whole instead of leaving two serving indexes. Each index records its engine
 * directory, model id and model directory in its mapping {@code _meta}; an alias on an index
 * outside the prefix, or whose metadata does not name the index it is on, is refused. Thread-safe.
 */
public final class ElasticServing implements AutoCloseable {
  /** One index of the prefix and its model, as its metadata records them. */
  public record Entry(String index, String dir, String modelId, Optional<String> modelDir) {
    public Entry {
      java.util.Objects.requireNonNull(index, "index");
      java.util.Objects.requireNonNull(dir, "dir");
      java.util.Objects.requireNonNull(modelId, "modelId");
      java.util.Objects.requireNonNull(modelDir, "modelDir");
    }
  }

  /**
   * The cluster's record.
   *
   * @param serving the serving index; empty before any engine claimed one
   * @param rollback the previous model's index, if one is kept
   * @param building the index a re-embedding fills, if one is under way (or left by a crash)
   */
  public record State(Optional<Entry> serving, Optional<Entry> rollback, Optional<Entry> building) {
    /** The index that receives every write besides the serving one. */
    public Optional<Entry> shadow() {
      return building.isPresent() ? building : rollback;
    }
  }

  private final ElasticConfig config;
  private final ElasticClient client;

  /** A client for the aliases of {@code config}'s prefix. */
  public ElasticServing(ElasticConfig config) {
    this.config = config;
    this.client = new ElasticClient(config);
  }

  /** The alias that names the serving index. */
  public static String servingAlias(ElasticConfig config) {
    return config.indexPrefix() + "serving";
  }

  /** The alias that names the rollback target. */
  public static String rollbackAlias(ElasticConfig config) {
    return config.indexPrefix() + "rollback";
  }

  /** The alias that names the index a re-embedding fills. */
  public static String buildingAlias(ElasticConfig config) {
    return config.indexPrefix() + "building";
  }

  /**
   * Reads the three aliases and the metadata of their indexes.
   *
   * @throws ContextException if an alias is on several indexes, on an index outside the prefix, or
   *     on an index whose metadata does not say it is this engine directory's index
   */
  public State read() {
    String serving = servingAlias(config);
    String rollback = rollbackAlias(config);
    String building = buildingAlias(config);
    String path = "/_alias/" + serving + "," + rollback + "," + building;
    // 404 lists the aliases found and names the missing ones; an index holds the alias map.
    JsonObject body = client.send("GET", path, null).body();
    Map<String, List<String>> on =
        Map.of(
            serving, new ArrayList<>(), rollback, new ArrayList<>(), building, new ArrayList<>());
    for (Map.Entry<String, JsonElement> e : body.entrySet()) {
      if (!e.getValue().isJsonObject() || !e.getValue().getAsJsonObject().has("aliases")) {
        continue; // "error" and "status" of a partial answer
      }
      for (String alias : e.getValue().getAsJsonObject().getAsJsonObject("aliases").keySet()) {
        if (on.containsKey(alias)) {
          on.get(alias).add(e.getKey());
        }
      }
    }
    return new State(
        entry(serving, on.get(serving)),
        entry(rollback, on.get(rollback)),
        entry(building, on.get(building)));
  }

  private Optional<Entry> entry(String alias, List<String> indexes) {
    if (indexes.isEmpty()) {
      return Optional.empty();
    }
    if (indexes.size() > 1) {
      throw new ContextException(
          "alias "
              + alias
              + " is on "
              + indexes.size()
              + " indexes "
              + indexes.stream().sorted().toList()
              + ", expected one: repair it with one POST _aliases request");
    }
    return Optional.of(describe(alias, indexes.getFirst()));
  }

  /** The metadata of {@code index}, checked to be the index of the directory it names. */
  private Entry describe(String alias, String index) {
    String chunks = config.indexPrefix() + "chunks";
    if (!index.equals(chunks) && !index.startsWith(chunks + "-")) {
      throw new ContextException(
          "alias "
              + alias
              + " is on index "
              + index
              + ", which is not an Anvil chunk index of"
              + " prefix '"
              + config.indexPrefix()
              + "' (expected "
              + chunks
              + "...)");
    }
    ElasticClient.Response r = client.send("GET", "/" + index + "/_mapping", null);
    if (!r.ok()) {
      throw ElasticClient.refused("GET", "/" + index + "/_mapping", r);
    }
    JsonObject mappings = r.body().getAsJsonObject(index).getAsJsonObject("mappings");
    JsonObject meta = mappings.has("_meta") ? mappings.getAsJsonObject("_meta") : new JsonObject();
    String dir = string(meta, ElasticIndex.DIR_KEY);
    String modelId = string(meta, ElasticIndex.MODEL_KEY);
    if (dir == null || modelId == null || !config.indexName(dir).equals(index)) {
      throw new ContextException(
          "alias "
              + alias
              + " is on index "
              + index
              + ", whose metadata does not name it ("
              + ElasticIndex.DIR_KEY
              + "="
              + dir
              + ", "
              + ElasticIndex.MODEL_KEY
              + "="
              + modelId
              + "): not an index an Anvil engine built; move the alias back");
    }
    return new Entry(
        index, dir, modelId, Optional.ofNullable(string(meta, ElasticIndex.MODEL_DIR_KEY)));
  }

  private static String string(JsonObject o, String key) {
    return o.has(key) && o.get(key).isJsonPrimitive() ? o.get(key).getAsString() : null;
  }

  /**
   * Puts the serving alias on {@code index} if no index has it: what the first engine over a prefix
   * does (with the index of directory {@code "."}). Several engines doing so at once put it on the
   * same index.
   */
  public void claim(String index) {
    if (read().serving().isEmpty()) {
      aliases(List.of(add(index, servingAlias(config))));
    }
  }

  /**
   * Forgets the rollback target and any other re-embedding, before a re-embedding starts (their
   * indexes stop receiving writes). Refused if the aliases are no longer on {@code expected}'s
   * indexes.
   */
  public void release(State expected) {
    List<JsonObject> actions = new ArrayList<>();
    expected.rollback().ifPresent(e -> actions.add(remove(e.index(), rollbackAlias(config))));
    expected.building().ifPresent(e -> actions.add(remove(e.index(), buildingAlias(config))));
    if (!actions.isEmpty()) {
      aliases(actions);
    }
  }

  /** Names {@code index} the index a re-embedding fills (after {@link #release}). */
  public void building(String index) {
    aliases(List.of(add(index, buildingAlias(config))));
  }

  /** Drops the building alias from {@code index}, if it is there. */
  public void unbuild(String index) {
    JsonObject remove = remove(index, buildingAlias(config));
    remove.getAsJsonObject("remove").addProperty("must_exist", false);
    ElasticClient.Response r = client.send("POST", "/_aliases", body(List.of(remove)));
    if (!r.ok() && r.status() != 404) {
      throw ElasticClient.refused("POST", "/_aliases", r);
    }
  }

  /**
   * Moves the serving alias from {@code from} to {@code to} and the rollback alias to {@code from},
   * in one request: {@code to} loses the alias {@code toWas} ({@link #buildingAlias} after a
   * re-embedding, {@link #rollbackAlias} for a rollback).
   *
   * @throws ContextException if {@code from} no longer serves or {@code to} no longer has {@code
   *     toWas} (another replica switched meantime); nothing changed then
   */
  public void swap(String from, String to, String toWas) {
    aliases(
        List.of(
            remove(from, servingAlias(config)),
            remove(to, toWas),
            add(to, servingAlias(config)),
            add(from, rollbackAlias(config))));
  }

  private void aliases(List<JsonObject> actions) {
    ElasticClient.Response r = client.send("POST", "/_aliases", body(actions));
    if (r.status() == 404) {
      throw new ContextException(
          "the cluster's serving aliases changed meanwhile (another replica switched or rolled"
              + " back); nothing was changed: "
              + ElasticClient.reason(r.body()));
    }
    if (!r.ok()) {
      throw ElasticClient.refused("POST", "/_aliases", r);
    }
  }

  private static JsonObject body(List<JsonObject> actions) {
    JsonArray a = new JsonArray();
    actions.forEach(a::add);
    JsonObject body = new JsonObject();
    body.add("actions", a);
    return body;
  }

  private static JsonObject add(String index, String alias) {
    JsonObject o = new JsonObject();
    o.addProperty("index", index);
    o.addProperty("alias", alias);
    JsonObject action = new JsonObject();
    action.add("add", o);
    return action;
  }

  private static JsonObject remove(String index, String alias) {
    JsonObject o = new JsonObject();
    o.addProperty("index", index);
    o.addProperty("alias", alias);
    o.addProperty("must_exist", true);
    JsonObject action = new JsonObject();
    action.add("remove", o);
    return action;
  }

  @Override
  public void close() {
    client.close();
  }
}
