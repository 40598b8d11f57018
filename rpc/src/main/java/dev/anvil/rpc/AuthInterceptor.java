package dev.anvil.rpc;

import dev.anvil.identity.Identity;
import dev.anvil.identity.InvalidTokenException;
import dev.anvil.identity.IssuerUnavailableException;
import dev.anvil.identity.TokenVerifier;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Verifies the bearer token of every call and puts the {@link Identity} in the gRPC {@link
 * Context}; a call without a valid token is closed UNAUTHENTICATED (UNAVAILABLE if the issuer's
 * keys cannot be had) before the service sees it.
 */
public final class AuthInterceptor implements ServerInterceptor {
  /** The verified caller of the current call. */
  public static final Context.Key<Identity> IDENTITY = Context.key("anvil.identity");

  /**
   * The verified bearer token of the current call, as sent: what a service exchanges (RFC 8693) for
   * a token of the same user to call another service on their behalf.
   */
  public static final Context.Key<String> BEARER_TOKEN = Context.key("anvil.bearer-token");

  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final TokenVerifier verifier;

  public AuthInterceptor(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String header = headers.get(AUTHORIZATION);
    Status failure;
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      failure =
          Status.UNAUTHENTICATED.withDescription(
              "expected 'authorization: Bearer <token>', found "
                  + (header == null ? "none" : "another scheme"));
    } else {
      try {
        String token = header.substring(7).strip();
        Identity id = verifier.verify(token);
        return Contexts.interceptCall(
            Context.current().withValues(IDENTITY, id, BEARER_TOKEN, token), call, headers, next);
      } catch (InvalidTokenException e) {
        failure = Status.UNAUTHENTICATED.withDescription(e.reason() + ": " + e.getMessage());
      } catch (IssuerUnavailableException e) {
        failure = Status.UNAVAILABLE.withDescription(e.getMessage());
      }
    }
    call.close(failure, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
