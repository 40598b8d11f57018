package dev.anvil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.anvil.identity.OidcClient.OidcClientException;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.LoopbackSockets;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Against a real Keycloak (the Maven-resolved distribution, dev mode, 127.0.0.1) with the example
 * realm {@code deploy/keycloak/anvil-realm.json}: real tokens verify, map to the expected
 * principals, get the expected decisions and filters; key rotation is picked up; a disabled user
 * gets no new token; a second realm's tokens are refused.
 */
@Tag("heavy")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeycloakIntegrationTest {
  private static final String AUDIENCE = "anvil-context-engine";
  private static KeycloakServer keycloak;
  private static OidcClient acme;
  private static OidcTokenVerifier verifier;
  private static PolicySet policies;
  private static PrincipalDirectory expected;

  @BeforeAll
  static void startKeycloak() throws Exception {
    Path dist = Path.of(System.getProperty("anvil.keycloak.dist"));
    Path realm = Path.of(System.getProperty("anvil.keycloak.realm"));
    Path other =
        Path.of(KeycloakIntegrationTest.class.getResource("/keycloak/other-realm.json").toURI());
    Path work = Files.createDirectories(Path.of("target/keycloak-it"));
    keycloak = KeycloakServer.start(dist, work, List.of(realm, other));
    System.out.printf(
        "Keycloak ready in %.1f s at %s%n",
        keycloak.startupTime().toMillis() / 1000.0, keycloak.url());
    acme = new OidcClient(keycloak.issuer("acme"), Duration.ofSeconds(10));
    verifier =
        OidcTokenVerifier.builder(keycloak.issuer("acme"), AUDIENCE)
            .optMinRefreshInterval(Duration.ZERO)
            .optSchema(() -> policies.schema())
            .build();
    policies = TestPacks.example().load();
    expected = PrincipalDirectory.load(TestPacks.example().principalsFile());
  }

  @AfterAll
  static void stopKeycloak() {
    if (keycloak != null) {
      keycloak.close();
    }
  }

  private static String userToken(String user) {
    return acme.password("anvil-cli", Optional.empty(), user, user + "-dev-password").accessToken();
  }

  @Test
  @Order(1)
  void keycloakListensOnLoopbackOnly() throws Exception {
    List<LoopbackSockets.Listener> sockets = LoopbackSockets.ofProcesses(keycloak.pids());
    assertThat(sockets)
        .isNotEmpty()
        .allMatch(LoopbackSockets.Listener::loopbackOnly, "bound to 127.0.0.1");
  }

  @Test
  @Order(2)
  void realUserTokensMapToTheExpectedPrincipalsDecisionsAndFilters() {
    for (String user : List.of("alice", "hannah", "carl", "frank", "rita")) {
      Identity id = verifier.verify(userToken(user));
      Principal want = expected.find(user).orElseThrow();
      // Keycloak's extra attribute (employee_type) is not in the schema: dropped. rita's regions
      // arrive as a list (a multi-valued mapper) and stay one.
      Principal asMapped =
          new Principal(id.principal().subject(), want.roles(), want.groups(), want.attributes());

      assertThat(id.username()).isEqualTo(user);
      assertThat(id.agent()).contains("anvil-cli");
      assertThat(id.principal()).isEqualTo(asMapped);
      assertThat(policies.compile(id.principal(), Action.READ).filter())
          .isEqualTo(policies.compile(asMapped, Action.READ).filter());
    }
    assertThat(verifier.verify(userToken("rita")).principal().attributes())
        .containsEntry("regions", List.of("apac", "eu"));
    var apacCustomers =
        policies
            .schema()
            .validate(
                Map.of(
                    "classification",
                    "confidential",
                    "department",
                    List.of("finance"),
                    "topics",
                    List.of("customers"),
                    "region",
                    "apac"));
    assertThat(
            policies
                .decide(verifier.verify(userToken("rita")).principal(), Action.READ, apacCustomers)
                .permitted())
        .isTrue();
    var compensation =
        policies
            .schema()
            .validate(
                Map.of(
                    "classification",
                    "confidential",
                    "department",
                    List.of("hr"),
                    "topics",
                    List.of("compensation")));
    assertThat(
            policies
                .decide(verifier.verify(userToken("alice")).principal(), Action.READ, compensation)
                .permitted())
        .isFalse();
    assertThat(
            policies
                .decide(verifier.verify(userToken("hannah")).principal(), Action.READ, compensation)
                .permitted())
        .isTrue();
  }

  @Test
  @Order(2)
  void aTokenForTheEngineIsRefusedByTheTrainerAndTheOtherWayRound() {
    OidcTokenVerifier trainer =
        OidcTokenVerifier.builder(keycloak.issuer("acme"), "anvil-trainer")
            .optSchema(() -> policies.schema())
            .build();
    String forTrainer =
        acme.password("anvil-trainer-cli", Optional.empty(), "mia", "mia-dev-password")
            .accessToken();
    assertThat(trainer.verify(forTrainer).principal().roles()).contains("ml-engineer");
    assertThatThrownBy(() -> verifier.verify(forTrainer))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.WRONG_AUDIENCE));
    assertThatThrownBy(() -> trainer.verify(userToken("mia")))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.WRONG_AUDIENCE));
  }

  @Test
  @Order(3)
  void agentsAuthenticateWithClientCredentials() {
    Identity agent =
        verifier.verify(
            acme.clientCredentials("anvil-agent", "anvil-agent-dev-secret").accessToken());
    assertThat(agent.agent()).contains("anvil-agent");
    assertThat(agent.username()).isEqualTo("service-account-anvil-agent");
    assertThat(agent.principal().roles()).contains("agent");
    assertThat(agent.principal().attributes()).containsEntry("clearance", List.of("internal"));
  }

  @Test
  @Order(4)
  void tokensOfASecondRealmAreRefused() {
    String foreign =
        new OidcClient(keycloak.issuer("other"), Duration.ofSeconds(10))
            .password("anvil-cli", Optional.empty(), "mallory", "mallory-dev-password")
            .accessToken();
    assertThatThrownBy(() -> verifier.verify(foreign))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.WRONG_ISSUER))
        .hasMessageContaining(
            "issuer: expected " + keycloak.issuer("acme") + ", was " + keycloak.issuer("other"));
  }

  @Test
  @Order(5)
  void keyRotationInKeycloakIsPickedUpWithoutRestart() throws Exception {
    String before = userToken("alice");
    verifier.verify(before);
    long fetches = verifier.jwksFetchCount();

    keycloak.rotateSigningKey("acme");
    String after = userToken("alice");

    assertThat(SignedJWT.parse(after).getHeader().getKeyID())
        .isNotEqualTo(SignedJWT.parse(before).getHeader().getKeyID());
    assertThat(verifier.verify(after).username()).isEqualTo("alice");
    assertThat(verifier.jwksFetchCount()).isEqualTo(fetches + 1);
    assertThat(verifier.verify(before).username())
        .as("tokens signed with the old key")
        .isEqualTo("alice");
  }

  @Test
  @Order(6)
  void aDisabledUserGetsNoNewTokens() throws Exception {
    userToken("carl");
    keycloak.setUserEnabled("acme", "carl", false);
    try {
      assertThatThrownBy(() -> userToken("carl"))
          .isInstanceOfSatisfying(
              OidcClientException.class, e -> assertThat(e.error()).isEqualTo("invalid_grant"));
    } finally {
      keycloak.setUserEnabled("acme", "carl", true);
    }
  }

  @Test
  @Order(7)
  void theTrainerExchangesItsCallersTokenForOneTheEngineAcceptsAsTheSameUser() {
    String forTrainer =
        acme.password("anvil-trainer-cli", Optional.empty(), "mia", "mia-dev-password")
            .accessToken();
    String forEngine =
        acme.exchange("anvil-trainer", "anvil-trainer-dev-secret", forTrainer, AUDIENCE)
            .accessToken();
    Identity mia = verifier.verify(forEngine);
    assertThat(mia.username()).isEqualTo("mia");
    assertThat(mia.principal())
        .isEqualTo(verifier.verify(userToken("mia")).principal())
        .as("the user's own roles, groups and attributes, not the trainer's");
    assertThat(mia.principal().roles()).contains("ml-engineer");

    // A token the user gave another service (the engine) is not the trainer's to exchange.
    assertThatThrownBy(
            () ->
                acme.exchange(
                    "anvil-trainer", "anvil-trainer-dev-secret", userToken("mia"), AUDIENCE))
        .isInstanceOfSatisfying(
            OidcClientException.class, e -> assertThat(e.error()).isEqualTo("access_denied"))
        .hasMessageContaining("Client is not within the token audience");
    // Nor may anyone but the trainer exchange a token given to the trainer.
    assertThatThrownBy(
            () -> acme.exchange("anvil-agent", "anvil-agent-dev-secret", forTrainer, AUDIENCE))
        .isInstanceOfSatisfying(
            OidcClientException.class, e -> assertThat(e.error()).isEqualTo("invalid_request"))
        .hasMessageContaining("Standard token exchange is not enabled");
  }
}
