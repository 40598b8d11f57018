package dev.anvil.console;

import dev.anvil.console.spi.JobSource;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rpc.HttpsContext;
import dev.anvil.rpc.ServerTransport;
import jakarta.servlet.MultipartConfigElement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The admin console: server-rendered pages over the engine's policies, policy diffs, decision
 * explanations, audit log, models, the trainer's jobs and the judgment queue, on a port of its own.
 * Only principals the policy in force allows {@code admin} or {@code audit} see any page; everyone
 * else gets the same bare 403. It binds to the given host only, in plaintext only on loopback
 * unless told otherwise, or over TLS from the same PEM files (re-read when rotated) as every Anvil
 * listener.
 */
public final class ConsoleServer implements AutoCloseable {
  /** Largest request body (a proposed pack's files): 16 MiB; one file at most 1 MiB. */
  static final long MAX_REQUEST_BYTES = 16L << 20;

  /** Threads serving requests. */
  static final int MAX_THREADS = 32;

  /**
   * What the console shows and how people sign in.
   *
   * @param signIn how people sign in
   * @param pack the policy pack directory the engine loads (validated on the policy page; its
   *     principals are the subjects of explanations and diffs)
   * @param proposals a directory whose sub-directories may be proposed by path on the diff page;
   *     empty: only uploads
   * @param models the model registry directory the engine switches from; empty: none
   * @param publicUrl the console's URL as browsers reach it (the OIDC redirect is under it); empty:
   *     the URL each request was addressed to
   */
  public record Options(
      SignIn signIn,
      PolicyPack pack,
      Optional<Path> proposals,
      Optional<Path> models,
      Optional<URI> publicUrl) {
    public Options {
      Objects.requireNonNull(signIn, "signIn");
      Objects.requireNonNull(pack, "pack");
      Objects.requireNonNull(proposals, "proposals");
      Objects.requireNonNull(models, "models");
      Objects.requireNonNull(publicUrl, "publicUrl");
    }
  }

  /**
   * Everything the pages read.
   *
   * @param engine the context engine (policies in force, index, model)
   * @param audit the engine's audit log: searched by the audit page, and written for the console's
   *     own sign-ins, refusals and reads
   * @param judging judgments, if the engine keeps them
   * @param jobs the trainer's jobs
   */
  public record Backend(
      ContextEngine engine, AuditLog audit, Optional<Judging> judging, JobSource jobs) {
    public Backend {
      Objects.requireNonNull(engine, "engine");
      Objects.requireNonNull(audit, "audit");
      Objects.requireNonNull(judging, "judging");
      Objects.requireNonNull(jobs, "jobs");
    }
  }

  private final Server server;
  private final ServerConnector connector;
  private final Optional<HttpsContext> tls;

  private ConsoleServer(Server server, ServerConnector connector, Optional<HttpsContext> tls) {
    this.server = server;
    this.connector = connector;
    this.tls = tls;
  }

  /**
   * Starts the console on {@code host:port} (0 picks a free port).
   *
   * @throws IllegalArgumentException for plaintext on an address other than loopback, unless the
   *     transport allows it explicitly
   * @throws UncheckedIOException if the address cannot be bound or the TLS files cannot be read
   */
  public static ConsoleServer start(
      String host,
      int port,
      ServerTransport transport,
      Backend backend,
      Options options,
      Clock clock) {
    InetSocketAddress address = new InetSocketAddress(host, port);
    Optional<HttpsContext> tls =
        switch (transport) {
          case ServerTransport.Plaintext p -> {
            p.checkAddress(address);
            yield Optional.empty();
          }
          case ServerTransport.Tls t -> Optional.of(HttpsContext.open(t));
        };
    QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
    threads.setName("anvil-console");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector =
        tls.map(t -> new ServerConnector(server, https(t, http), new HttpConnectionFactory(http)))
            .orElseGet(() -> new ServerConnector(server, new HttpConnectionFactory(http)));
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.setMaxFormContentSize((int) MAX_REQUEST_BYTES);
    ServletHolder pages =
        new ServletHolder(new ConsoleServlet(backend, options, new Sessions(clock), clock));
    Path uploads;
    try {
      uploads = Files.createTempDirectory("anvil-console-uploads");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for uploads", e);
    }
    pages
        .getRegistration()
        .setMultipartConfig(
            new MultipartConfigElement(uploads.toString(), 1L << 20, MAX_REQUEST_BYTES, 1 << 20));
    context.addServlet(pages, "/*");
    server.setHandler(context);
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly(server);
      tls.ifPresent(HttpsContext::close);
      throw new UncheckedIOException(
          "cannot listen for the console on " + host + ":" + port + ": " + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
    return new ConsoleServer(server, connector, tls);
  }

  private static SslConnectionFactory https(HttpsContext tls, HttpConfiguration http) {
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setSslContext(tls.sslContext());
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    ssl.setNeedClientAuth(tls.needClientAuth());
    ssl.setWantClientAuth(tls.wantClientAuth());
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false); // reached by IP address as often as by name, as gRPC is
    http.addCustomizer(secure);
    return new SslConnectionFactory(ssl, "http/1.1");
  }

  /** The port the console listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** Stops taking requests, lets running ones finish (up to 5 s), then stops. */
  @Override
  public void close() {
    server.setStopTimeout(5_000);
    stopQuietly(server);
    tls.ifPresent(HttpsContext::close);
  }

  private static void stopQuietly(Server server) {
    try {
      server.stop();
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(ConsoleServer.class)
          .warn("stopping the console: {}", e.toString());
    }
  }
}
