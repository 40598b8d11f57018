package dev.anvil.trainer.grpc;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.identity.TokenVerifier;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.service.LocalTrainer;
import io.opentelemetry.api.OpenTelemetry;
import java.util.List;
import java.util.function.Function;

/**
 * The trainer's gRPC server: {@code TrainerService} behind the same authentication and telemetry as
 * the context engine, with health and reflection, bound to the given host only. Jobs are run by a
 * worker beside it ({@code anvil train serve} starts both).
 */
public final class TrainerServer implements AutoCloseable {
  private final GrpcServer server;

  private TrainerServer(GrpcServer server) {
    this.server = server;
  }

  /** Starts a server on {@code host:port} (port 0 picks a free one). */
  public static TrainerServer start(
      String host,
      int port,
      Function<Principal, LocalTrainer> trainers,
      TokenVerifier verifier,
      OpenTelemetry otel) {
    return new TrainerServer(
        GrpcServer.start(host, port, verifier, otel, List.of(new TrainerGrpcService(trainers))));
  }

  /** The port the server listens on. */
  public int port() {
    return server.port();
  }

  /** Blocks until the server terminates. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops taking calls, lets running calls finish (streams are cut after 10 s), then stops. */
  @Override
  public void close() {
    server.close();
  }
}
