package dev.anvil.context.mcp;

import dev.anvil.identity.Identity;
import dev.anvil.identity.InvalidTokenException;
import dev.anvil.identity.IssuerUnavailableException;
import dev.anvil.identity.TokenVerifier;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.function.Function;

/**
 * The MCP endpoint as an OAuth 2.1 resource server: every request carries a bearer token that the
 * verifier (the engine's issuer, the endpoint's own audience) accepts, or is answered 401 with
 * {@code WWW-Authenticate: Bearer resource_metadata="..."} (RFC 9728 §5.1; RFC 6750's {@code
 * invalid_token} when a token was sent) before the MCP server sees it. The verified identity, never
 * the token, goes on: the token is not forwarded anywhere.
 */
final class BearerFilter extends HttpFilter {
  private static final long serialVersionUID = 1L;

  /** The request attribute that holds the verified {@link Identity}. */
  static final String IDENTITY = "anvil.identity";

  private final transient TokenVerifier verifier;
  private final transient Function<HttpServletRequest, ProtectedResource> resource;

  BearerFilter(TokenVerifier verifier, Function<HttpServletRequest, ProtectedResource> resource) {
    this.verifier = verifier;
    this.resource = resource;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String header = req.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      refuse(
          req,
          res,
          null,
          "expected 'Authorization: Bearer <token>', found "
              + (header == null ? "none" : "another scheme"));
      return;
    }
    Identity who;
    try {
      who = verifier.verify(header.substring(7).strip());
    } catch (InvalidTokenException e) {
      refuse(req, res, "invalid_token", e.reason() + ": " + e.getMessage());
      return;
    } catch (IssuerUnavailableException e) {
      // Not the caller's fault, and never "allow": try again once the issuer answers.
      res.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
      res.setHeader("Retry-After", "5");
      json(res, "temporarily_unavailable", e.getMessage());
      return;
    }
    req.setAttribute(IDENTITY, who);
    chain.doFilter(req, res);
  }

  private void refuse(HttpServletRequest req, HttpServletResponse res, String error, String why)
      throws IOException {
    URI metadata = resource.apply(req).metadataUrl();
    StringBuilder challenge =
        new StringBuilder("Bearer resource_metadata=\"").append(metadata).append('"');
    if (error != null) {
      challenge
          .append(", error=\"")
          .append(error)
          .append("\", error_description=\"")
          .append(quotable(why))
          .append('"');
    }
    res.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
    res.setHeader("WWW-Authenticate", challenge.toString());
    json(res, error == null ? "unauthorized" : error, why);
  }

  private static void json(HttpServletResponse res, String error, String description)
      throws IOException {
    res.setContentType("application/json");
    res.setCharacterEncoding("UTF-8");
    res.getWriter()
        .write(
            io.modelcontextprotocol.json.McpJsonDefaults.getMapper()
                .writeValueAsString(
                    java.util.Map.of("error", error, "error_description", description)));
  }

  /** RFC 6750 §3: an error description is printable ASCII without '"' and '\'. */
  private static String quotable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      b.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '?');
    }
    return b.toString();
  }
}
