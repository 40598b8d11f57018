package dev.anvil.identity;

/**
 * Turns a bearer token into a verified {@link Identity}. Implementations are thread-safe.
 *
 * <p>A token is either verified or rejected: {@link InvalidTokenException} says why (the caller
 * answers "unauthenticated"); {@link IssuerUnavailableException} means no keys could be obtained to
 * decide (the caller answers "unavailable", never "allow").
 */
public interface TokenVerifier {

  /**
   * Verifies a token.
   *
   * @param token the compact JWT, without a {@code Bearer } prefix
   * @throws InvalidTokenException if the token is not acceptable, with the specific reason
   * @throws IssuerUnavailableException if the issuer's keys cannot be obtained and none are cached
   */
  Identity verify(String token);
}
