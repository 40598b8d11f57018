package dev.anvil.trainer.grpc;

import dev.anvil.identity.TokenVerifier;
import dev.anvil.rbac.Principal;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.TrainerLimits;
import io.opentelemetry.api.OpenTelemetry;
import java.util.List;
import java.util.function.Function;

/**
 * Starts the trainer's gRPC server: {@code TrainerService} behind the same authentication and
 * telemetry as the context engine, with health and reflection, as a {@link GrpcServer} bound to the
 * given host only. Jobs are run by a worker beside it ({@code anvil train serve} starts both).
 */
public final class TrainerServer {
  private TrainerServer() {}

  /** Starts a server on {@code host:port} (port 0 picks a free one). */
  public static GrpcServer start(
      String host,
      int port,
      Function<Principal, LocalTrainer> trainers,
      TokenVerifier verifier,
      OpenTelemetry otel) {
    return start(host, port, ServerTransport.LOOPBACK_PLAINTEXT, trainers, verifier, otel);
  }

  /**
   * Starts the trainer service over {@code transport} (TLS, or plaintext on loopback), within
   * {@link TrainerLimits#DEFAULTS}.
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      Function<Principal, LocalTrainer> trainers,
      TokenVerifier verifier,
      OpenTelemetry otel) {
    return start(host, port, transport, trainers, verifier, TrainerLimits.DEFAULTS, otel);
  }

  /**
   * Starts the trainer service over {@code transport} (TLS, or plaintext on loopback), holding each
   * request and caller to {@code limits}.
   */
  public static GrpcServer start(
      String host,
      int port,
      ServerTransport transport,
      Function<Principal, LocalTrainer> trainers,
      TokenVerifier verifier,
      TrainerLimits limits,
      OpenTelemetry otel) {
    return GrpcServer.start(
        host, port, transport, verifier, otel, List.of(new TrainerGrpcService(trainers, limits)));
  }
}
