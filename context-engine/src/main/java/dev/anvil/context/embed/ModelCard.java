package dev.anvil.context.embed;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.api.ContextException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the engine reads of a model directory's {@code anvil-model-card.json} (written by the
 * trainer): the model's lineage, the tags it inherited from its training data, on which policies
 * decide who may put it in service.
 */
public final class ModelCard {
  /** The card's file name in a model directory. */
  public static final String FILE = "anvil-model-card.json";

  private ModelCard() {}

  /**
   * The lineage as raw tags (level or value as a string, sets as lists), or empty if the directory
   * has no card (a base model, not trained by Anvil).
   *
   * @throws ContextException if the card cannot be read or has no lineage
   */
  public static Optional<Map<String, Object>> lineage(Path modelDir) {
    Path card = modelDir.resolve(FILE);
    if (!Files.exists(card)) {
      return Optional.empty();
    }
    try {
      JsonObject o = JsonParser.parseString(Files.readString(card)).getAsJsonObject();
      if (!o.has("lineage") || !o.get("lineage").isJsonObject()) {
        throw new ContextException(card + ": field 'lineage': missing");
      }
      Map<String, Object> out = new TreeMap<>();
      for (Map.Entry<String, JsonElement> e : o.getAsJsonObject("lineage").entrySet()) {
        if (e.getValue().isJsonArray()) {
          List<String> values = new ArrayList<>();
          e.getValue().getAsJsonArray().forEach(v -> values.add(v.getAsString()));
          out.put(e.getKey(), values);
        } else {
          out.put(e.getKey(), e.getValue().getAsString());
        }
      }
      return Optional.of(out);
    } catch (IOException | RuntimeException e) {
      if (e instanceof ContextException c) {
        throw c;
      }
      throw new ContextException(card + ": not a readable model card: " + e.getMessage(), e);
    }
  }
}
