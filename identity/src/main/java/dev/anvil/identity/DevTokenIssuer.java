package dev.anvil.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The development token issuer of the embedded mode: an RSA key kept in the data directory that
 * mints Keycloak-shaped access tokens ({@code realm_access.roles}, {@code groups} as paths, {@code
 * attributes}, {@code azp}), so that the same verifier and claim mapping serve development and
 * production. Only a server explicitly in development mode trusts it.
 *
 * <p>Thread-safe.
 */
public final class DevTokenIssuer {
  /** The {@code iss} of development tokens. */
  public static final String ISSUER = "urn:anvil:dev-issuer";

  /** The {@code aud} of tokens for the context engine (and of development tokens by default). */
  public static final String ENGINE_AUDIENCE = "anvil-context-engine";

  /** The {@code aud} of tokens for the trainer: a token for one service is refused by the other. */
  public static final String TRAINER_AUDIENCE = "anvil-trainer";

  /**
   * The {@code aud} of tokens for the context engine's MCP endpoint: an agent's token opens that
   * endpoint only, and a token for the gRPC service or the trainer does not open it.
   */
  public static final String MCP_AUDIENCE = "anvil-mcp";

  private final RSAKey key;
  private final Clock clock;

  private DevTokenIssuer(RSAKey key, Clock clock) {
    this.key = key;
    this.clock = clock;
  }

  /**
   * Loads the signing key from {@code keyFile}, creating it (readable by the owner only) if absent.
   */
  public static DevTokenIssuer openOrCreate(Path keyFile, Clock clock) {
    try {
      if (Files.exists(keyFile)) {
        return new DevTokenIssuer(RSAKey.parse(Files.readString(keyFile)), clock);
      }
      RSAKey key =
          new RSAKeyGenerator(2048)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.RS256)
              .keyIDFromThumbprint(true)
              .generate();
      Files.createDirectories(keyFile.toAbsolutePath().getParent());
      Files.writeString(
          keyFile, key.toJSONString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
      try {
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the data directory's own permissions apply
      }
      return new DevTokenIssuer(key, clock);
    } catch (IOException | ParseException | JOSEException e) {
      throw new RbacException(
          "cannot open the development signing key " + keyFile + ": " + e.getMessage(), e);
    }
  }

  /** The public key, as a JWKS. */
  public JWKSet publicKeys() {
    return new JWKSet(key.toPublicJWK());
  }

  /** A verifier that trusts exactly this issuer's key. */
  public OidcTokenVerifier verifier() {
    return builder(ENGINE_AUDIENCE).build();
  }

  /** A verifier of this issuer's tokens that maps attributes as {@code schema} declares them. */
  public OidcTokenVerifier verifier(Supplier<TagSchema> schema) {
    return verifier(ENGINE_AUDIENCE, schema);
  }

  /** {@link #verifier(Supplier)} for tokens meant for {@code audience}. */
  public OidcTokenVerifier verifier(String audience, Supplier<TagSchema> schema) {
    return builder(audience).optSchema(schema).build();
  }

  private OidcTokenVerifier.Builder builder(String audience) {
    return OidcTokenVerifier.builder(ISSUER, audience).optTrustedKeys(publicKeys()).optClock(clock);
  }

  /**
   * Mints an access token for a principal.
   *
   * @param agent the client acting for the user ({@code azp})
   * @param ttl how long the token is valid
   */
  public String mint(Principal principal, String agent, Duration ttl) {
    return mint(principal, agent, ttl, ENGINE_AUDIENCE);
  }

  /** {@link #mint(Principal, String, Duration)} for the service of {@code audience}. */
  public String mint(Principal principal, String agent, Duration ttl, String audience) {
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .audience(audience)
            .subject(principal.subject())
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(UUID.randomUUID().toString())
            .claim("typ", "Bearer")
            .claim("azp", agent)
            .claim("preferred_username", principal.subject())
            .claim("realm_access", Map.of("roles", List.copyOf(principal.roles())))
            .claim("groups", principal.groups().stream().map(g -> "/" + g).toList())
            // As Keycloak's user-attribute mappers send them: text, or a list when multi-valued.
            .claim("attributes", claims(principal.attributes()))
            .build();
    return sign(claims);
  }

  /**
   * Token exchange as Keycloak does it for {@code requester} (RFC 8693, for development and tests):
   * a token of this issuer naming {@code requester} as its audience, still valid, becomes one of
   * the same user, with the same claims, for the audience asked, expiring no later. Anything else
   * is refused as Keycloak refuses it.
   */
  public TokenExchange exchange(String requester) {
    // The subject token is checked as the requester itself would check it: by its verifier.
    OidcTokenVerifier asRequester = builder(requester).build();
    return (subjectToken, audience) -> {
      try {
        asRequester.verify(subjectToken);
      } catch (InvalidTokenException e) {
        throw new RbacException(
            "token exchange: access_denied ("
                + switch (e.reason()) {
                  case WRONG_AUDIENCE -> "Client is not within the token audience";
                  case UNKNOWN_KEY, BAD_SIGNATURE ->
                      "the token's signature is not this issuer's: " + e.getMessage();
                  default -> e.getMessage();
                }
                + ")",
            e);
      }
      JWTClaimsSet subject;
      try {
        subject = SignedJWT.parse(subjectToken).getJWTClaimsSet();
      } catch (ParseException e) {
        throw new IllegalStateException("a token that verified does not parse", e);
      }
      Instant now = clock.instant();
      JWTClaimsSet claims =
          new JWTClaimsSet.Builder(subject)
              .audience(audience)
              .issueTime(Date.from(now))
              .notBeforeTime(Date.from(now))
              .jwtID(UUID.randomUUID().toString())
              .claim("azp", requester)
              .build();
      return sign(claims);
    };
  }

  private String sign(JWTClaimsSet claims) {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    try {
      jwt.sign(new RSASSASigner(key));
    } catch (JOSEException e) {
      throw new RbacException("signing a development token failed: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  private static Map<String, Object> claims(Map<String, List<String>> attributes) {
    Map<String, Object> out = new java.util.TreeMap<>();
    attributes.forEach((k, v) -> out.put(k, v.size() == 1 ? v.getFirst() : v));
    return out;
  }
}
