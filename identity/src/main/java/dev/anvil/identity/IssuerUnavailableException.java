package dev.anvil.identity;

import dev.anvil.rbac.input.RbacException;

/**
 * The issuer's keys could not be fetched and none are cached, so no token can be verified. A retry
 * may succeed; the request must never be treated as authenticated.
 */
public final class IssuerUnavailableException extends RbacException {
  private static final long serialVersionUID = 1L;

  public IssuerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
