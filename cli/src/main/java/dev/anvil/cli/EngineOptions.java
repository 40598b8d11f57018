package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.search.Fusion;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the engine keeps its index (embedded, or in a cluster), and how it embeds. */
final class EngineOptions {
  @Mixin BackendOptions backend;

  @Option(
      names = "--index",
      paramLabel = "DIR",
      description = "Index directory (default: <data dir>/index).")
  Path index;

  @Option(
      names = "--model",
      paramLabel = "NAME|DIR",
      description =
          "Embedding model: a packaged one by name (all-minilm-l6-v2, all-minilm-l6-v2-q (int8),"
              + " bge-small-en-v1.5), or a"
              + " model directory (model.onnx, tokenizer.json, and sentence-transformers'"
              + " 1_Pooling/config.json and config_sentence_transformers.json for pooling and"
              + " prompts); default: all-minilm-l6-v2.")
  String model;

  @Option(
      names = "--models",
      paramLabel = "DIR",
      description =
          "The trainer's model registry, whose models anvil model switch names by id (default:"
              + " <data dir>/models, where the trainer registers them).")
  Path models;

  /** The model registry's directory: {@code --models}, or the trainer's default. */
  Path modelsDir() {
    return models != null ? models : TrainerOptions.models();
  }

  @Option(
      names = "--audit",
      paramLabel = "FILE",
      description =
          "The audit log that records every write before it is made (default: <data dir>/audit.jsonl).")
  Path audit;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description =
          "Cores the embedding model uses, 1 to "
              + MAX_THREADS
              + ": as many single-threaded ONNX Runtime sessions, each"
              + " holding its own copy of the model, embed batches side by side"
              + " (default: ${DEFAULT-VALUE}).")
  int threads;

  /** Sessions opened at the most: each holds the model (90 MB for MiniLM, 130 for bge-small). */
  static final int MAX_THREADS = 64;

  /**
   * {@code --threads}.
   *
   * @throws ContextException if it is out of range, naming the option
   */
  private int threads() {
    if (threads < 1 || threads > MAX_THREADS) {
      throw new ContextException(
          "--threads: expected 1 to "
              + MAX_THREADS
              + " (one ONNX Runtime session, and one copy of the model, each), not "
              + threads);
    }
    return threads;
  }

  @Option(
      names = "--fusion-k",
      defaultValue = "60",
      paramLabel = "K",
      description =
          "Hybrid search's reciprocal rank fusion constant, 1 to 10000: smaller trusts each"
              + " retriever's top ranks more; choose it with anvil eval fusion on your experts'"
              + " judgments (default: ${DEFAULT-VALUE}).")
  int fusionK;

  /**
   * The fusion {@code --fusion-k} names.
   *
   * @throws ContextException if it is out of range, naming the option
   */
  Fusion fusion() {
    try {
      return new Fusion(fusionK);
    } catch (IllegalArgumentException e) {
      throw new ContextException("--fusion-k: " + e.getMessage());
    }
  }

  Path indexDir() {
    return index != null ? index : Identities.dataDir().resolve("index");
  }

  OnnxEmbedder embedder() {
    return OnnxEmbedder.open(modelSource(model), threads());
  }

  /**
   * What {@code --model} names: a packaged model by its name, else a directory (write {@code
   * ./NAME} for a directory that has a packaged model's name).
   *
   * @throws ContextException if it is neither, listing the packaged names
   */
  static ModelSource modelSource(String model) {
    if (model == null) {
      return ModelSource.packagedMiniLm();
    }
    if (ModelSource.packagedNames().contains(model)) {
      return ModelSource.packaged(model);
    }
    if (!Files.isDirectory(Path.of(model))) {
      throw new ContextException(
          "--model: expected a packaged model ("
              + String.join(", ", ModelSource.packagedNames())
              + ") or a model directory, but '"
              + model
              + "' is neither");
    }
    return ModelSource.directory(Path.of(model));
  }

  /** Opens the audit log (one process writes it at a time). */
  AuditLog openAudit() {
    return AuditLog.open(audit != null ? audit : Identities.dataDir().resolve("audit.jsonl"));
  }

  /** Records the writes {@code who} makes with the CLI on {@code engine} in {@code log}. */
  static WriteAudit recorder(AuditLog log, Principal who, ContextEngine engine) {
    return log.recorder(who.subject(), who.subject(), "anvil-cli", engine::modelId);
  }

  ModelRegistry registry() {
    return ModelRegistry.at(modelsDir());
  }

  /** Opens the engine; a model it switched to (anvil model switch) loads from its directory. */
  ContextEngine open(PolicyCommand.PackOption pack, OnnxEmbedder embedder) {
    Fusion fusion = fusion(); // refused before anything opens
    ContextEngine engine =
        ContextEngine.open(
            indexDir(),
            backend.backend(),
            PolicyStore.open(pack.pack()),
            embedder,
            dir -> OnnxEmbedder.open(ModelSource.directory(dir), threads()),
            registry(),
            io.opentelemetry.api.GlobalOpenTelemetry.get());
    engine.fuseWith(fusion);
    return engine;
  }
}
