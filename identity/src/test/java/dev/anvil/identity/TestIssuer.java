package dev.anvil.identity;

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
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A small OIDC issuer for unit tests: serves a discovery document and a JWKS (with a signing and an
 * encryption key, like Keycloak) over real HTTP on 127.0.0.1, and signs tokens. It can rotate its
 * signing key and go offline.
 */
final class TestIssuer implements AutoCloseable {
  private final HttpServer server;
  private final List<RSAKey> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<RSAKey> all = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final RSAKey encryptionKey;
  final AtomicInteger jwksHits = new AtomicInteger();
  private volatile boolean online = true;

  /** Overrides the discovery document's jwks_uri (a tampered document). */
  volatile String advertisedJwksUri;

  /** When set, JWKS requests wait for it (a slow issuer). */
  volatile java.util.concurrent.CountDownLatch jwksGate;

  TestIssuer() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    keys.add(newKey());
    all.addAll(keys);
    encryptionKey = new RSAKeyGenerator(2048).keyUse(KeyUse.ENCRYPTION).keyID("enc-1").generate();
    server.createContext(
        "/realms/acme/.well-known/openid-configuration",
        ex ->
            respond(
                ex,
                "{\"issuer\":\""
                    + issuer()
                    + "\",\"jwks_uri\":\""
                    + (advertisedJwksUri != null ? advertisedJwksUri : issuer() + "/certs")
                    + "\"}"));
    server.createContext(
        "/realms/acme/certs",
        ex -> {
          jwksHits.incrementAndGet();
          java.util.concurrent.CountDownLatch gate = jwksGate;
          if (gate != null) {
            try {
              gate.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          List<com.nimbusds.jose.jwk.JWK> published = new ArrayList<>();
          keys.forEach(k -> published.add(k.toPublicJWK()));
          published.add(encryptionKey.toPublicJWK());
          respond(ex, new JWKSet(published).toString());
        });
    server.start();
  }

  private void respond(com.sun.net.httpserver.HttpExchange ex, String body) throws IOException {
    if (!online) {
      ex.sendResponseHeaders(503, -1);
      ex.close();
      return;
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static RSAKey newKey() throws Exception {
    return new RSAKeyGenerator(2048)
        .keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.RS256)
        .keyIDFromThumbprint(true)
        .generate();
  }

  String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/acme";
  }

  RSAKey signingKey() {
    return keys.getLast();
  }

  /** The key signed with before {@code index} rotations (kept after it is withdrawn). */
  RSAKey signingKeyAt(int index) {
    return all.get(index);
  }

  /** Adds a new signing key and signs with it from now on (the old one stays published). */
  void rotate() throws Exception {
    RSAKey k = newKey();
    keys.add(k);
    all.add(k);
  }

  /** Stops publishing the key signed with before the last {@link #rotate}. */
  void withdrawOldKeys() {
    RSAKey last = keys.getLast();
    keys.clear();
    keys.add(last);
  }

  void offline() {
    online = false;
  }

  /** Claims of a valid Keycloak-like access token for alice, editable by the caller. */
  JWTClaimsSet.Builder claims(Instant now) {
    return new JWTClaimsSet.Builder()
        .issuer(issuer())
        .audience(List.of("anvil-context-engine", "account"))
        .subject("8c1e-alice")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300)))
        .claim("typ", "Bearer")
        .claim("azp", "anvil-cli")
        .claim("preferred_username", "alice")
        .claim("realm_access", Map.of("roles", List.of("employee", "default-roles-acme")))
        .claim(
            "resource_access", Map.of("anvil-context-engine", Map.of("roles", List.of("reader"))))
        .claim("groups", List.of("/engineering", "/engineering/platform"))
        .claim("attributes", Map.of("clearance", "confidential", "location", List.of("us")));
  }

  String sign(JWTClaimsSet claims) throws Exception {
    return sign(claims, signingKey(), h -> {});
  }

  String sign(JWTClaimsSet claims, RSAKey key, Consumer<JWSHeader.Builder> header)
      throws Exception {
    JWSHeader.Builder h =
        new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT);
    header.accept(h);
    SignedJWT jwt = new SignedJWT(h.build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
