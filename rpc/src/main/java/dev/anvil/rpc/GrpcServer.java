package dev.anvil.rpc;

import dev.anvil.identity.TokenVerifier;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server as every Anvil service runs one: its services behind the {@link AuthInterceptor}
 * and the {@link TelemetryInterceptor}, plus standard health checking and server reflection
 * (unauthenticated, so probes and tools work). It binds to the given host only.
 */
public final class GrpcServer implements AutoCloseable {
  /** Largest request accepted: a training job's spec with its uploaded data files. */
  public static final int MAX_MESSAGE_BYTES = 64 << 20;

  private final Server server;
  private final HealthStatusManager health;

  private GrpcServer(Server server, HealthStatusManager health) {
    this.server = server;
    this.health = health;
  }

  /**
   * Starts serving {@code services} on {@code host:port} (port 0 picks a free one).
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static GrpcServer start(
      String host,
      int port,
      TokenVerifier verifier,
      OpenTelemetry otel,
      List<BindableService> services) {
    HealthStatusManager health = new HealthStatusManager();
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES);
    for (BindableService s : services) {
      builder.addService(
          ServerInterceptors.intercept(
              s,
              new AuthInterceptor(verifier),
              new TelemetryInterceptor(otel))); // the last one runs first
    }
    Server server =
        builder
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    health.setStatus("", ServingStatus.SERVING);
    for (BindableService s : services) {
      health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    return new GrpcServer(server, health);
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
    server.shutdown();
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
