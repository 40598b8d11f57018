package dev.anvil.context.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Limits;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.rpc.TestCertificates;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.opentelemetry.api.OpenTelemetry;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the MCP endpoint shares with the gRPC listener: callers' rates, and TLS. */
class McpTransportSecurityTest {
  @TempDir Path data;

  @Test
  void aCallersRateIsOneBudgetAcrossGrpcAndMcp() {
    Limits slow = McpHttpServerTest.LIMITS.withCallerRate(0.001, 3);
    try (McpFixture mcp = McpFixture.start(data, slow);
        GrpcServer grpc =
            ContextServer.start(
                "127.0.0.1",
                0,
                ServerTransport.LOOPBACK_PLAINTEXT,
                mcp.engine,
                mcp.issuer.verifier(),
                mcp.audit,
                slow,
                mcp.admission,
                OpenTelemetry.noop())) {
      String grpcToken =
          mcp.token("alice", DevTokenIssuer.ENGINE_AUDIENCE); // the gRPC service's own audience
      try (ContextClient client =
          ContextClient.connect(
              "127.0.0.1", grpc.port(), () -> grpcToken, Duration.ofSeconds(20))) {
        for (int i = 0; i < 3; i++) {
          client.search(
              dev.anvil.context.grpc.v1.SearchRequest.newBuilder()
                  .setQuery("kernel")
                  .setTopK(3)
                  .build());
        }
      }
      try (McpSyncClient alice = mcp.client(mcp.token("alice"));
          McpSyncClient hannah = mcp.client(mcp.token("hannah"))) {
        // alice spent her burst over gRPC: MCP refuses her too, naming the limit.
        CallToolResult refused = McpHttpServerTest.call(alice, "search", Map.of("query", "kernel"));
        assertThat(refused.isError()).isTrue();
        assertThat(McpHttpServerTest.text(refused))
            .isEqualTo(
                "more than 0.001 requests per second (burst 3) from alice (limit"
                    + " max-requests-per-second); retry later");
        // Another caller's budget is her own.
        assertThat(McpHttpServerTest.call(hannah, "search", Map.of("query", "kernel")).isError())
            .isFalse();
      }
      assertThat(mcp.auditLines().getLast())
          .contains("\"subject\":\"hannah\"")
          .contains("\"status\":\"OK\"");
      assertThat(mcp.auditLines())
          .anySatisfy(
              r ->
                  assertThat(r)
                      .contains("\"subject\":\"alice\"")
                      .contains("\"status\":\"RESOURCE_EXHAUSTED\"")
                      .contains("via=mcp"));
    }
  }

  @Test
  void servesTlsFromThePemFilesAndRefusesPlaintextOffLoopback() throws Exception {
    TestCertificates.Ca ca = TestCertificates.ca(data, "Anvil test CA");
    TestCertificates.Leaf cert = ca.server(data, "engine");
    try (McpFixture mcp =
        McpFixture.start(
            data,
            McpHttpServerTest.LIMITS,
            ServerTransport.Tls.of(cert.certFile(), cert.keyFile()))) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca.certificate());
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      try (McpSyncClient alice =
          McpFixture.client(
              "https://127.0.0.1:" + mcp.server.port(),
              HttpClient.newBuilder().sslContext(ssl),
              mcp.token("alice"))) {
        assertThat(McpHttpServerTest.call(alice, "list_tags", Map.of()).isError()).isFalse();
      }
      // A client that does not trust the certificate gets no answer.
      assertThatThrownBy(
              () ->
                  McpFixture.client(
                      "https://127.0.0.1:" + mcp.server.port(),
                      HttpClient.newBuilder(),
                      mcp.token("alice")))
          .isNotNull();

      assertThatThrownBy(
              () ->
                  McpHttpServer.start(
                      "0.0.0.0",
                      0,
                      ServerTransport.LOOPBACK_PLAINTEXT,
                      mcp.issuer.verifier(),
                      mcp.tools,
                      McpHttpServer.Options.of(DevTokenIssuer.ISSUER)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("refusing to serve plaintext on 0.0.0.0");
    }
  }
}
