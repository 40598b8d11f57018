package dev.anvil.cli;

import dev.anvil.context.mcp.McpHttpServer;
import dev.anvil.identity.DevTokenIssuer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The MCP endpoint of {@code anvil serve} ({@code ANVIL_MCP_*} in a container, the chart's {@code
 * contextEngine.mcp}): off unless a port is given; same host, TLS and limits as gRPC, its own token
 * audience.
 */
final class McpOptions {
  @Option(
      names = "--mcp-port",
      paramLabel = "PORT",
      description = {
        "Also serve the Model Context Protocol (Streamable HTTP at /mcp) on this port, same host"
            + " and TLS as gRPC (0 picks a free one; default: no MCP endpoint).",
        "Agents send the user's bearer token for --mcp-audience; tools: search, get_document,"
            + " list_tags."
      })
  Integer port;

  @Option(
      names = "--mcp-audience",
      paramLabel = "AUD",
      defaultValue = DevTokenIssuer.MCP_AUDIENCE,
      description =
          "Audience tokens for the MCP endpoint must carry (default: ${DEFAULT-VALUE}; a token for"
              + " the gRPC service or the trainer is refused).")
  String audience;

  @Option(
      names = "--mcp-resource",
      paramLabel = "URL",
      description =
          "The MCP endpoint's public URL, as its OAuth metadata names it (e.g."
              + " https://anvil.example/mcp behind an ingress; default: the URL each request was"
              + " addressed to).")
  URI resource;

  @Option(
      names = "--mcp-allowed-origin",
      paramLabel = "ORIGIN",
      split = ",",
      description =
          "A browser origin allowed to call the MCP endpoint (repeatable or comma-separated);"
              + " requests from any other Origin are refused (default: none).")
  List<String> allowedOrigins = new ArrayList<>();

  boolean enabled() {
    return port != null;
  }

  McpHttpServer.Options options(String issuer) {
    return new McpHttpServer.Options(
        issuer, Optional.ofNullable(resource), allowedOrigins == null ? List.of() : allowedOrigins);
  }
}
