package dev.anvil.rpc;

import dev.anvil.identity.TokenVerifier;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server as every Anvil service runs one: its services behind the {@link AuthInterceptor}
 * and the {@link TelemetryInterceptor}, plus standard health checking and server reflection
 * (unauthenticated, so probes and tools work). It binds to the given host only, in plaintext only
 * on loopback unless told otherwise, or over TLS ({@link ServerTransport}).
 */
public final class GrpcServer implements AutoCloseable {
  /** Largest request accepted by default: a training job's spec with its uploaded data files. */
  public static final int MAX_MESSAGE_BYTES = 64 << 20;

  /** Calls one connection may have open at once: one client cannot hold every server thread. */
  public static final int MAX_CALLS_PER_CONNECTION = 128;

  /**
   * How long a connection lives before the server asks the client to reconnect (calls in flight get
   * {@link #MAX_CONNECTION_AGE_GRACE}): load spreads over new replicas, and no connection holds
   * resources for ever.
   */
  public static final Duration MAX_CONNECTION_AGE = Duration.ofHours(1);

  /** Time a call in flight keeps after its connection aged out (a job's event stream). */
  public static final Duration MAX_CONNECTION_AGE_GRACE = Duration.ofHours(6);

  /**
   * The subject of the client's certificate (mTLS), for the call in progress; unset without one.
   */
  public static final Context.Key<String> CLIENT_CERTIFICATE = Context.key("anvil-client-cert");

  private final Server server;
  private final HealthStatusManager health;
  private final Optional<ServerTls.Reloading> tls;
  private volatile Server healthOnly;

  private GrpcServer(Server server, HealthStatusManager health, Optional<ServerTls.Reloading> tls) {
    this.server = server;
    this.health = health;
    this.tls = tls;
  }

  /**
   * Starts serving in plaintext on loopback: see {@link #start(String, int, ServerTransport,
   * TokenVerifier, OpenTelemetry, List)}.
   */
  public static GrpcServer start(
      String host,
      int port,
      TokenVerifier verifier,
      OpenTelemetry otel,
      List<BindableService> services) {
    return start(host, port, ServerTransport.LOOPBACK_PLAINTEXT, verifier, otel, services);
  }

  /**
   * Starts serving {@code services} on {@code host:port} (port 0 picks a free one) over {@code
   * transport}.
   *
   * @throws IllegalArgumentException for plaintext on an address other than loopback, unless the
   *     transport allows it explicitly
   * @throws UncheckedIOException if the address cannot be bound or the TLS files cannot be read
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      TokenVerifier verifier,
      OpenTelemetry otel,
      List<BindableService> services) {
    return start(host, port, transport, verifier, otel, services, MAX_MESSAGE_BYTES);
  }

  /**
   * {@link #start(String, int, ServerTransport, TokenVerifier, OpenTelemetry, List)} refusing any
   * request message past {@code maxMessageBytes} before it is parsed (RESOURCE_EXHAUSTED).
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      TokenVerifier verifier,
      OpenTelemetry otel,
      List<BindableService> services,
      int maxMessageBytes) {
    InetSocketAddress address = new InetSocketAddress(host, port);
    ServerCredentials credentials;
    Optional<ServerTls.Reloading> tls = Optional.empty();
    switch (transport) {
      case ServerTransport.Plaintext p -> {
        p.checkAddress(address);
        credentials = InsecureServerCredentials.create();
      }
      case ServerTransport.Tls t -> {
        ServerTls.Reloading r = ServerTls.open(t);
        tls = Optional.of(r);
        credentials = r.credentials();
      }
    }
    HealthStatusManager health = new HealthStatusManager();
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(address, credentials)
            .maxInboundMessageSize(maxMessageBytes)
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
            // Dead peers are found (ping after a minute of silence, gone after 20 s without an
            // answer), and a client pinging more often than every 30 s is cut off.
            .keepAliveTime(1, TimeUnit.MINUTES)
            .keepAliveTimeout(20, TimeUnit.SECONDS)
            .permitKeepAliveTime(30, TimeUnit.SECONDS)
            .maxConnectionAge(MAX_CONNECTION_AGE.toSeconds(), TimeUnit.SECONDS)
            .maxConnectionAgeGrace(MAX_CONNECTION_AGE_GRACE.toSeconds(), TimeUnit.SECONDS);
    for (BindableService s : services) {
      builder.addService(
          ServerInterceptors.intercept(
              s,
              new AuthInterceptor(verifier),
              new TelemetryInterceptor(otel),
              new ClientCertificateInterceptor())); // the last one runs first
    }
    Server server =
        builder
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      tls.ifPresent(ServerTls.Reloading::close);
      throw new UncheckedIOException(
          "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    health.setStatus("", ServingStatus.SERVING);
    for (BindableService s : services) {
      health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    return new GrpcServer(server, health, tls);
  }

  /**
   * Also answers gRPC health checks, and nothing else, in plaintext on {@code host:port}: for
   * probes that cannot speak TLS (Kubernetes' {@code grpc} probes). No token and no data crosses
   * it, so it may listen off loopback.
   *
   * @return this server
   * @throws UncheckedIOException if the address cannot be bound
   */
  public synchronized GrpcServer serveHealthOn(String host, int port) {
    if (healthOnly != null) {
      throw new IllegalStateException("health checks are served already");
    }
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(health.getHealthService())
            .build();
    try {
      s.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen for health checks on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    healthOnly = s;
    return this;
  }

  /** The port of the health-check listener, if there is one. */
  public Optional<Integer> healthPort() {
    return Optional.ofNullable(healthOnly).map(Server::getPort);
  }

  /** The port the server listens on. */
  public int port() {
    return server.getPort();
  }

  /** Blocks until the server terminates. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops taking calls (health NOT_SERVING first), lets running calls finish, then stops. */
  @Override
  public void close() {
    health.enterTerminalState();
    if (healthOnly != null) {
      healthOnly.shutdownNow();
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      tls.ifPresent(ServerTls.Reloading::close);
    }
  }
}
