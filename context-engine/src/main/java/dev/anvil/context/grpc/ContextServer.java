package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.ContextException;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.rbac.identity.TokenVerifier;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * The context engine's gRPC server: {@code ContextService} behind the authentication interceptor,
 * plus standard health checking and server reflection (unauthenticated, so probes and tools work).
 * Binds to the given host only (127.0.0.1 by default in embedded mode).
 */
public final class ContextServer implements AutoCloseable {
  private final Server server;
  private final HealthStatusManager health;

  private ContextServer(Server server, HealthStatusManager health) {
    this.server = server;
    this.health = health;
  }

  /** Starts a server on {@code host:port} (port 0 picks a free one). */
  public static ContextServer start(
      String host, int port, ContextEngine engine, TokenVerifier verifier, AuditLog audit) {
    return start(host, port, engine, verifier, audit, GlobalOpenTelemetry.get());
  }

  /** Starts a server that reports a span and a latency measurement per call to {@code otel}. */
  public static ContextServer start(
      String host,
      int port,
      ContextEngine engine,
      TokenVerifier verifier,
      AuditLog audit,
      OpenTelemetry otel) {
    HealthStatusManager health = new HealthStatusManager();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(
                ServerInterceptors.intercept(
                    new ContextGrpcService(engine, audit, Clock.systemUTC()),
                    new AuthInterceptor(verifier),
                    new TelemetryInterceptor(otel))) // the last one runs first
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new ContextException(
          "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("anvil.context.v1.ContextService", ServingStatus.SERVING);
    return new ContextServer(server, health);
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
