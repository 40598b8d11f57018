package dev.anvil.context.mcp;

import dev.anvil.identity.Identity;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * {@link McpTools} over stdio, for local development ({@code anvil mcp --dev --as NAME}): an MCP
 * client starts the process and speaks JSON-RPC on its standard input and output. There is no token
 * on a pipe, so every call runs as the one identity the process was started for, through the same
 * tools, limits and audit as the HTTP endpoint; the audit records it {@code via=mcp-stdio}. Once
 * that identity's token has expired, every call is refused.
 */
public final class McpStdio {
  /** The name the engine's MCP servers give in {@code initialize}. */
  public static final String SERVER_NAME = "anvil-context-engine";

  private McpStdio() {}

  /** This build's version (from the jar's manifest), or {@code dev}. */
  static String version() {
    String v = McpStdio.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * Serves {@code tools} as {@code who} on {@code in} and {@code out} until {@code in} ends (the
   * client closed it), then stops. Nothing else may write to {@code out}: it carries the protocol.
   *
   * @throws InterruptedException if interrupted while serving
   */
  public static void serve(McpTools tools, Identity who, InputStream in, OutputStream out)
      throws InterruptedException {
    Objects.requireNonNull(who, "who");
    CountDownLatch ended = new CountDownLatch(1);
    InputStream watched =
        new FilterInputStream(in) {
          @Override
          public int read() throws IOException {
            return ended(super.read());
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return ended(super.read(b, off, len));
          }

          private int ended(int n) {
            if (n < 0) {
              ended.countDown();
            }
            return n;
          }
        };
    McpSyncServer server =
        McpServer.sync(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), watched, out))
            .serverInfo(SERVER_NAME, version())
            .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
            .validateToolInputs(false) // McpTools validates, and audits a refusal
            .immediateExecution(true)
            .tools(
                tools.tools().stream()
                    .map(
                        tool ->
                            new McpServerFeatures.SyncToolSpecification(
                                tool,
                                (exchange, request) ->
                                    // Verified once, at start: past its expiry, as over HTTP,
                                    // the identity opens nothing.
                                    java.time.Instant.now().isAfter(who.expiresAt())
                                        ? Replies.error(
                                            "the token expired at "
                                                + who.expiresAt()
                                                + "; start anvil mcp again with a fresh one")
                                        : tools.call(who, "via=mcp-stdio", request)))
                    .toList())
            .build();
    try {
      ended.await();
    } finally {
      server.close();
    }
  }
}
