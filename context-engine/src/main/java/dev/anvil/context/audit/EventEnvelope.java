package dev.anvil.context.audit;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The envelope of every event Anvil publishes (audit events now, training job events later), as one
 * JSON object:
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
  /** The envelope's schema version. */
  public static final int SCHEMA_VERSION = 1;

  public EventEnvelope {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(data, "data");
  }

  /**
   * Wraps one line of the audit log ({@link AuditEvent#toJson()}). The id is derived from the line,
   * so re-sending the same line gives the same id.
   */
  public static EventEnvelope ofAuditLine(String line, String source) {
    JsonObject data = JsonParser.parseString(line).getAsJsonObject();
    return new EventEnvelope(
        UUID.nameUUIDFromBytes(line.getBytes(StandardCharsets.UTF_8)).toString(),
        "anvil.audit." + text(data, "action"),
        Instant.parse(text(data, "time")),
        source,
        data);
  }

  private static String text(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive()) {
      throw new IllegalArgumentException("audit line without '" + field + "'");
    }
    return e.getAsString();
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
    return new Gson().toJson(o);
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
