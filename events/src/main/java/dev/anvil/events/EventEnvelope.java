package dev.anvil.events;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.util.Objects;

/**
 * The envelope of every event Anvil publishes (audit events, training job events), as one JSON
 * object:
 *
 * <pre>{@code
 * {"schema_version": 1, "id": "5f0c…", "type": "anvil.audit.search",
 *  "time": "2026-11-25T16:02:03.123456Z", "source": "anvil-context-engine", "data": {…}}
 * }</pre>
 *
 * <p>{@code id} is stable: an event sent twice (delivery is at least once) carries the same id, so
 * consumers drop duplicates by it. {@code type} says what {@code data} holds. See docs/events.md.
 *
 * @param id stable event id
 * @param type e.g. {@code anvil.audit.search}
 * @param time when the event happened
 * @param source the component that produced it
 * @param data the event itself, a JSON object
 */
public record EventEnvelope(String id, String type, Instant time, String source, JsonObject data) {
  // Readable text in files and topics: no \u003c for '<' (JSON readers decode both alike).
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  /** The envelope's schema version. */
  public static final int SCHEMA_VERSION = 1;

  public EventEnvelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(data, "data");
  }

  private static String text(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive()) {
      throw new IllegalArgumentException("event without '" + field + "'");
    }
    return e.getAsString();
  }

  /**
   * Wraps an event whose {@code data} carries its own {@code time}, with a type from its {@code
   * kind} field: {@code anvil.audit.} and the audit line's {@code action}, say.
   *
   * @throws IllegalArgumentException if {@code data} has no {@code time} or no {@code kind}
   */
  public static EventEnvelope of(
      String id, String typePrefix, String kind, JsonObject data, String source) {
    return new EventEnvelope(
        id, typePrefix + text(data, kind), Instant.parse(text(data, "time")), source, data);
  }

  /** The envelope as one line of JSON. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("schema_version", SCHEMA_VERSION);
    o.addProperty("id", id);
    o.addProperty("type", type);
    o.addProperty("time", time.toString());
    o.addProperty("source", source);
    o.add("data", data);
    return GSON.toJson(o);
  }

  /** Reads an envelope written by {@link #toJson()}. */
  public static EventEnvelope parse(String json) {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    int version = o.get("schema_version").getAsInt();
    if (version != SCHEMA_VERSION) {
      throw new IllegalArgumentException("envelope schema version " + version + " is not known");
    }
    return new EventEnvelope(
        text(o, "id"),
        text(o, "type"),
        Instant.parse(text(o, "time")),
        text(o, "source"),
        o.getAsJsonObject("data"));
  }
}
