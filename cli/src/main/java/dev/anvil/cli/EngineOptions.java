package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the embedded engine keeps its index, and how it embeds. */
final class EngineOptions {
  @Option(
      names = "--index",
      paramLabel = "DIR",
      description = "Index directory (default: <data dir>/index).")
  Path index;

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description =
          "Embedding model directory (model.onnx, tokenizer.json); default: the packaged all-MiniLM-L6-v2.")
  Path model;

  @Option(
      names = "--models",
      paramLabel = "DIR",
      description =
          "The trainer's model registry, whose models anvil model switch names by id (default:"
              + " <data dir>/models, where the trainer registers them).")
  Path models;

  @Option(
      names = "--audit",
      paramLabel = "FILE",
      description =
          "The audit log that records every write before it is made (default: <data dir>/audit.jsonl).")
  Path audit;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "ONNX Runtime threads (default: ${DEFAULT-VALUE}).")
  int threads;

  Path indexDir() {
    return index != null ? index : Identities.dataDir().resolve("index");
  }

  OnnxEmbedder embedder() {
    return OnnxEmbedder.open(
        model != null ? ModelSource.directory(model) : ModelSource.packagedMiniLm(), threads);
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
    return ModelRegistry.at(models != null ? models : TrainerOptions.models());
  }

  /** Opens the engine; a model it switched to (anvil model switch) loads from its directory. */
  ContextEngine open(PolicyCommand.PackOption pack, OnnxEmbedder embedder) {
    return ContextEngine.open(
        indexDir(),
        PolicyStore.open(pack.pack()),
        embedder,
        dir -> OnnxEmbedder.open(ModelSource.directory(dir), threads),
        registry(),
        io.opentelemetry.api.GlobalOpenTelemetry.get());
  }
}
