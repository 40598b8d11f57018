package dev.anvil.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.console.spi.JobSource;
import dev.anvil.context.mcp.McpHttpServer;
import dev.anvil.identity.KeycloakServer;
import dev.anvil.identity.OidcClient;
import dev.anvil.identity.OidcTokenVerifier;
import dev.anvil.rpc.ServerTransport;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real Keycloak with the example realm: the console's sign-in is the authorization-code
 * flow with PKCE, state and nonce (driven over HTTP as a browser would: Keycloak's own login form),
 * and the realm's {@code anvil-mcp} client issues tokens that the MCP endpoint's verifier accepts,
 * while a token for the engine's audience is refused.
 */
@Tag("heavy")
class ConsoleKeycloakTest {
  @TempDir static Path data;
  static KeycloakServer keycloak;
  static ConsoleFixture console;
  static OidcClient acme;

  @BeforeAll
  static void start() throws Exception {
    keycloak =
        KeycloakServer.start(
            Path.of(System.getProperty("anvil.keycloak.dist")),
            Files.createDirectories(Path.of("target/keycloak-console")),
            List.of(Path.of(System.getProperty("anvil.keycloak.realm"))));
    String issuer = keycloak.issuer("acme");
    acme = new OidcClient(issuer, Duration.ofSeconds(10));
    console =
        new ConsoleFixture(
            data,
            JobSource.NONE,
            ServerTransport.LOOPBACK_PLAINTEXT,
            schema ->
                new SignIn.Oidc(
                    acme,
                    issuer,
                    SignIn.AUDIENCE,
                    Optional.of("anvil-console-dev-secret"),
                    OidcTokenVerifier.builder(issuer, SignIn.AUDIENCE).optSchema(schema).build()));
  }

  @AfterAll
  static void stop() {
    if (console != null) {
      console.close();
    }
    if (keycloak != null) {
      keycloak.close();
    }
  }

  /**
   * Keycloak's side of a browser: its cookies kept by hand (Keycloak marks them Secure even on a
   * loopback http address, which java.net's cookie handler then never sends back).
   */
  private static final HttpClient BROWSER =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private static final java.util.Map<String, String> JAR =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    if (!JAR.isEmpty()) {
      r.header(
          "Cookie",
          JAR.entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue())
              .collect(java.util.stream.Collectors.joining("; ")));
    }
    HttpResponse<String> res = BROWSER.send(r.build(), HttpResponse.BodyHandlers.ofString());
    for (String c : res.headers().allValues("Set-Cookie")) {
      String pair = c.split(";", 2)[0];
      int eq = pair.indexOf('=');
      JAR.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
    }
    return res;
  }

  /** Signs in through Keycloak's login page; returns the callback URL Keycloak sends back to. */
  private static String loginAt(String authorizeUrl, String user) throws Exception {
    JAR.clear();
    HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(authorizeUrl)));
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    Matcher action = Pattern.compile("action=\"([^\"]+)\"").matcher(page.body());
    assertThat(action.find()).as("Keycloak's login form").isTrue();
    String form =
        "username="
            + user
            + "&password="
            + URLEncoder.encode(user + "-dev-password", StandardCharsets.UTF_8)
            + "&credentialId=";
    HttpResponse<String> done =
        send(
            HttpRequest.newBuilder(URI.create(action.group(1).replace("&amp;", "&")))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    assertThat(done.statusCode()).as(done.body()).isEqualTo(302);
    return done.headers().firstValue("Location").orElseThrow();
  }

  @Test
  void anAdminSignsInWithTheCodeFlowAndPkceAndTheCodeIsUsedOnce() throws Exception {
    HttpResponse<String> start = ConsoleFixture.get(console.baseUrl() + "/signin", null);
    assertThat(start.statusCode()).isEqualTo(302);
    String authorize = start.headers().firstValue("Location").orElseThrow();
    assertThat(authorize)
        .startsWith(keycloak.issuer("acme") + "/protocol/openid-connect/auth?")
        .contains("response_type=code")
        .contains("code_challenge_method=S256")
        .contains("code_challenge=")
        .contains("nonce=")
        .contains("state=")
        .doesNotContain("code_verifier");

    String binding =
        ConsoleServlet.SIGN_IN_COOKIE
            + "="
            + ConsoleFixture.setCookie(start, ConsoleServlet.SIGN_IN_COOKIE);
    String callback = loginAt(authorize, "sam");
    assertThat(callback).startsWith(console.baseUrl() + "/callback?").contains("code=");
    // Another browser brought the callback URL (sent a link by whoever signed in): refused, and
    // the sign-in is not spent by it.
    assertThat(ConsoleFixture.get(callback, null).statusCode()).isEqualTo(400);
    HttpResponse<String> signedIn = ConsoleFixture.get(callback, binding);
    assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(302);
    String cookie =
        ConsoleServlet.COOKIE + "=" + ConsoleFixture.setCookie(signedIn, ConsoleServlet.COOKIE);
    HttpResponse<String> home = ConsoleFixture.get(console.baseUrl() + "/policies", cookie);
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.body()).contains("sam (admin)");

    // The same callback again: its state was used, so nothing is traded.
    HttpResponse<String> replay = ConsoleFixture.get(callback, binding);
    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(replay.headers().allValues("Set-Cookie")).isEmpty();
  }

  @Test
  void aUserWithoutAdminOrAuditSignsInAndSeesOnly403() throws Exception {
    HttpResponse<String> start = ConsoleFixture.get(console.baseUrl() + "/signin", null);
    String authorize = start.headers().firstValue("Location").orElseThrow();
    HttpResponse<String> signedIn =
        ConsoleFixture.get(
            loginAt(authorize, "alice"),
            ConsoleServlet.SIGN_IN_COOKIE
                + "="
                + ConsoleFixture.setCookie(start, ConsoleServlet.SIGN_IN_COOKIE));
    String cookie =
        ConsoleServlet.COOKIE + "=" + ConsoleFixture.setCookie(signedIn, ConsoleServlet.COOKIE);
    HttpResponse<String> r = ConsoleFixture.get(console.baseUrl() + "/audit", cookie);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("403 Forbidden");
  }

  @Test
  void theMcpEndpointAcceptsTokensOfTheAnvilMcpClientAndRefusesTheEngines() throws Exception {
    String issuer = keycloak.issuer("acme");
    try (McpHttpServer mcp =
        McpHttpServer.start(
            "127.0.0.1",
            0,
            ServerTransport.LOOPBACK_PLAINTEXT,
            OidcTokenVerifier.builder(issuer, "anvil-mcp")
                .optSchema(() -> console.engine.policies().current().schema())
                .build(),
            console.tools,
            McpHttpServer.Options.of(issuer))) {
      String forMcp =
          acme.password("anvil-mcp", Optional.empty(), "alice", "alice-dev-password").accessToken();
      String forEngine =
          acme.password("anvil-cli", Optional.empty(), "alice", "alice-dev-password").accessToken();
      assertThat(initialize(mcp, forMcp).statusCode()).isEqualTo(200);
      HttpResponse<String> refused = initialize(mcp, forEngine);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
          .contains("WRONG_AUDIENCE");
    }
  }

  private static HttpResponse<String> initialize(McpHttpServer mcp, String token) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + mcp.port() + McpHttpServer.PATH))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("Authorization", "Bearer " + token)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                            + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                            + "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
