package dev.anvil.trainer.service;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A registered model, from its card.
 *
 * @param lineage the tags it inherited from its data: a level (string) per ordered tag, a list of
 *     values per other tag
 * @param path its directory on the trainer's volume
 * @param onnx whether it has {@code model.onnx}, so that the context engine can serve it
 * @param card the whole model card (JSON)
 */
public record ModelInfo(
    String id,
    String job,
    String task,
    String owner,
    Instant created,
    SortedMap<String, Object> lineage,
    Path path,
    boolean onnx,
    String card) {
  /** The card's file name in a model directory. */
  public static final String CARD = "anvil-model-card.json";

  /** Reads the card of the model in {@code dir}. */
  static ModelInfo read(Path dir) {
    try {
      return parse(
          dir.getFileName().toString(),
          Files.readString(dir.resolve(CARD)),
          dir.toAbsolutePath(),
          Files.isRegularFile(dir.resolve("model.onnx")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the model card in " + dir, e);
    }
  }

  /** A model from its card's text. */
  public static ModelInfo parse(String id, String card, Path path, boolean onnx) {
    JsonObject o = JsonParser.parseString(card).getAsJsonObject();
    return new ModelInfo(
        id,
        string(o, "job"),
        string(o, "task"),
        string(o, "owner"),
        o.has("created") ? Instant.parse(o.get("created").getAsString()) : Instant.EPOCH,
        lineage(o.getAsJsonObject("lineage")),
        path,
        onnx,
        card);
  }

  private static String string(JsonObject o, String field) {
    return o.has(field) ? o.get(field).getAsString() : "";
  }

  private static SortedMap<String, Object> lineage(JsonObject o) {
    SortedMap<String, Object> out = new TreeMap<>();
    if (o == null) {
      return out;
    }
    for (var e : o.entrySet()) {
      JsonElement v = e.getValue();
      if (v.isJsonArray()) {
        List<String> values = new ArrayList<>();
        v.getAsJsonArray().forEach(x -> values.add(x.getAsString()));
        out.put(e.getKey(), List.copyOf(values));
      } else {
        out.put(e.getKey(), v.getAsString());
      }
    }
    return out;
  }
}
