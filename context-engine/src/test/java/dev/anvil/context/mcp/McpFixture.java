package dev.anvil.context.mcp;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.ThreeDocuments;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.Admission;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A context engine with three documents of different classifications (eng-1 internal engineering,
 * hr-1 confidential compensation, pub-1 public), judgments in an embedded store, the development
 * issuer, an audit log, and its MCP endpoint on 127.0.0.1 accepting tokens for {@link
 * DevTokenIssuer#MCP_AUDIENCE}.
 */
final class McpFixture implements AutoCloseable {
  final Path dir;
  final ContextEngine engine;
  final AuditLog audit;
  final DevTokenIssuer issuer;
  final PrincipalDirectory people;
  final Limits limits;
  final Admission admission;
  final Store store;
  final Judging judging;
  final McpTools tools;
  final McpHttpServer server;

  private McpFixture(Path dir, Limits limits, ServerTransport transport) {
    this.dir = dir;
    this.limits = limits;
    people = ThreeDocuments.people();
    engine = ThreeDocuments.engine(dir.resolve("index"), HashEmbedder.of("hash", 16));
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    admission = new Admission(limits);
    store = Store.open(StoreConfig.embedded(dir));
    judging = Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false);
    tools =
        new McpTools(
            engine,
            audit,
            admission,
            limits,
            Clock.systemUTC(),
            OpenTelemetry.noop(),
            Optional.of(judging));
    server =
        McpHttpServer.start(
            "127.0.0.1",
            0,
            transport,
            issuer.verifier(
                DevTokenIssuer.MCP_AUDIENCE, () -> engine.policies().current().schema()),
            tools,
            McpHttpServer.Options.of(DevTokenIssuer.ISSUER));
  }

  static McpFixture start(Path dir, Limits limits) {
    return new McpFixture(dir, limits, ServerTransport.LOOPBACK_PLAINTEXT);
  }

  static McpFixture start(Path dir, Limits limits, ServerTransport transport) {
    return new McpFixture(dir, limits, transport);
  }

  /** A token for {@code who}, meant for the MCP endpoint. */
  String token(String who) {
    return token(who, DevTokenIssuer.MCP_AUDIENCE);
  }

  String token(String who, String audience) {
    return issuer.mint(
        people.find(who).orElseThrow(), "test-agent", Duration.ofMinutes(5), audience);
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** The SDK's own client over Streamable HTTP, sending {@code token}, initialized. */
  McpSyncClient client(String token) {
    return client(baseUrl(), HttpClient.newBuilder(), token);
  }

  static McpSyncClient client(String baseUrl, HttpClient.Builder http, String token) {
    HttpClientStreamableHttpTransport transport =
        HttpClientStreamableHttpTransport.builder(baseUrl)
            .endpoint(McpHttpServer.PATH)
            .clientBuilder(http)
            .httpRequestCustomizer(
                (request, method, uri, body, context) ->
                    request.header("Authorization", "Bearer " + token))
            .build();
    McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
    client.initialize();
    return client;
  }

  /** The audit log's records, one JSON line each. */
  List<String> auditLines() {
    try {
      return Files.readAllLines(audit.file());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.close();
    store.close();
    engine.close();
    audit.close();
  }
}
