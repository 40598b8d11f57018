package dev.anvil.context.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Limits;
import dev.anvil.identity.DevTokenIssuer;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MCP endpoint on 127.0.0.1, called by the SDK's own client with real tokens. */
class McpHttpServerTest {
  /** Small limits, so that a test can pass each one. */
  static final Limits LIMITS = new Limits(200, 2, 3, 16, 20, 1000, 64, 8, 500, 1000, 16, 256);

  @TempDir static Path data;
  static McpFixture mcp;

  @BeforeAll
  static void start() {
    mcp = McpFixture.start(data, LIMITS);
  }

  @AfterAll
  static void stop() {
    mcp.close();
  }

  static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
    return client.callTool(new CallToolRequest(tool, args));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> structured(CallToolResult r) {
    assertThat(r.isError()).as("%s", r).isFalse();
    return (Map<String, Object>) r.structuredContent();
  }

  static String text(CallToolResult r) {
    return ((TextContent) r.content().getFirst()).text();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> chunks(CallToolResult r) {
    return (List<Map<String, Object>>) structured(r).get("chunks");
  }

  static List<Object> ids(CallToolResult r) {
    return chunks(r).stream().map(c -> c.get("document_id")).distinct().toList();
  }

  @Test
  void toolsDeclareTheirSchemasWithTheServersLimits() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"))) {
      List<Tool> tools = alice.listTools().tools();
      assertThat(tools)
          .extracting(Tool::name)
          .containsExactly("search", "get_document", "list_tags", "submit_feedback");
      Tool search = tools.getFirst();
      @SuppressWarnings("unchecked")
      Map<String, Map<String, Object>> props =
          (Map<String, Map<String, Object>>) search.inputSchema().get("properties");
      assertThat(props.get("query")).containsEntry("maxLength", 200);
      assertThat(props.get("top_k")).containsEntry("maximum", 20);
      assertThat(props.get("token_budget")).containsEntry("maximum", 1000);
      assertThat(props.get("filters")).containsEntry("maxProperties", 2);
      assertThat(search.inputSchema()).containsEntry("required", List.of("query"));
      assertThat(search.outputSchema()).containsKey("properties");
      assertThat(search.annotations().readOnlyHint()).isTrue();
    }
  }

  @Test
  void twoUsersSeeWhatTheirPoliciesAllowWithProvenance() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"));
        McpSyncClient hannah = mcp.client(mcp.token("hannah"))) {
      CallToolResult a = call(alice, "search", Map.of("query", "kernel salary"));
      assertThat(ids(a)).containsExactlyInAnyOrder("eng-1", "pub-1");
      assertThat(structured(a))
          .containsEntry("visible_matches", 2)
          .containsEntry("model_id", "hash");
      assertThat((String) structured(a).get("policy_version")).startsWith("sha256:");
      Map<String, Object> first = chunks(a).getFirst();
      assertThat(first)
          .containsKeys("document_id", "version", "chunk", "source", "text", "tags", "policies");
      assertThat((String) first.get("source")).startsWith("test://");
      assertThat(chunks(a)).allSatisfy(c -> assertThat((List<?>) c.get("policies")).isNotEmpty());
      // Clients that read only text get the same answer as JSON.
      assertThat(text(a)).contains("\"document_id\":\"eng-1\"");

      CallToolResult h = call(hannah, "search", Map.of("query", "kernel salary", "top_k", 10));
      assertThat(ids(h)).contains("hr-1").doesNotContain("eng-1");
      assertThat(
              chunks(h).stream()
                  .filter(c -> c.get("document_id").equals("hr-1"))
                  .findFirst()
                  .orElseThrow()
                  .get("policies"))
          .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
          .contains("hr-comp-readers-read-compensation");
    }
  }

  @Test
  void filtersNarrowByTheTagsListTagsNames() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"))) {
      CallToolResult tags = call(alice, "list_tags", Map.of());
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> schema = (List<Map<String, Object>>) structured(tags).get("tags");
      assertThat(schema)
          .anySatisfy(
              t ->
                  assertThat(t)
                      .containsEntry("name", "department")
                      .containsEntry("type", "set")
                      .containsEntry(
                          "values",
                          List.of("engineering", "hr", "finance", "legal", "sales", "all-staff")));

      CallToolResult sales =
          call(
              alice,
              "search",
              Map.of("query", "kernel", "filters", Map.of("department", List.of("sales"))));
      assertThat(ids(sales)).containsExactly("pub-1");
      // A filter never widens: alice asking for HR's documents gets none of them.
      CallToolResult hr =
          call(
              alice,
              "search",
              Map.of("query", "salary", "filters", Map.of("department", List.of("hr"))));
      assertThat(ids(hr)).isEmpty();
    }
  }

  @Test
  void aHiddenDocumentAnswersExactlyAsAnAbsentOne() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"));
        McpSyncClient hannah = mcp.client(mcp.token("hannah"))) {
      CallToolResult hidden = call(alice, "get_document", Map.of("document_id", "hr-1"));
      CallToolResult absent = call(alice, "get_document", Map.of("document_id", "hr-9"));
      assertThat(hidden.isError()).isTrue();
      assertThat(hidden.structuredContent()).isNull();
      assertThat(text(hidden)).isEqualTo("no document 'hr-1' that you may read");
      // Everything but the id asked for is the same.
      assertThat(hidden.toString().replace("hr-1", "ID"))
          .isEqualTo(absent.toString().replace("hr-9", "ID"));

      CallToolResult seen = call(hannah, "get_document", Map.of("document_id", "hr-1"));
      assertThat(structured(seen))
          .containsEntry("document_id", "hr-1")
          .containsEntry("version", 1)
          .containsEntry("title", "2027 salary bands")
          .containsEntry("source", "test://hr-1");
      assertThat(structured(seen).get("policies").toString())
          .contains("hr-comp-readers-read-compensation");
      assertThat(structured(seen).get("chunks").toString()).contains("Salary bands");
    }
  }

  @Test
  void oversizeAndInvalidArgumentsAreToolErrorsNamingTheFieldAndLimit() {
    try (McpSyncClient alice = mcp.client(mcp.token("alice"))) {
      // Past a limit the schema declares: the validator names the field and the bound.
      CallToolResult longQuery = call(alice, "search", Map.of("query", "k".repeat(201)));
      assertThat(longQuery.isError()).isTrue();
      assertThat(text(longQuery))
          .isEqualTo("query: must be at most 200 characters long (limit max-query-chars)");

      CallToolResult topK = call(alice, "search", Map.of("query", "kernel", "top_k", 21));
      assertThat(text(topK)).isEqualTo("top_k: must have a maximum value of 20 (limit max-top-k)");

      CallToolResult budget =
          call(alice, "search", Map.of("query", "kernel", "token_budget", 1001));
      assertThat(text(budget))
          .isEqualTo("token_budget: must have a maximum value of 1000 (limit max-token-budget)");

      CallToolResult tags =
          call(
              alice,
              "search",
              Map.of(
                  "query",
                  "kernel",
                  "filters",
                  Map.of("region", List.of("eu"), "topics", List.of("a"), "owner", List.of("b"))));
      assertThat(text(tags))
          .isEqualTo("filters: must have at most 2 properties (limit max-filter-tags)");

      // Past the limit only the server counts (values of all tags together), in gRPC's words.
      CallToolResult values =
          call(
              alice,
              "search",
              Map.of(
                  "query",
                  "kernel",
                  "filters",
                  Map.of("department", List.of("hr", "sales"), "region", List.of("eu", "us"))));
      assertThat(values.isError()).isTrue();
      assertThat(text(values))
          .isEqualTo("filter: at most 3 values (limit max-filter-values), was 4");

      CallToolResult unknownTag =
          call(
              alice,
              "search",
              Map.of("query", "kernel", "filters", Map.of("colour", List.of("x"))));
      assertThat(text(unknownTag)).startsWith("filter.colour: unknown tag");

      CallToolResult misspelt = call(alice, "search", Map.of("query", "kernel", "topk", 3));
      assertThat(misspelt.isError()).isTrue();
      assertThat(text(misspelt))
          .isEqualTo(
              "arguments: property 'topk' is not defined in the schema and the schema does not"
                  + " allow additional properties");

      CallToolResult wrongType = call(alice, "search", Map.of("query", "kernel", "top_k", "ten"));
      assertThat(wrongType.isError()).isTrue();
      assertThat(text(wrongType)).isEqualTo("top_k: string found, integer expected");

      CallToolResult missing = call(alice, "search", Map.of());
      assertThat(text(missing)).isEqualTo("arguments: required property 'query' not found");

      CallToolResult longId = call(alice, "get_document", Map.of("document_id", "d".repeat(513)));
      assertThat(text(longId)).isEqualTo("document_id: must be at most 512 characters long");
    }
  }

  @Test
  void theAuditRecordsEachMcpCallAsTheGrpcServiceDoes() {
    try (McpSyncClient hannah = mcp.client(mcp.token("hannah"))) {
      int before = mcp.auditLines().size();
      call(hannah, "search", Map.of("query", "salary bands"));
      call(hannah, "get_document", Map.of("document_id", "hr-1"));
      call(hannah, "search", Map.of("query", "x".repeat(201)));
      List<String> records = mcp.auditLines().subList(before, before + 3);

      assertThat(records.get(0))
          .contains("\"subject\":\"hannah\"")
          .contains("\"agent\":\"test-agent\"")
          .contains("\"action\":\"search\"")
          .contains("\"hr-1\"")
          .contains("\"status\":\"OK\"")
          .contains("via=mcp")
          // The query's digest, never its text.
          .contains("\"query_sha256\":\"sha256:")
          .doesNotContain("salary bands");
      assertThat(records.get(1))
          .contains("\"action\":\"get\"")
          .contains("\"document_ids\":[\"hr-1\"]")
          .contains("\"status\":\"OK\"");
      assertThat(records.get(2))
          .contains("\"action\":\"search\"")
          .contains("\"status\":\"INVALID_ARGUMENT\"")
          .contains("via=mcp");
    }
  }

  @Test
  void noTokenOrATokenForAnotherServiceIsRefused401PointingAtTheMetadata() throws Exception {
    String metadata =
        "http://127.0.0.1:" + mcp.server.port() + "/.well-known/oauth-protected-resource/mcp";
    HttpResponse<String> none = post(null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer resource_metadata=\"" + metadata + "\"");

    for (String audience :
        List.of(DevTokenIssuer.ENGINE_AUDIENCE, DevTokenIssuer.TRAINER_AUDIENCE)) {
      HttpResponse<String> wrong = post(mcp.token("alice", audience));
      assertThat(wrong.statusCode()).as(audience).isEqualTo(401);
      assertThat(wrong.headers().firstValue("WWW-Authenticate").orElseThrow())
          .startsWith("Bearer resource_metadata=\"" + metadata + "\"")
          .contains("error=\"invalid_token\"")
          .contains("WRONG_AUDIENCE")
          .contains("expected anvil-mcp");
      assertThat(wrong.body()).doesNotContain("hr-1").doesNotContain("jsonrpc");
    }
    HttpResponse<String> garbage = post("not-a-jwt");
    assertThat(garbage.statusCode()).isEqualTo(401);

    // The SDK's client sees the refusal too, before any tool runs.
    assertThatThrownBy(() -> mcp.client(mcp.token("alice", DevTokenIssuer.ENGINE_AUDIENCE)))
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
    // ... and the right token opens it.
    assertThat(post(mcp.token("alice")).statusCode()).isEqualTo(200);
  }

  @Test
  void theProtectedResourceMetadataNamesTheIssuer() throws Exception {
    for (String path :
        List.of(
            "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")) {
      HttpResponse<String> res =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(mcp.baseUrl() + path)).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).as(path).isEqualTo(200);
      assertThat(res.body())
          .contains("\"resource\":\"http://127.0.0.1:" + mcp.server.port() + "/mcp\"")
          .contains("\"authorization_servers\":[\"urn:anvil:dev-issuer\"]")
          .contains("\"bearer_methods_supported\":[\"header\"]");
    }
  }

  @Test
  void aBrowserPageOfAnotherOriginIsRefused() throws Exception {
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                initialize(mcp.token("alice")).header("Origin", "http://evil.example").build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(403);
  }

  @Test
  void aBodyPastTheLimitIsRefusedBeforeParsing() throws Exception {
    String big =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search\","
            + "\"arguments\":{\"query\":\""
            + "k".repeat(McpHttpServer.MAX_REQUEST_BYTES)
            + "\"}}}";
    HttpResponse<String> res =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(mcp.baseUrl() + McpHttpServer.PATH))
                    .header("Authorization", "Bearer " + mcp.token("alice"))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(big))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(413);
  }

  private static HttpRequest.Builder initialize(String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(mcp.baseUrl() + McpHttpServer.PATH))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                        + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}"));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private static HttpResponse<String> post(String token) throws Exception {
    return HttpClient.newHttpClient()
        .send(initialize(token).build(), HttpResponse.BodyHandlers.ofString());
  }
}
