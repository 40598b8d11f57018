package dev.anvil.identity;

import dev.anvil.rbac.input.RbacException;
import java.util.Objects;

/**
 * A token was rejected. {@link #reason()} is for code; the message says what was expected and what
 * was found, e.g. {@code issuer: expected https://kc/realms/acme, was https://evil/realms/acme}.
 */
public final class InvalidTokenException extends RbacException {
  private static final long serialVersionUID = 1L;

  /** Why a token was rejected. */
  public enum Reason {
    /** Not a compact JWS (header.payload.signature), or unparseable. */
    MALFORMED,
    /** {@code alg: none}, or no signature part. */
    UNSIGNED,
    /** An algorithm outside the allow-list (e.g. HS256). */
    ALGORITHM_NOT_ALLOWED,
    /** No key of the issuer has the token's {@code kid}, even after refreshing the keys. */
    UNKNOWN_KEY,
    /** The signature does not verify. */
    BAD_SIGNATURE,
    /** {@code iss} is not the configured issuer. */
    WRONG_ISSUER,
    /** {@code aud} does not contain the configured audience. */
    WRONG_AUDIENCE,
    /** {@code exp} has passed. */
    EXPIRED,
    /** {@code nbf} or {@code iat} is in the future. */
    NOT_YET_VALID,
    /** Not an access token (e.g. an ID or refresh token). */
    WRONG_TYPE,
    /** A required claim is absent or has the wrong shape. */
    BAD_CLAIM
  }

  private final Reason reason;

  public InvalidTokenException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the token was rejected. */
  public Reason reason() {
    return reason;
  }
}
