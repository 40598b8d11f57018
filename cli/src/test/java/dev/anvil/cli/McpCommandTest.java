package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestUtils;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil mcp} (stdio, as a development principal) and {@code anvil serve --mcp-port} (the
 * HTTP endpoint beside gRPC), each in its own JVM as a user runs them, called by the MCP SDK's
 * client.
 */
@Tag("heavy")
class McpCommandTest {
  @TempDir Path data;
  Path index;
  String pack;

  @BeforeEach
  void corpus() throws Exception {
    System.setProperty("anvil.data", data.toString()); // the in-process commands' data
    pack = PolicyCommandTest.examplePack().toString();
    index = data.resolve("index");
    Path docs = data.resolve("docs.jsonl");
    Files.writeString(
        docs,
        """
        {"id": "eng-1", "version": 1, "title": "Kernel upgrade runbook", "body": "Upgrade the kernel on the build cluster one node at a time.", "source": "test://eng-1", "tags": {"classification": "internal", "department": ["engineering"]}}
        {"id": "hr-1", "version": 1, "title": "2027 salary bands", "body": "Salary bands and bonus targets for every level, kernel team included.", "source": "test://hr-1", "tags": {"classification": "confidential", "department": ["hr"], "topics": ["compensation"]}}
        """);
    PolicyCommandTest.Run ingest =
        PolicyCommandTest.anvil(
            "ingest",
            docs.toString(),
            "--as",
            "kafka-connector",
            "--index",
            index.toString(),
            "--pack",
            pack);
    assertThat(ingest.exit()).as(ingest.err()).isZero();
  }

  @AfterEach
  void clear() {
    System.clearProperty("anvil.data");
  }

  private static String text(CallToolResult r) {
    return ((TextContent) r.content().getFirst()).text();
  }

  @Test
  void stdioServesTheToolsAsTheDevelopmentPrincipal() throws Exception {
    for (String who : List.of("alice", "hannah")) {
      List<String> cmd =
          TestJvm.command(
              Main.class, "mcp", "--dev", "--as", who, "--index", index.toString(), "--pack", pack);
      ServerParameters process =
          ServerParameters.builder(cmd.getFirst())
              .args(cmd.subList(1, cmd.size()))
              .addEnvVar("ANVIL_DATA", data.toString())
              .addEnvVar("OTEL_SDK_DISABLED", "true")
              .build();
      try (McpSyncClient client =
          McpClient.sync(new StdioClientTransport(process, McpJsonDefaults.getMapper()))
              .requestTimeout(Duration.ofMinutes(1))
              .initializationTimeout(Duration.ofMinutes(1))
              .build()) {
        client.initialize();
        assertThat(client.listTools().tools())
            .extracting(Tool::name)
            .containsExactly("search", "get_document", "list_tags", "submit_feedback");
        CallToolResult search =
            client.callTool(new CallToolRequest("search", Map.of("query", "kernel salary")));
        CallToolResult hr =
            client.callTool(new CallToolRequest("get_document", Map.of("document_id", "hr-1")));
        if (who.equals("alice")) {
          assertThat(text(search)).contains("eng-1").doesNotContain("hr-1");
          assertThat(hr.isError()).isTrue();
          assertThat(text(hr)).isEqualTo("no document 'hr-1' that you may read");
        } else {
          assertThat(text(search)).contains("hr-1").doesNotContain("eng-1");
          assertThat(hr.isError()).isFalse();
          assertThat(text(hr)).contains("Salary bands");
        }
      }
    }
    assertThat(Files.readString(data.resolve("audit.jsonl")))
        .contains("\"subject\":\"alice\",\"username\":\"alice\",\"agent\":\"anvil-mcp-stdio\"")
        .contains("via=mcp-stdio");
  }

  @Test
  void aNamedPrincipalNeedsDev() {
    PolicyCommandTest.Run r =
        PolicyCommandTest.anvil(
            "mcp", "--as", "alice", "--index", index.toString(), "--pack", pack);
    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err()).contains("only with --dev").contains("--token");
  }

  @Test
  void serveOpensTheMcpEndpointBesideGrpcForItsOwnAudience() throws Exception {
    Path log = data.resolve("serve.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                TestJvm.command(
                    Main.class,
                    "serve",
                    "--dev",
                    "--port",
                    "0",
                    "--mcp-port",
                    "0",
                    "--index",
                    index.toString(),
                    "--pack",
                    pack))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_") || k.startsWith("ANVIL_"));
    pb.environment().put("ANVIL_DATA", data.toString());
    pb.environment().put("OTEL_SDK_DISABLED", "true");
    Process serve = pb.start();
    try {
      Pattern started =
          Pattern.compile("MCP on (http://127\\.0\\.0\\.1:\\d+)/mcp \\(tokens for anvil-mcp\\)");
      String base =
          TestUtils.waitFor(
              () -> {
                Matcher m = started.matcher(read(log));
                return m.find() ? m.group(1) : null;
              },
              b -> b != null || !serve.isAlive(),
              Duration.ofMinutes(2),
              "anvil serve to open its MCP endpoint");
      assertThat(base).as(read(log)).isNotNull();

      PolicyCommandTest.Run mint =
          PolicyCommandTest.anvil(
              "token", "mint", "--as", "alice", "--audience", "anvil-mcp", "--pack", pack);
      assertThat(mint.exit()).as(mint.err()).isZero();
      try (McpSyncClient alice = client(base, mint.out().strip())) {
        CallToolResult search =
            alice.callTool(new CallToolRequest("search", Map.of("query", "kernel")));
        assertThat(text(search)).contains("eng-1").doesNotContain("hr-1");
      }
      // A token for the gRPC service (anvil token mint's default) does not open it.
      String grpcToken =
          PolicyCommandTest.anvil("token", "mint", "--as", "alice", "--pack", pack).out().strip();
      assertThatThrownBy(() -> client(base, grpcToken))
          .satisfies(
              e ->
                  assertThat(
                          org.assertj.core.util.Throwables.getRootCause(e)
                                  instanceof
                                  io.modelcontextprotocol.client.transport
                                          .McpHttpClientTransportAuthorizationException
                                      refused
                              ? refused.getResponseInfo().statusCode()
                              : -1)
                      .as("the client's error: %s", e)
                      .isEqualTo(401));
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(1, TimeUnit.MINUTES)).isTrue();
    }
  }

  private static McpSyncClient client(String base, String token) {
    McpSyncClient c =
        McpClient.sync(
                HttpClientStreamableHttpTransport.builder(base)
                    .endpoint("/mcp")
                    .httpRequestCustomizer(
                        (request, method, uri, body, context) ->
                            request.header("Authorization", "Bearer " + token))
                    .build())
            .requestTimeout(Duration.ofSeconds(30))
            .build();
    c.initialize();
    return c;
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
