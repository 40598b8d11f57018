package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.rpc.TestCertificates;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The context engine over mTLS: an agent presents its certificate, and every audit record of its
 * calls, reads and writes alike, names the certificate beside the token's user.
 */
class ContextServerTlsTest {
  @TempDir Path dir;

  @Test
  void theClientCertificateOfACallIsInItsAuditRecords() throws Exception {
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf server = ca.server(dir, "engine");
    TestCertificates.Leaf agent = ca.client(dir, "agent-7");
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    DevTokenIssuer issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.json"), Clock.systemUTC());
    Path auditFile = dir.resolve("audit.jsonl");
    try (ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"), PolicyStore.open(TestPacks.example()), SharedEmbedder.get());
        AuditLog audit = AuditLog.open(auditFile);
        GrpcServer grpc =
            ContextServer.start(
                "127.0.0.1",
                0,
                new ServerTransport.Tls(
                    server.certFile(),
                    server.keyFile(),
                    Optional.of(ca.pem()),
                    true,
                    Duration.ofMinutes(1)),
                engine,
                issuer.verifier(),
                audit,
                dev.anvil.context.api.Limits.DEFAULTS,
                OpenTelemetry.noop())) {
      String token =
          issuer.mint(people.find("kafka-connector").orElseThrow(), "agent", Duration.ofMinutes(5));
      try (ContextClient client =
          ContextClient.connect(
              "127.0.0.1",
              grpc.port(),
              new ClientTransport.Tls(
                  Optional.of(ca.pem()),
                  Optional.of(agent.certFile()),
                  Optional.of(agent.keyFile())),
              () -> token,
              Duration.ofSeconds(30))) {
        client
            .ingest(
                List.of(
                    dev.anvil.context.grpc.v1.Document.newBuilder()
                        .setId("eng-1")
                        .setVersion(1)
                        .setTitle("Runbook")
                        .setBody("Upgrade the kernel.")
                        .putTags(
                            "classification",
                            dev.anvil.context.grpc.v1.TagValues.newBuilder()
                                .addValues("internal")
                                .build())
                        .putTags(
                            "department",
                            dev.anvil.context.grpc.v1.TagValues.newBuilder()
                                .addValues("engineering")
                                .build())
                        .build()))
            .get();
        client.search(SearchRequest.newBuilder().setQuery("kernel").setTopK(3).build());
      }
    }
    assertThat(Files.readAllLines(auditFile))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).contains("\"detail\":\"client_cert=CN=agent-7\""))
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"ingest\""))
        .anySatisfy(l -> assertThat(l).contains("\"action\":\"search\""));
  }
}
