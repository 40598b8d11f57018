package dev.anvil.context.http;

import dev.anvil.rpc.HttpsContext;
import dev.anvil.rpc.ServerTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.LoggerFactory;

/**
 * One HTTP listener of the engine's own (the MCP endpoint, the admin console): Jetty on one
 * address, over the same TLS as gRPC (certificates re-read when rotated, client certificates as
 * configured) or in plaintext, which only loopback accepts unless the transport says otherwise. It
 * owns its server and its TLS context: {@link #close} releases both.
 */
public final class HttpListener implements AutoCloseable {
  private final String name;
  private final Server server;
  private final ServerConnector connector;
  private final Optional<HttpsContext> tls;

  private HttpListener(
      String name, Server server, ServerConnector connector, Optional<HttpsContext> tls) {
    this.name = name;
    this.server = server;
    this.connector = connector;
    this.tls = tls;
  }

  /**
   * A listener named {@code name} (in errors and thread names) for {@code host:port} (port 0 picks
   * a free one), not yet started.
   *
   * @throws IllegalArgumentException for plaintext on an address other than loopback, unless the
   *     transport allows it explicitly
   * @throws UncheckedIOException if the TLS files cannot be read
   */
  public static HttpListener create(
      String name, String host, int port, ServerTransport transport, int maxThreads) {
    Objects.requireNonNull(name, "name");
    InetSocketAddress address = new InetSocketAddress(host, port);
    Optional<HttpsContext> tls =
        switch (transport) {
          case ServerTransport.Plaintext p -> {
            p.checkAddress(address);
            yield Optional.empty();
          }
          case ServerTransport.Tls t -> Optional.of(HttpsContext.open(t));
        };
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, 2);
    threads.setName("anvil-" + name);
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector =
        tls.map(t -> new ServerConnector(server, https(t, http), new HttpConnectionFactory(http)))
            .orElseGet(() -> new ServerConnector(server, new HttpConnectionFactory(http)));
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    return new HttpListener(name, server, connector, tls);
  }

  /**
   * Serves {@code handler}; on failure everything is released.
   *
   * @throws UncheckedIOException if the address cannot be bound, naming the listener and address
   */
  public void start(Handler handler) {
    server.setHandler(handler);
    try {
      server.start();
    } catch (Exception e) {
      close();
      throw new UncheckedIOException(
          "cannot listen for "
              + name
              + " on "
              + connector.getHost()
              + ":"
              + connector.getPort()
              + ": "
              + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
  }

  /** The port it listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** Stops taking requests, lets running ones finish (up to 5 s), then stops. */
  @Override
  public void close() {
    server.setStopTimeout(5_000);
    try {
      server.stop();
    } catch (Exception e) {
      LoggerFactory.getLogger(HttpListener.class).warn("stopping {}: {}", name, e.toString());
    }
    tls.ifPresent(HttpsContext::close);
  }

  private static SslConnectionFactory https(HttpsContext tls, HttpConfiguration http) {
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setSslContext(tls.sslContext());
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    ssl.setNeedClientAuth(tls.needClientAuth());
    ssl.setWantClientAuth(tls.wantClientAuth());
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    // Clients reach the engine by IP address as often as by name; the certificate is the
    // client's to check, as with gRPC.
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    return new SslConnectionFactory(ssl, "http/1.1");
  }
}
