package dev.anvil.context;

import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rpc.GrpcServer;
import java.nio.file.Path;
import java.time.Clock;

/** The engine as a separate process, for tests that kill it: prints {@code PORT n} when ready. */
public final class EngineProcessMain {
  private EngineProcessMain() {}

  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    PolicyPack pack = new PolicyPack(Path.of(args[1]));
    ContextEngine engine =
        ContextEngine.open(
            data.resolve("index"),
            PolicyStore.open(pack),
            OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1));
    AuditLog audit = AuditLog.open(data.resolve("audit.jsonl"));
    DevTokenIssuer issuer =
        DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
    GrpcServer server = ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
    System.out.println("PORT " + server.port());
    System.out.flush();
    server.awaitTermination();
  }
}
