package dev.anvil.context.mcp;

import dev.anvil.context.http.HttpListener;
import dev.anvil.identity.Identity;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.rpc.ServerTransport;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;

/**
 * The context engine's MCP endpoint: {@link McpTools} over Streamable HTTP at {@value #PATH}, on a
 * port of its own beside gRPC, as an OAuth 2.1 resource server ({@link BearerFilter}) that
 * publishes its protected-resource metadata ({@link ProtectedResource}) at {@value
 * ProtectedResource#WELL_KNOWN}. Stateless: every request is authenticated on its own, so no
 * session outlives the token that opened it and any replica can answer any request.
 *
 * <p>It binds to the given host only, in plaintext only on loopback unless told otherwise, or over
 * TLS from the same PEM files (re-read when rotated) as every Anvil listener.
 */
public final class McpHttpServer implements AutoCloseable {
  /** The MCP endpoint's path. */
  public static final String PATH = "/mcp";

  /**
   * Largest request body: a search at every limit (4,096 characters of query, 1,024 filter values
   * of 256 characters) is well under it. A larger one is refused (413) before it is parsed.
   */
  public static final int MAX_REQUEST_BYTES = 2 << 20;

  /** Threads serving requests: a bound, like the gRPC server's calls per connection. */
  static final int MAX_THREADS = 64;

  /**
   * How the endpoint presents itself to OAuth clients.
   *
   * @param issuer the issuer whose tokens it accepts, named as its authorization server
   * @param resource its public URL (what clients reach it by, e.g. behind an ingress); empty: the
   *     URL each request was addressed to
   * @param allowedOrigins browser origins allowed to call it (e.g. {@code https://app.example}); a
   *     request with any other {@code Origin} is refused (403), against DNS rebinding
   */
  public record Options(String issuer, Optional<URI> resource, List<String> allowedOrigins) {
    public Options {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(resource, "resource");
      allowedOrigins = List.copyOf(allowedOrigins);
      resource.ifPresent(r -> new ProtectedResource(r, List.of(issuer))); // validates it
    }

    /** Accepting tokens of {@code issuer}, at the URL requests are addressed to, no browser. */
    public static Options of(String issuer) {
      return new Options(issuer, Optional.empty(), List.of());
    }
  }

  private final HttpListener listener;
  private final McpStatelessSyncServer mcp;

  private McpHttpServer(HttpListener listener, McpStatelessSyncServer mcp) {
    this.listener = listener;
    this.mcp = mcp;
  }

  /**
   * Starts serving {@code tools} on {@code host:port} (port 0 picks a free one) over {@code
   * transport}, to callers whose tokens {@code verifier} accepts (give it the endpoint's own
   * audience: a token meant for the gRPC service or the trainer must not open it).
   *
   * @throws IllegalArgumentException for plaintext on an address other than loopback, unless the
   *     transport allows it explicitly
   * @throws UncheckedIOException if the address cannot be bound or the TLS files cannot be read
   */
  public static McpHttpServer start(
      String host,
      int port,
      ServerTransport transport,
      TokenVerifier verifier,
      McpTools tools,
      Options options) {
    HttpListener listener = HttpListener.create("MCP", host, port, transport, MAX_THREADS);
    HttpServletStatelessServerTransport transportServlet =
        HttpServletStatelessServerTransport.builder()
            .messageEndpoint(PATH)
            .maxRequestSize(MAX_REQUEST_BYTES)
            .securityValidator(
                DefaultServerTransportSecurityValidator.builder()
                    .allowedOrigins(options.allowedOrigins())
                    .build())
            .contextExtractor(McpHttpServer::context)
            .build();
    McpStatelessSyncServer mcp =
        McpServer.sync(transportServlet)
            .serverInfo(McpStdio.SERVER_NAME, McpStdio.version())
            .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
            // McpTools validates the arguments itself, so that a refused call is audited too.
            .validateToolInputs(false)
            // On the request's own thread: its span and deadline are the call's.
            .immediateExecution(true)
            .tools(
                tools.tools().stream()
                    .map(
                        tool ->
                            new McpStatelessServerFeatures.SyncToolSpecification(
                                tool,
                                (ctx, request) ->
                                    tools.call(
                                        (Identity) ctx.get(BearerFilter.IDENTITY),
                                        (String) ctx.get(DETAIL),
                                        request)))
                    .toList())
            .build();

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder endpoint = new ServletHolder(transportServlet);
    endpoint.setAsyncSupported(true);
    context.addServlet(endpoint, PATH);
    HttpServlet metadata = new MetadataServlet(options);
    context.addServlet(new ServletHolder(metadata), ProtectedResource.WELL_KNOWN);
    context.addServlet(new ServletHolder(metadata), ProtectedResource.WELL_KNOWN + "/*");
    context.addFilter(
        new FilterHolder(new BearerFilter(verifier, req -> resource(options, req))),
        PATH,
        EnumSet.of(DispatcherType.REQUEST));
    try {
      listener.start(context);
    } catch (RuntimeException e) {
      mcp.close();
      throw e;
    }
    return new McpHttpServer(listener, mcp);
  }

  /** The transport context key of the audit detail: the transport and any client certificate. */
  private static final String DETAIL = "anvil.audit-detail";

  private static McpTransportContext context(HttpServletRequest req) {
    String detail = "via=mcp";
    if (req.getAttribute("jakarta.servlet.request.X509Certificate")
            instanceof X509Certificate[] chain
        && chain.length > 0) {
      detail += " client_cert=" + chain[0].getSubjectX500Principal().getName();
    }
    return McpTransportContext.create(
        Map.of(BearerFilter.IDENTITY, req.getAttribute(BearerFilter.IDENTITY), DETAIL, detail));
  }

  /** The endpoint's resource identifier: the configured URL, else the one the request named. */
  static ProtectedResource resource(Options options, HttpServletRequest req) {
    URI url =
        options
            .resource()
            .orElseGet(
                () -> {
                  try {
                    return new URI(
                        req.getScheme(),
                        null,
                        req.getServerName(),
                        req.getServerPort(),
                        PATH,
                        null,
                        null);
                  } catch (URISyntaxException e) {
                    return URI.create(
                        req.getScheme() + "://127.0.0.1:" + req.getLocalPort() + PATH);
                  }
                });
    return new ProtectedResource(url, List.of(options.issuer()));
  }

  /** Serves the protected-resource metadata (RFC 9728), to anyone: it holds no secret. */
  private static final class MetadataServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient Options options;

    MetadataServlet(Options options) {
      this.options = options;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      res.setContentType("application/json");
      res.setCharacterEncoding("UTF-8");
      res.setHeader("Cache-Control", "max-age=300");
      res.getWriter().write(resource(options, req).toJson());
    }
  }

  /** The port the endpoint listens on. */
  public int port() {
    return listener.port();
  }

  /** Stops taking requests, lets running ones finish (up to 5 s), then stops. */
  @Override
  public void close() {
    listener.close();
    mcp.close();
  }
}
