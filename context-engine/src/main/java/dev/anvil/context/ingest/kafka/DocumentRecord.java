package dev.anvil.context.ingest.kafka;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.anvil.context.api.Document;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A record of the documents topic: JSON, keyed by the document id so that one document's changes
 * stay in order on one partition. Schema version 1:
 *
 * <pre>{@code
 * {"schema_version": 1, "op": "upsert", "id": "hr-system/42", "version": 7, "title": "...",
 *  "body": "...", "source": "https://hr.acme/42",
 *  "tags": {"classification": "restricted", "department": ["hr"], "source": "hr-system"}}
 * {"schema_version": 1, "op": "delete", "id": "hr-system/42"}
 * }</pre>
 *
 * <p>{@code title} and {@code source} are optional. A record does not choose who writes it: the
 * identity bound to the topic does (see {@link KafkaIngestor}), so a record with a {@code
 * principal} field is refused. Unknown fields are refused too, so a misspelt field is an error, not
 * a silent default.
 */
public sealed interface DocumentRecord {
  /** The only schema version this consumer reads. */
  int SCHEMA_VERSION = 1;

  /** The document id (the record key). */
  String id();

  /** Insert or replace a document. */
  record Upsert(Document document) implements DocumentRecord {
    public Upsert {
      Objects.requireNonNull(document, "document");
    }

    @Override
    public String id() {
      return document.id();
    }
  }

  /** Delete a document. */
  record Delete(String id) implements DocumentRecord {
    public Delete {
      Objects.requireNonNull(id, "id");
    }
  }

  /** The record as the JSON value of a Kafka record (UTF-8). */
  default byte[] toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("schema_version", SCHEMA_VERSION);
    switch (this) {
      case Upsert u -> {
        Document d = u.document();
        o.addProperty("op", "upsert");
        o.addProperty("id", d.id());
        o.addProperty("version", d.version());
        o.addProperty("title", d.title());
        o.addProperty("body", d.body());
        o.addProperty("source", d.source());
        JsonObject tags = new JsonObject();
        d.tags()
            .forEach(
                (k, v) -> {
                  if (v instanceof List<?> l) {
                    JsonArray a = new JsonArray();
                    l.forEach(x -> a.add(String.valueOf(x)));
                    tags.add(k, a);
                  } else {
                    tags.addProperty(k, String.valueOf(v));
                  }
                });
        o.add("tags", tags);
      }
      case Delete d -> {
        o.addProperty("op", "delete");
        o.addProperty("id", d.id());
      }
    }
    return new Gson().toJson(o).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads a record.
   *
   * @param key the record key (the document id), or null
   * @param value the record value
   * @throws InvalidRecordException naming the field that is wrong
   */
  static DocumentRecord parse(byte[] key, byte[] value) {
    if (value == null) {
      throw new InvalidRecordException("", "no value (a tombstone); send {\"op\": \"delete\"}");
    }
    JsonObject o = object(utf8(value, "value"));
    JsonElement version = o.get("schema_version");
    if (version == null) {
      throw new InvalidRecordException("schema_version", "missing");
    }
    if (!(version instanceof JsonPrimitive p
        && p.isNumber()
        && p.getAsDouble() == SCHEMA_VERSION)) {
      throw new InvalidRecordException(
          "schema_version", "expected " + SCHEMA_VERSION + ", was " + version);
    }
    String op = string(o, "op", true);
    String id = string(o, "id", true);
    if (key != null && !utf8(key, "key").equals(id)) {
      throw new InvalidRecordException(
          "id", "the record key must be the document id, was '" + utf8(key, "key") + "'");
    }
    if (o.has("principal")) {
      throw new InvalidRecordException(
          "principal",
          "a record may not name who writes it: every record of a topic is written by the"
              + " identity the topic is bound to");
    }
    Set<String> fields =
        switch (op) {
          case "upsert" -> UPSERT_FIELDS;
          case "delete" -> DELETE_FIELDS;
          default ->
              throw new InvalidRecordException(
                  "op", "expected \"upsert\" or \"delete\", was \"" + op + "\"");
        };
    for (String field : o.keySet()) {
      if (!fields.contains(field)) {
        throw new InvalidRecordException(
            field, "unknown field (an " + op + " of schema version 1 has " + fields + ")");
      }
    }
    if (op.equals("delete")) {
      return new Delete(id);
    }
    return new Upsert(
        new Document(
            id,
            number(o, "version"),
            Objects.requireNonNullElse(string(o, "title", false), ""),
            string(o, "body", true),
            Objects.requireNonNullElse(string(o, "source", false), ""),
            tags(o)));
  }

  /** The fields of an upsert record, in documentation order. */
  Set<String> UPSERT_FIELDS =
      java.util.Collections.unmodifiableSet(
          new java.util.LinkedHashSet<>(
              List.of("schema_version", "op", "id", "version", "title", "body", "source", "tags")));

  /** The fields of a delete record. */
  Set<String> DELETE_FIELDS =
      java.util.Collections.unmodifiableSet(
          new java.util.LinkedHashSet<>(List.of("schema_version", "op", "id")));

  private static String utf8(byte[] bytes, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidRecordException("", "the " + what + " is not UTF-8");
    }
  }

  private static JsonObject object(String json) {
    JsonElement e;
    try {
      JsonReader reader = new JsonReader(new StringReader(json));
      reader.setStrictness(Strictness.STRICT);
      e = JsonParser.parseReader(reader);
      if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
        throw new InvalidRecordException("", "not JSON: text after the object");
      }
    } catch (JsonParseException | java.io.IOException ex) {
      throw new InvalidRecordException("", "not JSON: " + rootMessage(ex));
    }
    if (!(e instanceof JsonObject o)) {
      throw new InvalidRecordException("", "expected a JSON object, was " + e);
    }
    return o;
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  private static String string(JsonObject o, String field, boolean required) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      if (required) {
        throw new InvalidRecordException(field, "missing");
      }
      return null;
    }
    if (!(e instanceof JsonPrimitive p && p.isString())) {
      throw new InvalidRecordException(field, "expected a string, was " + e);
    }
    return p.getAsString();
  }

  private static long number(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null) {
      throw new InvalidRecordException(field, "missing");
    }
    try {
      if (e instanceof JsonPrimitive p && p.isNumber()) {
        return p.getAsBigDecimal().longValueExact();
      }
    } catch (ArithmeticException ex) {
      // falls through: not a whole number that fits
    }
    throw new InvalidRecordException(field, "expected a whole number, was " + e);
  }

  private static Map<String, Object> tags(JsonObject o) {
    JsonElement e = o.get("tags");
    if (e == null) {
      throw new InvalidRecordException("tags", "missing: every document needs its tags");
    }
    if (!(e instanceof JsonObject t)) {
      throw new InvalidRecordException("tags", "expected an object of tag: value, was " + e);
    }
    Map<String, Object> tags = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> tag : t.entrySet()) {
      String field = "tags." + tag.getKey();
      if (tag.getValue() instanceof JsonPrimitive p && p.isString()) {
        tags.put(tag.getKey(), p.getAsString());
      } else if (tag.getValue() instanceof JsonArray a) {
        List<String> values = new ArrayList<>();
        for (JsonElement v : a) {
          if (!(v instanceof JsonPrimitive p && p.isString())) {
            throw new InvalidRecordException(field, "expected strings, found " + v);
          }
          values.add(p.getAsString());
        }
        tags.put(tag.getKey(), values);
      } else {
        throw new InvalidRecordException(
            field, "expected a string or a list of strings, was " + tag.getValue());
      }
    }
    return tags;
  }
}
