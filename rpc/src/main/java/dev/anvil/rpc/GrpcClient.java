package dev.anvil.rpc;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A connection to an Anvil gRPC service as every client holds one: one channel, the caller's bearer
 * token on every call, and a deadline on every call but long-lived streams. The service clients
 * (the context engine's, the trainer's) wrap one and only add their methods.
 *
 * <p>Thread-safe; close it to release the channel.
 */
public final class GrpcClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final BearerToken credentials;
  private final Duration deadline;

  private GrpcClient(ManagedChannel channel, Supplier<String> token, Duration deadline) {
    this.channel = channel;
    this.credentials = new BearerToken(token);
    this.deadline = Objects.requireNonNull(deadline, "deadline");
  }

  /** {@link #connect(String, int, Supplier, Duration, OpenTelemetry)} with the global one. */
  public static GrpcClient connect(
      String host, int port, Supplier<String> token, Duration deadline) {
    return connect(host, port, token, deadline, GlobalOpenTelemetry.get());
  }

  /**
   * A plaintext client: see {@link #connect(String, int, ClientTransport, Supplier, Duration,
   * OpenTelemetry)}.
   */
  public static GrpcClient connect(
      String host, int port, Supplier<String> token, Duration deadline, OpenTelemetry otel) {
    return connect(host, port, ClientTransport.PLAINTEXT, token, deadline, otel);
  }

  /**
   * A client of {@code host:port} over {@code transport}; it accepts responses up to {@link
   * GrpcServer#MAX_MESSAGE_BYTES}.
   *
   * @param token read per call, so a refreshed token is used from the next call on
   * @param deadline bounds every call made through {@link #stub}
   * @param otel whose propagators send the caller's trace context with every call
   * @throws UncheckedIOException if a TLS file cannot be read
   */
  public static GrpcClient connect(
      String host,
      int port,
      ClientTransport transport,
      Supplier<String> token,
      Duration deadline,
      OpenTelemetry otel) {
    return new GrpcClient(
        NettyChannelBuilder.forAddress(host, port, credentials(transport))
            .maxInboundMessageSize(GrpcServer.MAX_MESSAGE_BYTES)
            .intercept(new TraceContextInterceptor(otel))
            .build(),
        token,
        deadline);
  }

  private static ChannelCredentials credentials(ClientTransport transport) {
    return switch (transport) {
      case ClientTransport.Plaintext p -> InsecureChannelCredentials.create();
      case ClientTransport.Tls t -> {
        try {
          TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
          if (t.ca().isPresent()) {
            b.trustManager(t.ca().get().toFile());
          }
          if (t.certificateChain().isPresent()) {
            b.keyManager(t.certificateChain().get().toFile(), t.privateKey().get().toFile());
          }
          yield b.build();
        } catch (IOException e) {
          throw new UncheckedIOException(
              "cannot read the client's TLS files: " + e.getMessage(), e);
        }
      }
    };
  }

  /** A stub whose calls carry the token and the deadline (counted from each call's start). */
  public <S extends AbstractStub<S>> S stub(Function<Channel, S> newStub) {
    return untimed(newStub).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A stub whose calls carry the token but no deadline: for streams that last as long as a job. */
  public <S extends AbstractStub<S>> S untimed(Function<Channel, S> newStub) {
    return newStub.apply(channel).withCallCredentials(credentials);
  }

  /** The deadline of every call made through {@link #stub}. */
  public Duration deadline() {
    return deadline;
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
