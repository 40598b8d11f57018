package dev.anvil.context.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A non-Java agent: the official TypeScript MCP SDK ({@code @modelcontextprotocol/sdk} from npm,
 * pinned by {@code src/test/node/mcp-client/package-lock.json}) under Node.js, against the Java
 * endpoint on 127.0.0.1. {@code scripts/system-deps.sh} installs Node.js and the package; a run
 * without them installs the package itself ({@code npm ci}, from npm's cache when it can). It skips
 * only where there is no Node.js at all, saying so.
 */
class McpTypeScriptClientTest {
  static final Path CLIENT = Path.of("src/test/node/mcp-client");

  @TempDir Path data;

  @Test
  void theOfficialTypeScriptSdkSearchesAsItsUser() throws Exception {
    assumeTrue(
        run(List.of("node", "--version"), CLIENT, 30).exit() == 0,
        "Node.js is not installed: scripts/system-deps.sh installs it (Debian's nodejs and npm)");
    installSdk();
    try (McpFixture mcp = McpFixture.start(data, McpHttpServerTest.LIMITS)) {
      ProcessBuilder node =
          new ProcessBuilder("node", "client.mjs", mcp.baseUrl() + McpHttpServer.PATH)
              .directory(CLIENT.toFile());
      node.environment().put("MCP_TOKEN", mcp.token("alice"));
      Result r = run(node, 120);
      assertThat(r.exit()).as(r.output()).isZero();
      String json = r.stdout().strip();
      JsonObject seen =
          JsonParser.parseString(json.substring(json.lastIndexOf('\n') + 1)).getAsJsonObject();

      JsonObject unauthorized = seen.getAsJsonObject("unauthorized");
      assertThat(unauthorized.get("code").getAsInt()).as(unauthorized.toString()).isEqualTo(401);
      assertThat(seen.getAsJsonObject("server").get("name").getAsString())
          .isEqualTo("anvil-context-engine");
      assertThat(seen.get("tools").toString())
          .isEqualTo("[\"search\",\"get_document\",\"list_tags\",\"submit_feedback\"]");
      JsonObject search = seen.getAsJsonObject("search");
      assertThat(search.get("isError").getAsBoolean()).isFalse();
      assertThat(search.get("ids").toString()).isEqualTo("[\"eng-1\",\"pub-1\"]");
      assertThat(search.get("policies").toString()).contains("public-for-everyone");
      JsonObject hidden = seen.getAsJsonObject("hidden");
      assertThat(hidden.get("isError").getAsBoolean()).isTrue();
      assertThat(hidden.get("text").getAsString())
          .isEqualTo("no document 'hr-1' that you may read");
      JsonObject invalid = seen.getAsJsonObject("invalid");
      assertThat(invalid.get("isError").getAsBoolean()).isTrue();
      assertThat(invalid.get("text").getAsString()).startsWith("top_k: ");

      assertThat(mcp.auditLines())
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("\"subject\":\"alice\"")
                      .contains("\"action\":\"search\"")
                      .contains("via=mcp"));
    }
  }

  /** The locked SDK in node_modules: there already (system-deps.sh), else {@code npm ci}. */
  private static void installSdk() throws Exception {
    if (Files.exists(CLIENT.resolve("node_modules/@modelcontextprotocol/sdk/package.json"))) {
      return;
    }
    Result npm =
        run(
            List.of("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"),
            CLIENT,
            (int) TimeUnit.MINUTES.toSeconds(5));
    assertThat(npm.exit())
        .as(
            "npm ci in %s failed (Node.js is here, so this is a failure, not a skip):%n%s",
            CLIENT, npm.output())
        .isZero();
  }

  record Result(int exit, String stdout, String output) {}

  private static Result run(List<String> command, Path dir, int seconds) throws Exception {
    return run(new ProcessBuilder(command).directory(dir.toFile()), seconds);
  }

  private static Result run(ProcessBuilder pb, int seconds) throws Exception {
    Path out = Files.createTempFile("mcp-node", ".out");
    Path err = Files.createTempFile("mcp-node", ".err");
    try {
      Process p;
      try {
        p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      } catch (IOException e) {
        return new Result(-1, "", e.toString()); // not on PATH
      }
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-2, Files.readString(out), "timed out after " + seconds + " s");
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      return new Result(
          p.exitValue(), stdout, stdout + Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
