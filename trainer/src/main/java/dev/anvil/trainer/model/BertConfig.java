package dev.anvil.trainer.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The architecture of a BERT-family encoder, as in a Hugging Face {@code config.json}.
 *
 * @param vocabSize tokens in the vocabulary
 * @param hiddenSize width of every layer
 * @param layers transformer layers
 * @param heads attention heads (must divide {@code hiddenSize})
 * @param intermediateSize width of the feed-forward layer
 * @param maxPositions longest input in tokens
 * @param typeVocabSize token types (segments)
 * @param layerNormEps epsilon of every LayerNorm
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int layers,
    int heads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    double layerNormEps) {
  public BertConfig {
    if (vocabSize < 1 || hiddenSize < 1 || layers < 1 || heads < 1 || intermediateSize < 1) {
      throw new IllegalArgumentException("every size must be positive: " + this);
    }
    if (hiddenSize % heads != 0) {
      throw new IllegalArgumentException(
          "hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + heads);
    }
  }

  /** Width of one attention head. */
  public int headSize() {
    return hiddenSize / heads;
  }

  /** Reads {@code config.json}; errors name the file and field. */
  public static BertConfig read(Path file) {
    JsonObject o;
    try {
      o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException(file + ": not a readable JSON object: " + e.getMessage(), e);
    }
    String type = o.has("model_type") ? o.get("model_type").getAsString() : "bert";
    if (!type.equals("bert")) {
      throw new ModelFormatException(
          file
              + ": model_type \""
              + type
              + "\" is not supported (only BERT-family encoders, \"bert\")");
    }
    String act = o.has("hidden_act") ? o.get("hidden_act").getAsString() : "gelu";
    if (!act.equals("gelu")) {
      throw new ModelFormatException(file + ": hidden_act \"" + act + "\" is not supported (gelu)");
    }
    try {
      return new BertConfig(
          integer(o, "vocab_size", file),
          integer(o, "hidden_size", file),
          integer(o, "num_hidden_layers", file),
          integer(o, "num_attention_heads", file),
          integer(o, "intermediate_size", file),
          integer(o, "max_position_embeddings", file),
          o.has("type_vocab_size") ? o.get("type_vocab_size").getAsInt() : 2,
          o.has("layer_norm_eps") ? o.get("layer_norm_eps").getAsDouble() : 1e-12);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  private static int integer(JsonObject o, String field, Path file) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new ModelFormatException(file + ": field '" + field + "' missing or not a number");
    }
    return e.getAsInt();
  }

  /** Writes {@code config.json} as Hugging Face's BertModel reads it. */
  public void write(Path file) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("model_type", "bert");
    com.google.gson.JsonArray arch = new com.google.gson.JsonArray();
    arch.add("BertModel");
    o.add("architectures", arch);
    o.addProperty("vocab_size", vocabSize);
    o.addProperty("hidden_size", hiddenSize);
    o.addProperty("num_hidden_layers", layers);
    o.addProperty("num_attention_heads", heads);
    o.addProperty("intermediate_size", intermediateSize);
    o.addProperty("max_position_embeddings", maxPositions);
    o.addProperty("type_vocab_size", typeVocabSize);
    o.addProperty("layer_norm_eps", layerNormEps);
    o.addProperty("hidden_act", "gelu");
    o.addProperty("hidden_dropout_prob", 0.1);
    o.addProperty("attention_probs_dropout_prob", 0.1);
    o.addProperty("pad_token_id", 0);
    o.addProperty("torch_dtype", "float32");
    Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
  }
}
