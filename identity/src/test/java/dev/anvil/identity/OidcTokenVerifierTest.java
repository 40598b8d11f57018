package dev.anvil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.anvil.identity.InvalidTokenException.Reason;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The forged-token suite: each attack is rejected with its specific reason. */
class OidcTokenVerifierTest {
  private static final String AUDIENCE = "anvil-context-engine";
  private TestIssuer issuer;
  private MutableClock clock;
  private OidcTokenVerifier verifier;

  static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-11-25T12:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @BeforeEach
  void start() throws Exception {
    issuer = new TestIssuer();
    clock = new MutableClock();
    verifier = OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE).optClock(clock).build();
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  private String valid() throws Exception {
    return issuer.sign(issuer.claims(clock.now).build());
  }

  private void assertRejected(String token, Reason reason, String message) {
    assertThatThrownBy(() -> verifier.verify(token))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(message);
  }

  @Test
  void acceptsAValidKeycloakTokenAndMapsItsClaims() throws Exception {
    Identity id = verifier.verify(valid());
    assertThat(id.principal())
        .isEqualTo(
            new Principal(
                "8c1e-alice",
                Set.of("employee", "default-roles-acme"),
                Set.of("engineering", "engineering/platform"),
                Map.of("clearance", List.of("confidential"), "location", List.of("us"))));
    assertThat(id.username()).isEqualTo("alice");
    assertThat(id.agent()).contains("anvil-cli");
    assertThat(id.issuer()).isEqualTo(issuer.issuer());
    assertThat(verifier.jwksFetchCount()).isEqualTo(1);
  }

  @Test
  void anAttributeWithSeveralValuesIsRefusedNamingTheClaimNeverPicked() throws Exception {
    // Keycloak sends user attributes as lists; which value comes first is not a decision.
    String token =
        issuer.sign(
            issuer
                .claims(clock.now)
                .claim(
                    "attributes",
                    Map.of("clearance", List.of("internal", "restricted"), "location", "us"))
                .build());
    assertRejected(
        token,
        Reason.BAD_CLAIM,
        "claim 'attributes.clearance': expected a single value, was 2 values");
  }

