package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.rbac.identity.TokenVerifier;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code anvil serve}: the context engine's gRPC server. */
@Command(
    name = "serve",
    description = {
      "Serve the context engine over gRPC (health and reflection included).",
      "Trusts tokens of --issuer, or of the local development issuer with --dev."
    },
    mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin Identities.IssuerOptions issuer;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--port",
      defaultValue = "7070",
      description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Override
  public Integer call() throws Exception {
    TokenVerifier verifier = issuer.verifier(); // refuses to start without an issuer or --dev
    OnnxEmbedder embedder = engineOptions.embedder();
    ContextEngine engine = engineOptions.open(pack, embedder);
    AuditLog audit = AuditLog.open(Identities.dataDir().resolve("audit.jsonl"));
    ContextServer server = ContextServer.start(host, port, engine, verifier, audit);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  engine.close(); // commits the index
                  audit.close();
                  embedder.close();
                }));
    pack.out()
        .printf(
            "anvil: serving %d chunks on %s:%d (policy %s, model %s, %s), audit in %s%n",
            engine.chunkCount(),
            host,
            server.port(),
            engine.policies().current().version(),
            engine.modelId(),
            issuer.dev ? "development issuer" : "issuer " + issuer.issuer(),
            audit.file());
    pack.out().flush();
    server.awaitTermination();
    return 0;
  }
}
