package dev.anvil.trainer.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads JSON-lines data sets. Embedding pairs: {@code {"query", "positive", "negative"?, "tags"}};
 * classification: {@code {"text", "label", "tags"}}. An example without {@code tags} takes the data
 * set's tags from the job spec; with neither it is refused, never treated as public.
 */
public final class Datasets {
  /** Most problems reported before giving up on a file. */
  static final int MAX_PROBLEMS = 20;

  private Datasets() {}

  /** The kind of examples a task needs. */
  public enum Kind {
    PAIRS,
    LABELED
  }

  /** Reads every example of {@code file}, or throws listing what is wrong where. */
  public static List<Example> read(Path file, Kind kind, Map<String, Object> defaultTags) {
    List<Example> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file)) {
      int n = 0;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        String where = file.getFileName() + ":" + n;
        try {
          out.add(example(where, JsonParser.parseString(line), kind, defaultTags));
        } catch (IllegalArgumentException
            | IllegalStateException
            | com.google.gson.JsonParseException e) {
          problems.add(where + ": " + e.getMessage());
          if (problems.size() == MAX_PROBLEMS) {
            problems.add(file + ": stopped after " + MAX_PROBLEMS + " problems");
            break;
          }
        }
      }
    } catch (IOException e) {
      throw new DatasetException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    if (!problems.isEmpty()) {
      throw new DatasetException(problems);
    }
    if (out.isEmpty()) {
      throw new DatasetException(List.of(file + ": no examples"));
    }
    return out;
  }

  private static Example example(
      String where, JsonElement e, Kind kind, Map<String, Object> defaultTags) {
    if (!(e instanceof JsonObject o)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    Map<String, Object> tags = o.has("tags") ? tags(o.get("tags")) : defaultTags;
    if (tags.isEmpty()) {
      throw new IllegalArgumentException(
          "field 'tags': missing, and the data set has no default tags in the job spec");
    }
    return switch (kind) {
      case PAIRS ->
          new Example.Pair(
              where,
              text(o, "query"),
              text(o, "positive"),
              o.has("negative") ? Optional.of(text(o, "negative")) : Optional.empty(),
              tags);
      case LABELED -> new Example.Labeled(where, text(o, "text"), text(o, "label"), tags);
    };
  }

  private static String text(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null) {
      throw new IllegalArgumentException("field '" + field + "': missing");
    }
    if (!(e instanceof JsonPrimitive p && p.isString()) || p.getAsString().isBlank()) {
      throw new IllegalArgumentException(
          "field '" + field + "': expected non-empty text, was " + e);
    }
    return p.getAsString();
  }

  private static Map<String, Object> tags(JsonElement e) {
    if (!(e instanceof JsonObject t)) {
      throw new IllegalArgumentException("field 'tags': expected an object of tag: value");
    }
    Map<String, Object> tags = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> v : t.entrySet()) {
      if (v.getValue() instanceof JsonPrimitive p && p.isString()) {
        tags.put(v.getKey(), p.getAsString());
      } else if (v.getValue() instanceof JsonArray a) {
        List<String> values = new ArrayList<>();
        a.forEach(x -> values.add(x.getAsString()));
        tags.put(v.getKey(), values);
      } else {
        throw new IllegalArgumentException(
            "field 'tags." + v.getKey() + "': expected a string or a list of strings");
      }
    }
    return tags;
  }
}
