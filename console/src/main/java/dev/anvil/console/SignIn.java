package dev.anvil.console;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.OidcClient;
import dev.anvil.identity.TokenExchange;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.rbac.PrincipalDirectory;
import java.util.Objects;
import java.util.Optional;

/**
 * How people sign in to the console: through the OIDC issuer (authorization code with PKCE, state
 * and nonce checked), or, for development, by picking a principal that the development issuer then
 * signs a token for. Either way the console holds a verified access token for its own audience,
 * which it verifies exactly as every other Anvil endpoint verifies tokens.
 */
public sealed interface SignIn permits SignIn.Oidc, SignIn.Dev {
  /** The audience of the console's tokens, and its client id in the example realm. */
  String AUDIENCE = "anvil-console";

  /** The verifier of the console's access tokens (audience {@link #AUDIENCE}). */
  TokenVerifier verifier();

  /** Trades a signed-in user's token for one of the same user for another service. */
  TokenExchange exchange();

  /**
   * Sign-in through an OIDC issuer (Keycloak), as the confidential client {@code clientId}.
   *
   * @param issuer the issuer's client (discovery, the authorization and token endpoints)
   * @param clientId the console's client id
   * @param clientSecret its secret, if it is a confidential client (needed for token exchange)
   * @param verifier verifies the access tokens the issuer returns (audience {@link #AUDIENCE})
   * @param issuerId the issuer identifier, which the ID token's {@code iss} must equal
   */
  record Oidc(
      OidcClient issuer,
      String issuerId,
      String clientId,
      Optional<String> clientSecret,
      TokenVerifier verifier)
      implements SignIn {
    public Oidc {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(issuerId, "issuerId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(clientSecret, "clientSecret");
      Objects.requireNonNull(verifier, "verifier");
    }

    @Override
    public TokenExchange exchange() {
      return (token, audience) ->
          TokenExchange.oidc(
                  issuer,
                  clientId,
                  clientSecret.orElseThrow(
                      () ->
                          new dev.anvil.rbac.input.RbacException(
                              "the console's client has no secret: it cannot exchange tokens")))
              .exchange(token, audience);
    }
  }

  /**
   * Development sign-in: a page lists the principals of {@code people}; the development issuer
   * signs a token for the one picked. Only with {@code --dev}.
   */
  record Dev(DevTokenIssuer issuer, PrincipalDirectory people, TokenVerifier verifier)
      implements SignIn {
    public Dev {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(people, "people");
      Objects.requireNonNull(verifier, "verifier");
    }

    @Override
    public TokenExchange exchange() {
      return issuer.exchange(AUDIENCE);
    }
  }
}
