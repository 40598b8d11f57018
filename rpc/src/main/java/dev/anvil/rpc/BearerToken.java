package dev.anvil.rpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** Attaches {@code authorization: Bearer <token>} to every call; the token is read per call. */
public final class BearerToken extends CallCredentials {
  private final Supplier<String> token;

  public BearerToken(Supplier<String> token) {
    this.token = token;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    executor.execute(
        () -> {
          try {
            Metadata headers = new Metadata();
            headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token.get());
            applier.apply(headers);
          } catch (RuntimeException e) {
            applier.fail(
                Status.UNAUTHENTICATED.withDescription("no token: " + e.getMessage()).withCause(e));
          }
        });
  }
}
