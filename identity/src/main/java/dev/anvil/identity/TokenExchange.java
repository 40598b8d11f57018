package dev.anvil.identity;

/**
 * Trades the token a user gave one service for a token of the same user for another service (OAuth
 * 2.0 token exchange, RFC 8693): how the trainer reads a job owner's corpus from the engine as the
 * owner, with the owner's own permissions, never its own and never by impersonation. The issuer
 * decides whether the service may (Keycloak: the client's standard token exchange, with the target
 * as one of its audiences); the subject token must name the service as its audience.
 */
@FunctionalInterface
public interface TokenExchange {

  /**
   * A token of {@code subjectToken}'s user for {@code audience}.
   *
   * @throws dev.anvil.rbac.input.RbacException if the issuer refuses (the reason in the message)
   */
  String exchange(String subjectToken, String audience);

  /** Exchanges at an OIDC issuer's token endpoint as the confidential client {@code clientId}. */
  static TokenExchange oidc(OidcClient issuer, String clientId, String clientSecret) {
    return (subjectToken, audience) ->
        issuer.exchange(clientId, clientSecret, subjectToken, audience).accessToken();
  }
}
