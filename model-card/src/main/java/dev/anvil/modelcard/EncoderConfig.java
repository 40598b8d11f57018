package dev.anvil.modelcard;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a model turns a text into a vector around its ONNX graph: the pooling of its token vectors
 * and the prefixes of its queries and documents. Outputs are always scaled to unit length.
 *
 * <p>{@link #read} takes both from a model's files the way sentence-transformers saves them, so a
 * model directory from the Hugging Face hub or from {@code SentenceTransformer.save} needs nothing
 * of Anvil's own:
 *
 * <ul>
 *   <li>pooling from the Pooling module's {@code config.json} ({@code 1_Pooling/}, or the path
 *       {@code modules.json} gives it): {@code pooling_mode_cls_token} or {@code
 *       pooling_mode_mean_tokens};
 *   <li>prefixes from {@code config_sentence_transformers.json}'s {@code prompts}: {@code query}
 *       for queries, the first of {@code document}, {@code passage}, {@code corpus} for documents
 *       (the names sentence-transformers' {@code encode_query} and {@code encode_document} use).
 * </ul>
 *
 * <p>A model without these files gets {@link #DEFAULT}: mean pooling and no prefixes, which is what
 * sentence-transformers does with a plain encoder and what Anvil did before it read them.
 *
 * @param pooling how token vectors become the text's vector
 * @param prompts what goes before queries and before documents
 */
public record EncoderConfig(Pooling pooling, Prompts prompts) {
  /** Mean pooling, no prefixes: all-MiniLM-L6-v2, and any model directory without the files. */
  public static final EncoderConfig DEFAULT = new EncoderConfig(Pooling.MEAN, Prompts.NONE);

  /** sentence-transformers' list of modules, where the Pooling module's folder is named. */
  static final String MODULES_FILE = "modules.json";

  /** The Pooling module's folder when {@code modules.json} does not say. */
  static final String DEFAULT_POOLING_DIR = "1_Pooling";

  /** Where this module keeps the packaged models' sentence-transformers files. */
  public static final String PACKAGED = "/dev/anvil/modelcard/packaged/";

  /** Where sentence-transformers keeps a model's prompts. */
  static final String PROMPTS_FILE = "config_sentence_transformers.json";

  /** sentence-transformers' names of document prompts, in the order its encode_document tries. */
  private static final List<String> DOCUMENT_PROMPT_NAMES =
      List.of("document", "passage", "corpus");

  /** The Pooling module's flags: the first two are the ones Anvil implements. */
  private static final List<String> MODES =
      List.of(
          "pooling_mode_cls_token",
          "pooling_mode_mean_tokens",
          "pooling_mode_max_tokens",
          "pooling_mode_mean_sqrt_len_tokens",
          "pooling_mode_weightedmean_tokens",
          "pooling_mode_lasttoken");

  public EncoderConfig {
    Objects.requireNonNull(pooling, "pooling");
    Objects.requireNonNull(prompts, "prompts");
  }

  /**
   * Reads a model's configuration from its files.
   *
   * @param files a model file's bytes by its path relative to the model's root ({@code
   *     1_Pooling/config.json}), empty when there is no such file
   * @param where names the model in error messages (its directory, or packaged name)
   * @throws ModelCardException naming the file and field when a file is not valid JSON, has a field
   *     of the wrong type, or asks for a pooling Anvil does not implement
   */
  public static EncoderConfig read(Function<String, Optional<byte[]>> files, String where) {
    return new EncoderConfig(pooling(files, where), prompts(files, where));
  }

  /** Reads the configuration of the model in {@code dir} (see {@link #read}). */
  public static EncoderConfig directory(Path dir) {
    return read(
        file -> {
          Path p = dir.resolve(file);
          try {
            return Files.isRegularFile(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
          } catch (IOException e) {
            throw new ModelCardException(p + ": cannot be read: " + e.getMessage(), e);
          }
        },
        dir.toString());
  }

  /**
   * The configuration of a model packaged with Anvil, kept as sentence-transformers' files under
   * {@value #PACKAGED} in this module (the ONNX files come from langchain4j's jars, which have
   * none).
   */
  public static EncoderConfig packaged(String name) {
    return read(file -> resource(PACKAGED + name + "/" + file), "packaged model " + name);
  }

  /** A resource of the class path, empty if there is none. */
  public static Optional<byte[]> resource(String path) {
    try (InputStream in = EncoderConfig.class.getResourceAsStream(path)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new ModelCardException("resource " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Writes this configuration into a model directory as sentence-transformers does ({@code
   * 1_Pooling/config.json}, and {@code config_sentence_transformers.json} when there are prompts),
   * so that whoever serves the model, Anvil or sentence-transformers, embeds as it was trained.
   *
   * @param dimension the width of the model's vectors ({@code word_embedding_dimension})
   */
  public void write(Path dir, int dimension) throws IOException {
    Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    Files.createDirectories(dir.resolve(DEFAULT_POOLING_DIR));
    Map<String, Object> pool = new LinkedHashMap<>();
    pool.put("word_embedding_dimension", dimension);
    pool.put("pooling_mode_cls_token", pooling == Pooling.CLS);
    pool.put("pooling_mode_mean_tokens", pooling == Pooling.MEAN);
    Files.writeString(
        dir.resolve(DEFAULT_POOLING_DIR).resolve("config.json"), gson.toJson(pool) + "\n");
    if (!prompts.equals(Prompts.NONE)) {
      Map<String, Object> config =
          Map.of("prompts", Map.of("query", prompts.query(), "document", prompts.document()));
      Files.writeString(dir.resolve(PROMPTS_FILE), gson.toJson(config) + "\n");
    }
  }

  private static Pooling pooling(Function<String, Optional<byte[]>> files, String where) {
    String dir = poolingDir(files, where);
    String file = dir.isEmpty() ? "config.json" : dir + "/config.json";
    Optional<JsonObject> config = json(files, file, where);
    if (config.isEmpty()) {
      return DEFAULT.pooling();
    }
    List<String> asked = new ArrayList<>();
    for (String mode : MODES) {
      if (flag(config.get(), mode, file, where)) {
        asked.add(mode);
      }
    }
    // sentence-transformers concatenates the vectors of several modes; Anvil runs one.
    return switch (String.join(",", asked)) {
      case "pooling_mode_cls_token" -> Pooling.CLS;
      case "pooling_mode_mean_tokens" -> Pooling.MEAN;
      default ->
          throw new ModelCardException(
              where
                  + "/"
                  + file
                  + ": expected exactly one of pooling_mode_cls_token or pooling_mode_mean_tokens"
                  + " to be true, but was "
                  + asked);
    };
  }

  /**
   * The Pooling module's folder: from {@code modules.json} when it lists one (sentence-transformers
   * resolves modules through it), else {@value #DEFAULT_POOLING_DIR}.
   */
  private static String poolingDir(Function<String, Optional<byte[]>> files, String where) {
    Optional<JsonElement> modules = parse(files, MODULES_FILE, where);
    if (modules.isEmpty()) {
      return DEFAULT_POOLING_DIR;
    }
    if (!modules.get().isJsonArray()) {
      throw new ModelCardException(
          where + "/" + MODULES_FILE + ": expected a list of modules, but was " + modules.get());
    }
    for (JsonElement m : modules.get().getAsJsonArray()) {
      if (m.isJsonObject()
          && m.getAsJsonObject().get("type") instanceof JsonElement type
          && type.isJsonPrimitive()
          && type.getAsString().endsWith(".Pooling")
          && m.getAsJsonObject().get("path") instanceof JsonElement path
          && path.isJsonPrimitive()) {
        return path.getAsString();
      }
    }
    return DEFAULT_POOLING_DIR;
  }

  private static Prompts prompts(Function<String, Optional<byte[]>> files, String where) {
    Optional<JsonObject> config = json(files, PROMPTS_FILE, where);
    JsonElement prompts = config.map(c -> c.get("prompts")).orElse(null);
    if (prompts == null || prompts.isJsonNull()) {
      return DEFAULT.prompts();
    }
    if (!prompts.isJsonObject()) {
      throw new ModelCardException(
          where
              + "/"
              + PROMPTS_FILE
              + ": field 'prompts': expected an object of prompt name to text, but was "
              + prompts);
    }
    Map<String, JsonElement> byName = prompts.getAsJsonObject().asMap();
    String query = text(byName, "query", where);
    String document = "";
    for (String name : DOCUMENT_PROMPT_NAMES) {
      if (byName.containsKey(name)) {
        document = text(byName, name, where);
        break;
      }
    }
    return new Prompts(query, document);
  }

  private static String text(Map<String, JsonElement> prompts, String name, String where) {
    JsonElement v = prompts.get(name);
    if (v == null) {
      return "";
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
      throw new ModelCardException(
          where
              + "/"
              + PROMPTS_FILE
              + ": field 'prompts."
              + name
              + "': expected a string, but was "
              + v);
    }
    return v.getAsString();
  }

  private static boolean flag(JsonObject o, String field, String file, String where) {
    JsonElement v = o.get(field);
    if (v == null || v.isJsonNull()) {
      return false;
    }
    if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
      throw new ModelCardException(
          where + "/" + file + ": field '" + field + "': expected true or false, but was " + v);
    }
    return v.getAsBoolean();
  }

  private static Optional<JsonObject> json(
      Function<String, Optional<byte[]>> files, String file, String where) {
    Optional<JsonElement> e = parse(files, file, where);
    if (e.isPresent() && !e.get().isJsonObject()) {
      throw new ModelCardException(where + "/" + file + ": expected a JSON object");
    }
    return e.map(JsonElement::getAsJsonObject);
  }

  private static Optional<JsonElement> parse(
      Function<String, Optional<byte[]>> files, String file, String where) {
    Optional<byte[]> bytes = files.apply(file);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JsonParser.parseString(new String(bytes.get(), StandardCharsets.UTF_8)));
    } catch (JsonParseException e) {
      throw new ModelCardException(where + "/" + file + ": not valid JSON: " + e.getMessage(), e);
    }
  }
}
