package dev.anvil.modelcard;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A model's card: who trained it, from which job and task, when, and its <em>lineage</em> — the
 * tags it inherited from its training data, a level (string) per ordered tag and a list of values
 * per set tag, exactly as a document carries them. Everything else the trainer records (data
 * digests, hyperparameters, metrics) is kept in {@link #json()}.
 *
 * <p>The card lives as {@value #FILE} in the model's directory; {@link #write} and {@link #read}
 * are its only writer and reader.
 *
 * @param model the model's id (its directory name)
 * @param job the job that trained it
 * @param task the training task ({@code embedding}, {@code classifier})
 * @param owner the subject of the job's owner
 * @param created when the card was written
 * @param lineage the inherited tags: a string per ordered tag, a list of strings per set tag
 * @param json the whole card, these fields included
 */
public record ModelCard(
    String model,
    String job,
    String task,
    String owner,
    Instant created,
    SortedMap<String, Object> lineage,
    JsonObject json) {
  /** The card's file name in a model directory. */
  public static final String FILE = "anvil-model-card.json";

  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  public ModelCard {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(created, "created");
    lineage = Collections.unmodifiableSortedMap(new TreeMap<>(lineage));
    json = json.deepCopy();
  }

  /**
   * A card from the trainer's fields: {@code model}, {@code job}, {@code task}, {@code owner},
   * {@code created} (ISO-8601) and {@code lineage} are required; every other field is kept as it
   * is. Lineage values must be strings or collections of strings.
   *
   * @throws ModelCardException naming the field that is missing or malformed
   */
  public static ModelCard of(Map<String, ?> fields) {
    JsonObject o = GSON.toJsonTree(fields).getAsJsonObject();
    Object lineage = fields.get("lineage");
    if (!(lineage instanceof Map<?, ?> tags)) {
      throw new ModelCardException("field 'lineage': expected the tags of the training data");
    }
    JsonObject l = new JsonObject();
    tags.forEach((tag, value) -> l.add(String.valueOf(tag), lineageValue(tag, value)));
    o.add("lineage", l);
    return from(o, "the new card");
  }

  private static JsonElement lineageValue(Object tag, Object value) {
    if (value instanceof String s) {
      return GSON.toJsonTree(s);
    }
    if (value instanceof Collection<?> values) {
      JsonArray a = new JsonArray();
      for (Object v : values) {
        if (!(v instanceof String s)) {
          throw new ModelCardException("field 'lineage." + tag + "': expected strings, found " + v);
        }
        a.add(s);
      }
      return a;
    }
    throw new ModelCardException(
        "field 'lineage." + tag + "': expected a string or a list of strings, found " + value);
  }

  /**
   * Writes the card into {@code modelDir} as {@value #FILE}, replacing the file at once: a reader
   * sees the old card or the new one, never part of either.
   */
  public void write(Path modelDir) {
    Path file = modelDir.resolve(FILE);
    Path tmp = modelDir.resolve(FILE + ".tmp");
    try {
      Files.writeString(tmp, GSON.toJson(json) + "\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * The model's test report ({@value TestReport#FIELD}), if it has been measured.
   *
   * @throws ModelCardException if the field is there but malformed
   */
  public Optional<TestReport> testReport() {
    JsonElement e = json.get(TestReport.FIELD);
    return e == null || e.isJsonNull()
        ? Optional.empty()
        : Optional.of(TestReport.fromJson(e, "the card of " + model));
  }

  /**
   * This card with {@code report} recorded. Use {@link TestReport#once}, which also keeps two
   * callers from measuring at once.
   *
   * @throws ModelCardException if the card already has one: test is reported once per model
   */
  ModelCard withTestReport(TestReport report) {
    if (json.has(TestReport.FIELD)) {
      throw new ModelCardException(
          "the card of " + model + " already has a test report: test is reported once per model");
    }
    JsonObject o = json.deepCopy();
    o.add(TestReport.FIELD, report.toJson());
    return from(o, "the card of " + model);
  }

  /**
   * The card of the model in {@code modelDir}; empty if it has none (a base model, not trained by
   * Anvil).
   *
   * @throws ModelCardException if the card exists but cannot be read or lacks a required field
   */
  public static Optional<ModelCard> read(Path modelDir) {
    Path file = modelDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(Files.readString(file), file.toString()));
    } catch (IOException e) {
      throw new ModelCardException(file + ": cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * A card from its text; {@code origin} (a file, a response) names it in errors.
   *
   * @throws ModelCardException naming the origin and the field
   */
  public static ModelCard parse(String text, String origin) {
    JsonElement e;
    try {
      e = JsonParser.parseString(text);
    } catch (RuntimeException ex) {
      throw new ModelCardException(origin + ": not JSON: " + ex.getMessage(), ex);
    }
    if (!e.isJsonObject()) {
      throw new ModelCardException(origin + ": expected a JSON object");
    }
    return from(e.getAsJsonObject(), origin);
  }

  private static ModelCard from(JsonObject o, String origin) {
    String model = string(o, "model", origin);
    String job = string(o, "job", origin);
    String task = string(o, "task", origin);
    String owner = string(o, "owner", origin);
    Instant created;
    try {
      created = Instant.parse(string(o, "created", origin));
    } catch (DateTimeParseException ex) {
      throw new ModelCardException(origin + ": field 'created': not an ISO-8601 instant");
    }
    return new ModelCard(model, job, task, owner, created, lineage(o, origin), o);
  }

  private static String string(JsonObject o, String field, String origin) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive()) {
      throw new ModelCardException(origin + ": field '" + field + "': missing");
    }
    return e.getAsString();
  }

  private static SortedMap<String, Object> lineage(JsonObject o, String origin) {
    JsonElement e = o.get("lineage");
    if (e == null || !e.isJsonObject()) {
      throw new ModelCardException(origin + ": field 'lineage': missing");
    }
    SortedMap<String, Object> out = new TreeMap<>();
    for (Map.Entry<String, JsonElement> t : e.getAsJsonObject().entrySet()) {
      JsonElement v = t.getValue();
      if (v.isJsonPrimitive()) {
        out.put(t.getKey(), v.getAsString());
      } else if (v.isJsonArray()) {
        List<String> values = new ArrayList<>();
        for (JsonElement x : v.getAsJsonArray()) {
          if (!x.isJsonPrimitive()) {
            throw new ModelCardException(
                origin + ": field 'lineage." + t.getKey() + "': expected strings");
          }
          values.add(x.getAsString());
        }
        out.put(t.getKey(), List.copyOf(values));
      } else {
        throw new ModelCardException(
            origin
                + ": field 'lineage."
                + t.getKey()
                + "': expected a string or a list of strings");
      }
    }
    return out;
  }

  /** The card as the trainer wrote it (pretty JSON). */
  public String text() {
    return GSON.toJson(json);
  }
}
