package dev.anvil.context.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The OAuth 2.0 protected-resource metadata of the MCP endpoint (RFC 9728): which resource this is
 * and which authorization server issues its tokens, so that an MCP client that got a 401 knows
 * where to sign its user in.
 *
 * @param resource the endpoint's URL, the resource identifier tokens are requested for
 * @param authorizationServers the issuers whose tokens the endpoint accepts (the configured one)
 */
public record ProtectedResource(URI resource, List<String> authorizationServers) {
  /** Where the metadata is served (RFC 9728 §3), before the resource's path is appended. */
  public static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

  public ProtectedResource {
    Objects.requireNonNull(resource, "resource");
    authorizationServers = List.copyOf(authorizationServers);
    if (!resource.isAbsolute() || resource.getFragment() != null) {
      throw new IllegalArgumentException(
          "resource: expected an absolute URL without a fragment, was " + resource);
    }
  }

  /**
   * The metadata's own URL: the well-known path inserted between the resource's host and path, as
   * RFC 9728 §3.1 derives it (e.g. {@code https://h/.well-known/oauth-protected-resource/mcp}).
   */
  public URI metadataUrl() {
    String path = resource.getRawPath() == null ? "" : resource.getRawPath();
    return URI.create(
        resource.getScheme()
            + "://"
            + resource.getRawAuthority()
            + WELL_KNOWN
            + (path.equals("/") ? "" : path));
  }

  /** The metadata document. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resource", resource.toString());
    m.put("authorization_servers", authorizationServers);
    m.put("bearer_methods_supported", List.of("header"));
    m.put("resource_name", "Anvil context engine (MCP)");
    try {
      return McpJsonDefaults.getMapper().writeValueAsString(m);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