  @Test
  void theSchemaSaysWhichAttributesAreListsAndWhichAreKept() throws Exception {
    TagSchema schema =
        new TagSchema(
            List.of(
                new TagDefinition(
                    "classification", TagType.ORDERED, List.of("a", "b"), true, "", false)),
            List.of(PrincipalAttribute.single("clearance"), PrincipalAttribute.multi("regions")));
    OidcTokenVerifier v =
        OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE)
            .optClock(clock)
            .optSchema(() -> schema)
            .build();
    // A multi-valued attribute keeps every value, sorted (the order sent changes nothing); one
    // the schema does not declare is dropped, since no policy can read it.
    Principal p =
        v.verify(
                issuer.sign(
                    issuer
                        .claims(clock.now)
                        .claim(
                            "attributes",
                            Map.of(
                                "clearance", "internal",
                                "regions", List.of("us", "eu"),
                                "employee_type", List.of("a", "b")))
                        .build()))
            .principal();
    assertThat(p.attributes())
        .isEqualTo(Map.of("clearance", List.of("internal"), "regions", List.of("eu", "us")));
    // A single-valued one with several values refuses the token, naming the claim.
    String two =
        issuer.sign(
            issuer
                .claims(clock.now)
                .claim("attributes", Map.of("clearance", List.of("internal", "restricted")))
                .build());
    assertThatThrownBy(() -> v.verify(two))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.BAD_CLAIM))
        .hasMessageContaining(
            "claim 'attributes.clearance': expected a single value, was 2 values; attribute"
                + " 'clearance' is single-valued (schema principal_attributes)");
  }

  @Test
  void clientRolesCanBeMappedWithAPrefix() throws Exception {
    OidcTokenVerifier v =
        OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE)
            .optClock(clock)
            .optClaimMapping(
                ClaimMapping.keycloak().withClientRoles(List.of(AUDIENCE), "{client}:"))
            .build();
    assertThat(v.verify(valid()).principal().roles())
        .contains("anvil-context-engine:reader", "employee");
  }

  @Test
  void rejectsAlgNone() throws Exception {
    String token = new PlainJWT(issuer.claims(clock.now).build()).serialize();
    assertRejected(token, Reason.UNSIGNED, "alg: 'none' is never accepted");
  }

  @Test
  void rejectsHs256SignedWithTheIssuersPublicKey() throws Exception {
    byte[] publicKeyAsSecret = issuer.signingKey().toRSAPublicKey().getEncoded();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(issuer.signingKey().getKeyID()).build(),
            issuer.claims(clock.now).build());
    jwt.sign(new MACSigner(publicKeyAsSecret));
    assertRejected(jwt.serialize(), Reason.ALGORITHM_NOT_ALLOWED, "alg: expected one of [ES256");
  }

  @Test
  void rejectsAWrongIssuerWithoutFetchingKeys() throws Exception {
    String token =
        issuer.sign(issuer.claims(clock.now).issuer("https://evil.example/realms/acme").build());
    assertRejected(
        token,
        Reason.WRONG_ISSUER,
        "issuer: expected " + issuer.issuer() + ", was https://evil.example/realms/acme");
    assertThat(verifier.jwksFetchCount()).isZero();
  }

  @Test
  void rejectsAWrongAudience() throws Exception {
    String token = issuer.sign(issuer.claims(clock.now).audience("account").build());
    assertRejected(
        token, Reason.WRONG_AUDIENCE, "audience: expected anvil-context-engine, was [account]");
  }

  @Test
  void rejectsExpiredTokensBeyondTheClockSkew() throws Exception {
    String token = valid();
    clock.now = clock.now.plusSeconds(300 + 29);
    assertThat(verifier.verify(token)).isNotNull();
    clock.now = clock.now.plusSeconds(2);
    assertRejected(token, Reason.EXPIRED, "exp: expired at");
  }

  @Test
  void rejectsTokensNotYetValid() throws Exception {
    String token =
        issuer.sign(
            issuer.claims(clock.now).notBeforeTime(Date.from(clock.now.plusSeconds(120))).build());
    assertRejected(token, Reason.NOT_YET_VALID, "nbf: not valid before");
    String future =
        issuer.sign(
            issuer.claims(clock.now).issueTime(Date.from(clock.now.plusSeconds(120))).build());
    assertRejected(future, Reason.NOT_YET_VALID, "iat: issued in the future");
  }

  @Test
  void rejectsAnUnknownKidAfterOneRefresh() throws Exception {
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("not-ours").generate();
    String token = issuer.sign(issuer.claims(clock.now).build(), stranger, h -> {});
    verifier.verify(valid());
    assertRejected(
        token,
        Reason.UNKNOWN_KEY,
        "kid: 'not-ours' is not one of the signing keys of " + issuer.issuer());
    assertThat(verifier.jwksFetchCount()).as("one refresh for the unknown kid").isEqualTo(2);
  }

  @Test
  void aFloodOfUnknownKidsDoesNotHammerTheIssuer() throws Exception {
    verifier.verify(valid());
    for (int i = 0; i < 200; i++) {
      String kid = "kid-" + UUID.randomUUID();
      String token =
          issuer.sign(issuer.claims(clock.now).build(), issuer.signingKey(), h -> h.keyID(kid));
      assertRejected(
          token, Reason.UNKNOWN_KEY, "kid: '" + kid + "' is not one of the signing keys");
    }
    assertThat(issuer.jwksHits.get())
        .as("JWKS fetches: the first load and one refresh")
        .isEqualTo(2);
    clock.now = clock.now.plusSeconds(31);
    assertRejected(
        issuer.sign(issuer.claims(clock.now).build(), issuer.signingKey(), h -> h.keyID("later")),
        Reason.UNKNOWN_KEY,
        "'later'");
    assertThat(issuer.jwksHits.get()).as("one more refresh after the interval").isEqualTo(3);
  }

  @Test
  void aFloodOfUnknownKidsNeverHoldsUpAGoodToken() throws Exception {
    verifier =
        OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE)
            .optClock(clock)
            .optMinRefreshInterval(Duration.ZERO)
            .build();
    verifier.verify(valid());
    issuer.jwksGate = new java.util.concurrent.CountDownLatch(1); // the issuer hangs from now on
    String unknown =
        issuer.sign(issuer.claims(clock.now).build(), issuer.signingKey(), h -> h.keyID("made-up"));
    var stuck =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                verifier.verify(unknown);
                return "verified";
              } catch (InvalidTokenException e) {
                return e.reason().name();
              }
            });
    dev.anvil.rbac.TestUtils.waitForCondition(
        () -> issuer.jwksHits.get() == 2,
        Duration.ofSeconds(10),
        "the refresh to reach the issuer");
    // The refresh hangs; a token with a known key is verified meanwhile, not queued behind it.
    assertThat(verifier.verify(valid()).username()).isEqualTo("alice");
    assertThat(stuck).isNotDone();
    issuer.jwksGate.countDown();
    assertThat(stuck.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("UNKNOWN_KEY");
  }

  @Test
  void keysAreRefreshedOnAScheduleSoAWithdrawnKeyStopsVerifying() throws Exception {
    verifier =
        OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE)
            .optClock(clock)
            .optKeysRefresh(Duration.ofMinutes(10))
            .build();
    String old = valid();
    verifier.verify(old);
    issuer.rotate();
    issuer.withdrawOldKeys();
    clock.now = clock.now.plus(Duration.ofMinutes(1));
    verifier.verify(old); // within the schedule: the cached keys serve, nothing is fetched
    assertThat(issuer.jwksHits.get()).isEqualTo(1);
    clock.now = clock.now.plus(Duration.ofMinutes(10));
    String stillOld =
        issuer.sign(issuer.claims(clock.now).build(), issuer.signingKeyAt(0), h -> {});
    verifier.verify(stillOld); // served from the cache, and a refresh starts in the background
    dev.anvil.rbac.TestUtils.waitForCondition(
        () -> issuer.jwksHits.get() == 2, Duration.ofSeconds(10), "the scheduled refresh");
    dev.anvil.rbac.TestUtils.waitForCondition(
        () -> {
          try {
            verifier.verify(stillOld);
            return false;
          } catch (InvalidTokenException e) {
            return e.reason() == Reason.UNKNOWN_KEY;
          }
        },
        Duration.ofSeconds(10),
        "the withdrawn key to stop verifying");
    assertThat(verifier.verify(valid()).username()).isEqualTo("alice");
  }

  @Test
  void theIssuerAndItsKeysAreHttpsOrOnLoopback() {
    assertThatThrownBy(
            () -> OidcTokenVerifier.builder("http://kc.example/realms/acme", AUDIENCE).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "issuer: expected an https URL (http only to a loopback address), was"
                + " http://kc.example/realms/acme");
    assertThatThrownBy(
            () ->
                OidcTokenVerifier.builder("https://kc.example/realms/acme", AUDIENCE)
                    .optJwksUri(java.net.URI.create("http://kc.example/certs"))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("jwks_uri: expected an https URL");
    assertThat(OidcTokenVerifier.builder("https://kc.example/realms/acme", AUDIENCE).build())
        .isNotNull();
  }

  @Test
  void aDiscoveredJwksUriOffTheIssuersOriginIsRefused() throws Exception {
    issuer.advertisedJwksUri = "http://127.0.0.2:9/realms/acme/certs";
    assertThatThrownBy(() -> verifier.verify(valid()))
        .isInstanceOf(IssuerUnavailableException.class)
        .hasMessageContaining(
            "names jwks_uri http://127.0.0.2:9/realms/acme/certs, not on the issuer's origin");
  }

  @Test
  void rejectsATamperedPayloadWithTheOriginalSignature() throws Exception {
    String[] parts = valid().split("\\.");
    String forged =
        issuer
            .claims(clock.now)
            .claim("realm_access", Map.of("roles", List.of("employee", "hr-comp-reader")))
            .build()
            .toString();
    String token =
        parts[0] + "." + Base64URL.encode(forged.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertRejected(token, Reason.BAD_SIGNATURE, "signature: does not verify");
  }

  /**
   * A verified token is remembered (one signature check per token, not per call), but only as far
   * as nothing changed: a tampered copy of it is checked in full, a schema change maps it anew, and
   * expiry and withdrawn keys are decided on every call (the two tests above verify first too).
   */
  @Test
  void aRememberedTokenIsStillDecidedAgainWhereAnythingChanged() throws Exception {
    List<TagDefinition> tags =
        List.of(
            new TagDefinition(
                "classification", TagType.ORDERED, List.of("a", "b"), true, "", false));
    TagSchema withRegions = new TagSchema(tags, List.of(PrincipalAttribute.multi("regions")));
    java.util.concurrent.atomic.AtomicReference<TagSchema> inForce =
        new java.util.concurrent.atomic.AtomicReference<>(withRegions);
    OidcTokenVerifier v =
        OidcTokenVerifier.builder(issuer.issuer(), AUDIENCE)
            .optClock(clock)
            .optSchema(inForce::get)
            .build();
    String token =
        issuer.sign(
            issuer.claims(clock.now).claim("attributes", Map.of("regions", List.of("eu"))).build());
    assertThat(v.verify(token).principal().attributes()).containsKey("regions");
    assertThat(v.verify(token)).isEqualTo(v.verify(token));

    String[] parts = token.split("\\.");
    String forged =
        issuer
            .claims(clock.now)
            .claim("realm_access", Map.of("roles", List.of("employee", "hr-comp-reader")))
            .build()
            .toString();
    String tampered =
        parts[0] + "." + Base64URL.encode(forged.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertThatThrownBy(() -> v.verify(tampered))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE));

    inForce.set(new TagSchema(tags, List.of()));
    assertThat(v.verify(token).principal().attributes())
        .as("mapped under the schema now in force")
        .doesNotContainKey("regions");
  }

  @Test
  void rejectsATokenFromASecondUntrustedRealm() throws Exception {
    try (TestIssuer other = new TestIssuer()) {
      String foreign = other.sign(other.claims(clock.now).build());
      assertRejected(foreign, Reason.WRONG_ISSUER, "issuer: expected " + issuer.issuer());
      // Even claiming our issuer, its key is not ours.
      String impostor = other.sign(other.claims(clock.now).issuer(issuer.issuer()).build());
      assertRejected(impostor, Reason.UNKNOWN_KEY, "is not one of the signing keys");
    }
  }

  @Test
  void rejectsATokenWithoutASignaturePart() throws Exception {
    String[] parts = valid().split("\\.");
    assertRejected(
        parts[0] + "." + parts[1] + ".",
        Reason.UNSIGNED,
        "signature: expected one, the token has none");
    assertRejected(
        parts[0] + "." + parts[1],
        Reason.MALFORMED,
        "expected header.payload.signature, found 2 part(s)");
    assertRejected("garbage", Reason.MALFORMED, "found 1 part(s)");
  }

  @Test
  void rejectsIdAndRefreshTokens() throws Exception {
    String idToken = issuer.sign(issuer.claims(clock.now).claim("typ", "ID").build());
    assertRejected(
        idToken, Reason.WRONG_TYPE, "typ claim: expected Bearer (an access token), was ID");
  }

  @Test
  void rejectsATokenWithoutSubject() throws Exception {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(issuer.claims(clock.now).build()).subject(null).build();
    assertRejected(issuer.sign(claims), Reason.BAD_CLAIM, "claim 'sub'");
  }

  @Test
  void keyRotationIsPickedUpWithoutRestart() throws Exception {
    String before = valid();
    verifier.verify(before);
    issuer.rotate();
    String after = valid();
    assertThat(verifier.verify(after).username()).isEqualTo("alice");
    assertThat(verifier.verify(before).username())
        .as("the old key is still published")
        .isEqualTo("alice");
    assertThat(verifier.jwksFetchCount()).isEqualTo(2);
  }

  @Test
  void cachedKeysOutliveAnOutageUntilTheyExpire() throws Exception {
    verifier.verify(valid());
    issuer.offline();
    clock.now = clock.now.plus(Duration.ofHours(23));
    assertThat(verifier.verify(valid()).username()).isEqualTo("alice");
    clock.now = clock.now.plus(Duration.ofHours(2));
    String token = valid();
    assertThatThrownBy(() -> verifier.verify(token))
        .isInstanceOf(IssuerUnavailableException.class)
        .hasMessageContaining("cannot fetch the signing keys of issuer " + issuer.issuer());
  }

  @Test
  void noKeysAtAllIsUnavailableNeverAllow() throws Exception {
    issuer.offline();
    String token = valid();
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(IssuerUnavailableException.class);
  }

  @Test
  void hmacCanNeverBeConfigured() {
    assertThatThrownBy(
            () ->
                OidcTokenVerifier.builder("x", "y")
                    .optAlgorithms(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.HS256)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
