package dev.anvil.context.grpc;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;

/**
 * Starts the context engine's gRPC server: {@code ContextService} behind the authentication and
 * telemetry interceptors, plus standard health checking and server reflection (unauthenticated, so
 * probes and tools work), as a {@link GrpcServer}. Binds to the given host only (127.0.0.1 by
 * default in embedded mode).
 */
public final class ContextServer {
  /**
   * Largest request message: one document of {@link Document#MAX_BODY_LENGTH} characters, each up
   * to 3 bytes in UTF-8, with its title, tags and source. Larger ones are refused before parsing.
   */
  public static final int MAX_MESSAGE_BYTES = 3 * Document.MAX_BODY_LENGTH + (1 << 20);

  private ContextServer() {}

  /** Starts a server on {@code host:port} (port 0 picks a free one). */
  public static GrpcServer start(
      String host, int port, ContextEngine engine, TokenVerifier verifier, AuditLog audit) {
    return start(host, port, engine, verifier, audit, GlobalOpenTelemetry.get());
  }

  /** Starts a server that reports a span and a latency measurement per call to {@code otel}. */
  public static GrpcServer start(
      String host,
      int port,
      ContextEngine engine,
      TokenVerifier verifier,
      AuditLog audit,
      OpenTelemetry otel) {
    return start(
        host,
        port,
        ServerTransport.LOOPBACK_PLAINTEXT,
        engine,
        verifier,
        audit,
        Limits.DEFAULTS,
        otel);
  }

  /**
   * Starts a server over {@code transport} (TLS, or plaintext on loopback) that holds every request
   * and caller to {@code limits}.
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      ContextEngine engine,
      TokenVerifier verifier,
      AuditLog audit,
      Limits limits,
      OpenTelemetry otel) {
    return start(
        host, port, transport, engine, verifier, audit, limits, new Admission(limits), otel);
  }

  /**
   * {@link #start(String, int, ServerTransport, ContextEngine, TokenVerifier, AuditLog, Limits,
   * OpenTelemetry)} admitting calls through {@code admission}, which the server's MCP endpoint
   * shares: one rate per caller and one concurrency budget, whichever protocol a call uses.
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      ContextEngine engine,
      TokenVerifier verifier,
      AuditLog audit,
      Limits limits,
      Admission admission,
      OpenTelemetry otel) {
    return start(
        host,
        port,
        transport,
        engine,
        verifier,
        audit,
        limits,
        admission,
        otel,
        java.util.Optional.empty());
  }

  /**
   * Starts a server that also serves {@code JudgmentService} over {@code judging}, with the same
   * authentication, per-caller rates (through {@code admission}) and audit log as the engine's own
   * calls.
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      ContextEngine engine,
      TokenVerifier verifier,
      AuditLog audit,
      Limits limits,
      Admission admission,
      OpenTelemetry otel,
      java.util.Optional<dev.anvil.judge.Judging> judging) {
    CallAudit calls = new CallAudit(engine, audit, Clock.systemUTC());
    List<io.grpc.BindableService> services = new java.util.ArrayList<>();
    services.add(new ContextGrpcService(engine, calls, limits, admission));
    judging.ifPresent(j -> services.add(new JudgmentGrpcService(j, calls, admission)));
    try {
      return GrpcServer.start(host, port, transport, verifier, otel, services, MAX_MESSAGE_BYTES);
    } catch (UncheckedIOException e) {
      throw new ContextException(e.getMessage(), e);
    }
  }
}
