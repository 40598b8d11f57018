package dev.anvil.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.anvil.identity.InvalidTokenException.Reason;
import dev.anvil.rbac.schema.TagSchema;
import java.net.URI;
import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Verifies OIDC access tokens (JWS-signed JWTs) from one issuer for one audience.
 *
 * <p>In order: the token must be a compact JWS with a signature; its algorithm must be on the
 * allow-list (asymmetric only: never {@code none}, never HMAC, so a public key can never serve as
 * an HMAC secret); it must name the configured issuer (checked before any key fetch, so foreign
 * tokens cannot trigger refreshes); its {@code kid} must be one of the issuer's signing keys
 * (refreshing them once, rate-limited, when unknown); the signature must verify; then audience,
 * expiry, not-before and issued-at (with a clock skew) and token type ({@code typ} header {@code
 * JWT}/{@code at+jwt}, Keycloak's {@code typ} claim {@code Bearer}) are checked, and the claims are
 * mapped to a principal. The cryptography is nimbus-jose-jwt's.
 *
 * <p>Thread-safe.
 */
public final class OidcTokenVerifier implements TokenVerifier {
  private static final DefaultJWSVerifierFactory VERIFIERS = new DefaultJWSVerifierFactory();

  private final String issuer;
  private final String audience;
  private final Set<JWSAlgorithm> algorithms;
  private final Duration clockSkew;
  private final Clock clock;
  private final ClaimMapping mapping;
  private final Supplier<TagSchema> schema;
  private final KeySource keys;
  private final VerifiedTokens verified = new VerifiedTokens();

  private OidcTokenVerifier(Builder b) {
    this.issuer = b.issuer;
    this.audience = b.audience;
    this.algorithms = Set.copyOf(b.algorithms);
    this.clockSkew = b.clockSkew;
    this.clock = b.clock;
    this.mapping = b.mapping;
    this.schema = b.schema;
    this.keys =
        b.trustedKeys != null
            ? new FixedKeys(b.trustedKeys)
            : new RemoteJwks(
                issuer,
                Optional.ofNullable(b.jwksUri),
                b.minRefreshInterval,
                b.keysRefresh,
                b.keysMaxAge,
                b.httpTimeout,
                b.clock);
  }

  /** A builder for tokens of {@code issuer} meant for {@code audience}. */
  public static Builder builder(String issuer, String audience) {
    return new Builder(issuer, audience);
  }

  /** The issuer whose tokens this verifier accepts. */
  public String issuer() {
    return issuer;
  }

  /** How many times the JWKS was fetched over HTTP (0 for fixed keys). */
  public long jwksFetchCount() {
    return keys instanceof RemoteJwks r ? r.fetchCount() : 0;
  }

  @Override
  public Identity verify(String token) {
    Objects.requireNonNull(token, "token");
    TagSchema current = schema == null ? null : schema.get();
    Optional<VerifiedTokens.Entry> known = verified.find(token, keys, current);
    if (known.isPresent()) {
      checkClaims(known.get().claims());
      return known.get().identity();
    }
    String[] parts = token.strip().split("\\.", -1);
    if (parts.length != 3) {
      throw invalid(
          Reason.MALFORMED,
          "token: expected header.payload.signature, found " + parts.length + " part(s)");
    }
    String alg = headerAlgorithm(parts[0]);
    if (alg.equalsIgnoreCase("none")) {
      throw invalid(Reason.UNSIGNED, "alg: 'none' is never accepted");
    }
    if (parts[2].isEmpty()) {
      throw invalid(Reason.UNSIGNED, "signature: expected one, the token has none");
    }
    JWSAlgorithm algorithm = JWSAlgorithm.parse(alg);
    if (!algorithms.contains(algorithm)) {
      throw invalid(
          Reason.ALGORITHM_NOT_ALLOWED,
          "alg: expected one of " + names(algorithms) + ", was " + alg);
    }
    JWSObject jws;
    JWTClaimsSet claims;
    try {
      jws = JWSObject.parse(token.strip());
      claims = JWTClaimsSet.parse(jws.getPayload().toJSONObject());
    } catch (ParseException | RuntimeException e) {
      throw invalid(Reason.MALFORMED, "token: not a parseable JWT: " + e.getMessage());
    }
    if (jws.getHeader().getType() != null) {
      String typ = jws.getHeader().getType().getType();
      if (!typ.equalsIgnoreCase("JWT") && !typ.equalsIgnoreCase("at+jwt")) {
        throw invalid(Reason.WRONG_TYPE, "typ header: expected JWT or at+jwt, was " + typ);
      }
    }
    // Issuer first (unverified, but only to reject): a foreign token must not cause a key fetch.
    if (!issuer.equals(claims.getIssuer())) {
      throw invalid(
          Reason.WRONG_ISSUER, "issuer: expected " + issuer + ", was " + claims.getIssuer());
    }
    String kid = jws.getHeader().getKeyID();
    if (kid == null) {
      throw invalid(
          Reason.UNKNOWN_KEY,
          "kid: expected the id of one of the issuer's keys, the token names none");
    }
    JWK jwk =
        keys.find(kid)
            .orElseThrow(
                () ->
                    invalid(
                        Reason.UNKNOWN_KEY,
                        "kid: '" + kid + "' is not one of the signing keys of " + issuer));
    if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg)) {
      throw invalid(
          Reason.ALGORITHM_NOT_ALLOWED,
          "alg: key '" + kid + "' is for " + jwk.getAlgorithm() + ", token uses " + alg);
    }
    if (!verifies(jws, jwk)) {
      throw invalid(
          Reason.BAD_SIGNATURE, "signature: does not verify with key '" + kid + "' of " + issuer);
    }
    checkClaims(claims);
    Map<String, Object> raw = claims.toJSONObject();
    Identity identity =
        new Identity(
            mapping.principal(raw, Optional.ofNullable(current)),
            mapping.username(raw),
            mapping.agent(raw),
            issuer,
            claims.getExpirationTime().toInstant());
    verified.put(token, new VerifiedTokens.Entry(kid, jwk, claims, current, identity));
    return identity;
  }

  private void checkClaims(JWTClaimsSet claims) {
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      throw invalid(
          Reason.WRONG_AUDIENCE,
          "audience: expected " + audience + ", was " + (aud == null ? "none" : aud));
    }
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw invalid(Reason.BAD_CLAIM, "exp: expected an expiry time, the token has none");
    }
    if (!now.minus(clockSkew).isBefore(exp.toInstant())) {
      throw invalid(Reason.EXPIRED, "exp: expired at " + exp.toInstant() + ", now is " + now);
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
      throw invalid(
          Reason.NOT_YET_VALID, "nbf: not valid before " + nbf.toInstant() + ", now is " + now);
    }
    Date iat = claims.getIssueTime();
    if (iat != null && now.plus(clockSkew).isBefore(iat.toInstant())) {
      throw invalid(
          Reason.NOT_YET_VALID,
          "iat: issued in the future (" + iat.toInstant() + "), now is " + now);
    }
    Object typ = claims.getClaim("typ");
    if (typ != null && !"Bearer".equals(typ)) {
      throw invalid(Reason.WRONG_TYPE, "typ claim: expected Bearer (an access token), was " + typ);
    }
  }

  private static boolean verifies(JWSObject jws, JWK jwk) {
    try {
      Key key =
          switch (jwk) {
            case RSAKey rsa -> rsa.toRSAPublicKey();
            case ECKey ec -> ec.toECPublicKey();
            default -> null;
          };
      if (key == null) {
        return false;
      }
      JWSVerifier verifier = VERIFIERS.createJWSVerifier(jws.getHeader(), key);
      return jws.verify(verifier);
    } catch (JOSEException e) {
      // e.g. an RSA key offered for an EC algorithm: not a valid signature for this key
      return false;
    }
  }

  private static String headerAlgorithm(String encodedHeader) {
    try {
      Map<String, Object> header =
          JSONObjectUtils.parse(new Base64URL(encodedHeader).decodeToString());
      if (header.get("alg") instanceof String alg) {
        return alg;
      }
      throw invalid(Reason.MALFORMED, "header: expected an 'alg', found none");
    } catch (ParseException | RuntimeException e) {
      if (e instanceof InvalidTokenException i) {
        throw i;
      }
      throw invalid(Reason.MALFORMED, "header: not base64url-encoded JSON");
    }
  }

  private static String names(Set<JWSAlgorithm> algs) {
    return new TreeSet<>(algs.stream().map(JWSAlgorithm::getName).toList()).toString();
  }

  private static InvalidTokenException invalid(Reason reason, String message) {
    return new InvalidTokenException(reason, message);
  }

  /** Settings of an {@link OidcTokenVerifier}; every default is named. */
  public static final class Builder {
    /** Asymmetric algorithms only. */
    public static final Set<JWSAlgorithm> DEFAULT_ALGORITHMS =
        Set.of(
            JWSAlgorithm.RS256,
            JWSAlgorithm.RS384,
            JWSAlgorithm.RS512,
            JWSAlgorithm.PS256,
            JWSAlgorithm.PS384,
            JWSAlgorithm.PS512,
            JWSAlgorithm.ES256,
            JWSAlgorithm.ES384,
            JWSAlgorithm.ES512);

    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KEYS_MAX_AGE = Duration.ofHours(24);
    public static final Duration DEFAULT_KEYS_REFRESH = Duration.ofMinutes(10);
    public static final Duration DEFAULT_HTTP_TIMEOUT = Duration.ofSeconds(5);

    private final String issuer;
    private final String audience;
    private Set<JWSAlgorithm> algorithms = DEFAULT_ALGORITHMS;
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private Duration minRefreshInterval = DEFAULT_MIN_REFRESH_INTERVAL;
    private Duration keysMaxAge = DEFAULT_KEYS_MAX_AGE;
    private Duration keysRefresh = DEFAULT_KEYS_REFRESH;
    private Duration httpTimeout = DEFAULT_HTTP_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private ClaimMapping mapping = ClaimMapping.keycloak();
    private Supplier<TagSchema> schema;
    private URI jwksUri;
    private JWKSet trustedKeys;

    private Builder(String issuer, String audience) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.audience = Objects.requireNonNull(audience, "audience");
    }

    /** The JWKS location; by default discovered from the issuer's openid-configuration. */
    public Builder optJwksUri(URI uri) {
      this.jwksUri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /** Trust exactly these keys instead of fetching any (the development issuer). */
    public Builder optTrustedKeys(JWKSet keys) {
      this.trustedKeys = Objects.requireNonNull(keys, "keys");
      return this;
    }

    /** Allowed algorithms; HMAC and {@code none} are refused here. */
    public Builder optAlgorithms(Set<JWSAlgorithm> algs) {
      for (JWSAlgorithm a : Objects.requireNonNull(algs, "algs")) {
        if (JWSAlgorithm.Family.HMAC_SHA.contains(a) || a.getName().equalsIgnoreCase("none")) {
          throw new IllegalArgumentException("algorithm " + a + " must never verify access tokens");
        }
      }
      this.algorithms = Set.copyOf(algs);
      return this;
    }

    public Builder optClockSkew(Duration skew) {
      this.clockSkew = Objects.requireNonNull(skew, "skew");
      return this;
    }

    /** The shortest time between two JWKS fetches triggered by unknown key ids. */
    public Builder optMinRefreshInterval(Duration interval) {
      this.minRefreshInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** How long fetched keys stay usable when the issuer cannot be reached. */
    public Builder optKeysMaxAge(Duration maxAge) {
      this.keysMaxAge = Objects.requireNonNull(maxAge, "maxAge");
      return this;
    }

    /**
     * How often the keys are fetched again on a schedule (in the background, while the cached ones
     * serve), besides on an unknown key id: a key the issuer withdrew stops verifying.
     */
    public Builder optKeysRefresh(Duration every) {
      this.keysRefresh = Objects.requireNonNull(every, "every");
      return this;
    }

    public Builder optHttpTimeout(Duration timeout) {
      this.httpTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder optClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder optClaimMapping(ClaimMapping mapping) {
      this.mapping = Objects.requireNonNull(mapping, "mapping");
      return this;
    }

    /**
     * The schema of the policies in force, read at each verification (a reload applies to the next
     * token): its principal attributes are the ones kept, and a token with several values for a
     * single-valued one is refused. Without it, every attribute is kept and single-valued.
     */
    public Builder optSchema(Supplier<TagSchema> schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * @throws IllegalArgumentException if the issuer or JWKS URL is not https (http is allowed to a
     *     loopback address only: a development Keycloak on this machine)
     */
    public OidcTokenVerifier build() {
      if (trustedKeys == null) {
        RemoteJwks.requireSecure("issuer", URI.create(issuer));
        if (jwksUri != null) {
          RemoteJwks.requireSecure("jwks_uri", jwksUri);
        }
      }
      return new OidcTokenVerifier(this);
    }
  }
}
