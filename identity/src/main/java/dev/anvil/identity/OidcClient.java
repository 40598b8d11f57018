package dev.anvil.identity;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.anvil.rbac.input.RbacException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Obtains access tokens from an OIDC issuer's token endpoint (found by discovery): the password
 * grant and the device authorization grant for {@code anvil login}, client credentials for agents
 * and connectors.
 *
 * <p>Thread-safe.
 */
public final class OidcClient {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final String issuer;
  private final Duration timeout;
  private final HttpClient http;
  private volatile Map<String, Object> discovery;

  /** A client of {@code issuer} (e.g. {@code https://kc.example/realms/acme}). */
  public OidcClient(String issuer, Duration timeout) {
    this.issuer = Objects.requireNonNull(issuer, "issuer").replaceAll("/+$", "");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** An access token (and the refresh token, if the issuer gave one). */
  public record TokenResponse(
      String accessToken, long expiresInSeconds, Optional<String> refreshToken) {}

  /**
   * A started device flow: show {@code userCode} and {@code verificationUri} to the user; {@code
   * codeVerifier} is the PKCE secret sent when polling.
   */
  public record DeviceAuthorization(
      String deviceCode,
      String userCode,
      String verificationUri,
      String verificationUriComplete,
      int intervalSeconds,
      int expiresInSeconds,
      String codeVerifier) {}

  /** The issuer refused a request; {@code error} is the OAuth error code (e.g. invalid_grant). */
  public static final class OidcClientException extends RbacException {
    private static final long serialVersionUID = 1L;
    private final String error;

    OidcClientException(String error, String message) {
      super(message);
      this.error = error;
    }

    /** The OAuth error code, e.g. {@code invalid_grant}, or {@code http_<status>}. */
    public String error() {
      return error;
    }
  }

  /** The resource-owner password grant (development and scripted use). */
  public TokenResponse password(
      String clientId, Optional<String> clientSecret, String username, String password) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "password");
    form.put("client_id", clientId);
    clientSecret.ifPresent(s -> form.put("client_secret", s));
    form.put("username", username);
    form.put("password", password);
    form.put("scope", "openid");
    return token(post(endpoint("token_endpoint"), form));
  }

  /** The client credentials grant (agents and connectors acting as themselves). */
  public TokenResponse clientCredentials(String clientId, String clientSecret) {
    return token(
        post(
            endpoint("token_endpoint"),
            Map.of(
                "grant_type",
                "client_credentials",
                "client_id",
                clientId,
                "client_secret",
                clientSecret)));
  }

  /**
   * The tokens of an authorization-code grant.
   *
   * @param accessToken the access token
   * @param idToken the ID token (JWS), whose {@code nonce} the client must check; empty if none
   * @param expiresInSeconds the access token's lifetime
   */
  public record CodeTokens(String accessToken, String idToken, long expiresInSeconds) {}

  /** The issuer's authorization endpoint (from discovery), where a browser signs its user in. */
  public URI authorizationEndpoint() {
    return endpoint("authorization_endpoint");
  }

  /**
   * The authorization-code grant with PKCE (RFC 7636): trades the {@code code} the browser brought
   * back for tokens, proving with {@code codeVerifier} that this client started the sign-in.
   */
  public CodeTokens authorizationCode(
      String clientId,
      Optional<String> clientSecret,
      String code,
      String redirectUri,
      String codeVerifier) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("client_id", clientId);
    clientSecret.ifPresent(s -> form.put("client_secret", s));
    form.put("code", code);
    form.put("redirect_uri", redirectUri);
    form.put("code_verifier", codeVerifier);
    Map<String, Object> r = post(endpoint("token_endpoint"), form);
    TokenResponse t = token(r);
    return new CodeTokens(
        t.accessToken(), r.get("id_token") instanceof String id ? id : "", t.expiresInSeconds());
  }

  /** The PKCE challenge (S256) of a verifier. */
  public static String codeChallenge(String codeVerifier) {
    try {
      return java.util.Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(codeVerifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** RFC 8693's name of an access token, as a subject token and as the token asked for. */
  static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

  /**
   * Token exchange (RFC 8693): {@code clientId}, a service the user called with {@code
   * subjectToken} (which must name it as audience), asks the issuer for a token of the same user
   * for {@code audience}, to call that service on the user's behalf. The issuer decides whether the
   * client may (Keycloak: the client's standard token exchange and its audience mappers); the new
   * token is the user's, with the user's claims, never the client's own identity.
   */
  public TokenResponse exchange(
      String clientId, String clientSecret, String subjectToken, String audience) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
    form.put("client_id", clientId);
    form.put("client_secret", clientSecret);
    form.put("subject_token", subjectToken);
    form.put("subject_token_type", ACCESS_TOKEN_TYPE);
    form.put("requested_token_type", ACCESS_TOKEN_TYPE);
    form.put("audience", audience);
    return token(post(endpoint("token_endpoint"), form));
  }

  /** Starts the device authorization grant (RFC 8628), with PKCE (S256). */
  public DeviceAuthorization startDeviceFlow(String clientId) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String verifier = Base64URL.encode(secret).toString();
    String challenge;
    try {
      challenge =
          Base64URL.encode(
                  MessageDigest.getInstance("SHA-256")
                      .digest(verifier.getBytes(StandardCharsets.US_ASCII)))
              .toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
    Map<String, Object> r =
        post(
            endpoint("device_authorization_endpoint"),
            Map.of(
                "client_id",
                clientId,
                "scope",
                "openid",
                "code_challenge",
                challenge,
                "code_challenge_method",
                "S256"));
    return new DeviceAuthorization(
        (String) r.get("device_code"),
        (String) r.get("user_code"),
        (String) r.get("verification_uri"),
        (String) r.getOrDefault("verification_uri_complete", r.get("verification_uri")),
        r.get("interval") instanceof Number n ? n.intValue() : 5,
        r.get("expires_in") instanceof Number n ? n.intValue() : 600,
        verifier);
  }

  /** Polls until the user approves the device flow, it expires, or the user denies it. */
  public TokenResponse awaitDeviceToken(String clientId, DeviceAuthorization auth)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(auth.expiresInSeconds()).toNanos();
    int interval = Math.max(1, auth.intervalSeconds());
    while (System.nanoTime() < deadline) {
      Thread.sleep(Duration.ofSeconds(interval));
      try {
        return token(
            post(
                endpoint("token_endpoint"),
                Map.of(
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code",
                    "client_id",
                    clientId,
                    "device_code",
                    auth.deviceCode(),
                    "code_verifier",
                    auth.codeVerifier())));
      } catch (OidcClientException e) {
        switch (e.error()) {
          case "authorization_pending" -> {}
          case "slow_down" -> interval += 5;
          default -> throw e;
        }
      }
    }
    throw new OidcClientException(
        "expired_token", "the device code expired before it was approved");
  }

  private TokenResponse token(Map<String, Object> r) {
    if (!(r.get("access_token") instanceof String access)) {
      throw new OidcClientException(
          "invalid_response", "the token endpoint answered without an access_token");
    }
    long expiresIn = r.get("expires_in") instanceof Number n ? n.longValue() : 0;
    return new TokenResponse(
        access, expiresIn, Optional.ofNullable((String) r.get("refresh_token")));
  }

  private URI endpoint(String name) {
    Map<String, Object> d = discovery;
    if (d == null) {
      d =
          send(
              HttpRequest.newBuilder(URI.create(issuer + "/.well-known/openid-configuration"))
                  .timeout(timeout)
                  .GET()
                  .build());
      discovery = d;
    }
    if (!(d.get(name) instanceof String uri)) {
      throw new OidcClientException("unsupported", "issuer " + issuer + " advertises no " + name);
    }
    return URI.create(uri);
  }

  private Map<String, Object> post(URI uri, Map<String, String> form) {
    String body =
        form.entrySet().stream()
            .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
            .collect(Collectors.joining("&"));
    return send(
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  private Map<String, Object> send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      Map<String, Object> json;
      try {
        json = JSONObjectUtils.parse(r.body());
      } catch (ParseException e) {
        throw new OidcClientException(
            "http_" + r.statusCode(),
            request.uri() + " answered HTTP " + r.statusCode() + " without JSON");
      }
      if (r.statusCode() / 100 != 2) {
        String error = json.get("error") instanceof String s ? s : "http_" + r.statusCode();
        Object description = json.getOrDefault("error_description", "");
        throw new OidcClientException(
            error,
            request.uri()
                + ": "
                + error
                + (description.toString().isEmpty() ? "" : " (" + description + ")"));
      }
      return json;
    } catch (IOException e) {
      throw new OidcClientException(
          "unreachable", "cannot reach " + request.uri() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OidcClientException("interrupted", "interrupted while calling " + request.uri());
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
