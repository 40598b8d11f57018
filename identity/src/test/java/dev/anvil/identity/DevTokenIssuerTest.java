package dev.anvil.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.TagSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevTokenIssuerTest {
  @TempDir Path data;

  @Test
  void mintedTokensVerifyBackToTheSamePrincipal() throws Exception {
    Path keyFile = data.resolve("dev-issuer/key.jwk.json");
    DevTokenIssuer issuer = DevTokenIssuer.openOrCreate(keyFile, Clock.systemUTC());
    Principal alice =
        new Principal(
            "alice",
            Set.of("employee"),
            Set.of("engineering"),
            Map.of("clearance", List.of("confidential"), "regions", List.of("eu", "apac")));

    // The example pack's schema: regions is multi-valued, clearance single-valued.
    TagSchema schema = TestPacks.example().load().schema();
    Identity id =
        issuer
            .verifier(() -> schema)
            .verify(issuer.mint(alice, "anvil-cli", Duration.ofMinutes(5)));

    assertThat(id.principal()).isEqualTo(alice);
    assertThat(id.agent()).contains("anvil-cli");
    assertThat(Files.getPosixFilePermissions(keyFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    // The key survives a restart: a reopened issuer verifies the old token.
    String token = issuer.mint(alice, "anvil-cli", Duration.ofMinutes(5));
    assertThat(
            DevTokenIssuer.openOrCreate(keyFile, Clock.systemUTC())
                .verifier(() -> schema)
                .verify(token)
                .principal())
        .isEqualTo(alice);
  }

  @Test
  void aDevelopmentTokenIsWorthlessToAProductionVerifier() throws Exception {
    DevTokenIssuer dev = DevTokenIssuer.openOrCreate(data.resolve("k.json"), Clock.systemUTC());
    String token = dev.mint(Principal.of("mallory"), "anvil-cli", Duration.ofMinutes(5));
    try (TestIssuer real = new TestIssuer()) {
      OidcTokenVerifier prod =
          OidcTokenVerifier.builder(real.issuer(), DevTokenIssuer.ENGINE_AUDIENCE).build();
      assertThatThrownBy(() -> prod.verify(token))
          .isInstanceOfSatisfying(
              InvalidTokenException.class,
              e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.WRONG_ISSUER));
    }
  }

  @Test
  void aTokenForOneServiceIsRefusedByTheOther() throws Exception {
    DevTokenIssuer dev = DevTokenIssuer.openOrCreate(data.resolve("k.json"), Clock.systemUTC());
    Principal alice = Principal.of("alice");
    String forEngine = dev.mint(alice, "anvil-cli", Duration.ofMinutes(5));
    String forTrainer =
        dev.mint(alice, "anvil-cli", Duration.ofMinutes(5), DevTokenIssuer.TRAINER_AUDIENCE);
    TagSchema schema = TestPacks.example().load().schema();
    var engine = dev.verifier(DevTokenIssuer.ENGINE_AUDIENCE, () -> schema);
    var trainer = dev.verifier(DevTokenIssuer.TRAINER_AUDIENCE, () -> schema);
    assertThat(engine.verify(forEngine).principal().subject()).isEqualTo("alice");
    assertThat(trainer.verify(forTrainer).principal().subject()).isEqualTo("alice");
    assertThatThrownBy(() -> trainer.verify(forEngine))
        .isInstanceOfSatisfying(
            InvalidTokenException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidTokenException.Reason.WRONG_AUDIENCE));
    assertThatThrownBy(() -> engine.verify(forTrainer))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("anvil-context-engine");
  }

  @Test
  void theTrainerExchangesItsCallersTokenAsKeycloakDoes() {
    DevTokenIssuer dev = DevTokenIssuer.openOrCreate(data.resolve("k.json"), Clock.systemUTC());
    TagSchema schema = TestPacks.example().load().schema();
    Principal mia =
        new Principal(
            "mia",
            Set.of("employee", "ml-engineer"),
            Set.of("engineering"),
            Map.of("clearance", List.of("confidential")));
    String forTrainer =
        dev.mint(mia, "anvil-trainer-cli", Duration.ofMinutes(5), DevTokenIssuer.TRAINER_AUDIENCE);
    TokenExchange trainer = dev.exchange(DevTokenIssuer.TRAINER_AUDIENCE);

    String forEngine = trainer.exchange(forTrainer, DevTokenIssuer.ENGINE_AUDIENCE);
    Identity id = dev.verifier(() -> schema).verify(forEngine);
    assertThat(id.principal()).isEqualTo(mia);
    assertThat(id.agent()).contains(DevTokenIssuer.TRAINER_AUDIENCE);

    // A token given to the engine is not the trainer's to exchange; nor is a forged one.
    String forEngineDirect = dev.mint(mia, "anvil-cli", Duration.ofMinutes(5));
    assertThatThrownBy(() -> trainer.exchange(forEngineDirect, DevTokenIssuer.ENGINE_AUDIENCE))
        .hasMessageContaining("Client is not within the token audience");
    DevTokenIssuer other = DevTokenIssuer.openOrCreate(data.resolve("o.json"), Clock.systemUTC());
    String forged =
        other.mint(
            mia, "anvil-trainer-cli", Duration.ofMinutes(5), DevTokenIssuer.TRAINER_AUDIENCE);
    assertThatThrownBy(() -> trainer.exchange(forged, DevTokenIssuer.ENGINE_AUDIENCE))
        .hasMessageContaining("signature");
  }
}
