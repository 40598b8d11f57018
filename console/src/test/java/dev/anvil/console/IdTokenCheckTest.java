package dev.anvil.console;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.anvil.identity.OidcClient;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ID token of a sign-in must carry its nonce, the issuer and the console's client id. */
class IdTokenCheckTest {
  static final String ISSUER = "https://kc.example/realms/acme";
  static final SignIn.Oidc OIDC =
      new SignIn.Oidc(
          new OidcClient(ISSUER, Duration.ofSeconds(1)),
          ISSUER,
          "anvil-console",
          Optional.empty(),
          token -> {
            throw new AssertionError("not called");
          });

  static String idToken(String iss, String aud, String nonce) throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).keyID("k").generate();
    JWTClaimsSet.Builder c = new JWTClaimsSet.Builder().issuer(iss).audience(aud).subject("sam");
    if (nonce != null) {
      c.claim("nonce", nonce);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), c.build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  @Test
  void acceptsTheTokenOfThisSignIn() throws Exception {
    assertThatCode(
            () -> ConsoleServlet.checkIdToken(OIDC, idToken(ISSUER, "anvil-console", "n1"), "n1"))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesAnotherSignInsNonceOrNone() throws Exception {
    assertThatThrownBy(
            () -> ConsoleServlet.checkIdToken(OIDC, idToken(ISSUER, "anvil-console", "n2"), "n1"))
        .hasMessageStartingWith("nonce:");
    assertThatThrownBy(
            () -> ConsoleServlet.checkIdToken(OIDC, idToken(ISSUER, "anvil-console", null), "n1"))
        .hasMessageStartingWith("nonce:");
  }

  @Test
  void refusesAnotherIssuerOrClient() throws Exception {
    assertThatThrownBy(
            () ->
                ConsoleServlet.checkIdToken(
                    OIDC, idToken("https://evil/realms/acme", "anvil-console", "n1"), "n1"))
        .hasMessageContaining("issuer: expected " + ISSUER);
    assertThatThrownBy(
            () -> ConsoleServlet.checkIdToken(OIDC, idToken(ISSUER, "anvil-cli", "n1"), "n1"))
        .hasMessageContaining("audience: expected anvil-console");
    assertThatThrownBy(() -> ConsoleServlet.checkIdToken(OIDC, "", "n1"))
        .hasMessageContaining("no ID token");
  }
}
