package dev.anvil.cli;

import static dev.anvil.cli.PolicyCommandTest.anvil;
import static dev.anvil.cli.PolicyCommandTest.examplePack;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Development tokens: minted by {@code anvil token mint}, trusted only with {@code --dev}. */
class TokenCommandTest {
  @TempDir Path data;

  @BeforeEach
  void useTempDataDir() {
    System.setProperty("anvil.data", data.toString());
  }

  @AfterEach
  void restore() {
    System.clearProperty("anvil.data");
  }

  private String mint(String who) {
    PolicyCommandTest.Run r =
        anvil("token", "mint", "--pack", examplePack().toString(), "--as", who);
    assertThat(r.exit()).as(r.err()).isZero();
    return r.out().strip();
  }

  @Test
  void aMintedTokenExplainsAsItsPrincipalInDevMode() {
    String token = mint("hannah");
    PolicyCommandTest.Run r =
        anvil(
            "policy",
            "explain",
            "--pack",
            examplePack().toString(),
            "--dev",
            "--token",
            token,
            "--tag",
            "classification=restricted",
            "--tag",
            "department=hr",
            "--tag",
            "topics=compensation");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("decision:  permit by hr-comp-readers-read-compensation")
        .contains("principal: hannah roles=[employee, hr-comp-reader] groups=[hr]");
  }

  @Test
  void audienceNamesTheServiceTheTokenIsFor() throws Exception {
    PolicyCommandTest.Run r =
        anvil(
            "token",
            "mint",
            "--pack",
            examplePack().toString(),
            "--as",
            "alice",
            "--audience",
            "anvil-mcp");
    assertThat(r.exit()).as(r.err()).isZero();
    com.nimbusds.jwt.JWTClaimsSet claims =
        com.nimbusds.jwt.SignedJWT.parse(r.out().strip()).getJWTClaimsSet();
    assertThat(claims.getAudience()).containsExactly("anvil-mcp");
    assertThat(com.nimbusds.jwt.SignedJWT.parse(mint("alice")).getJWTClaimsSet().getAudience())
        .as("the default: the context engine's gRPC service")
        .containsExactly("anvil-context-engine");
  }

  @Test
  void aTokenIsNeverTrustedWithoutAnIssuer() {
    String token = mint("alice");
    PolicyCommandTest.Run r =
        anvil("policy", "compile", "--pack", examplePack().toString(), "--token", token);
    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err()).contains("no token issuer configured").contains("only with --dev");
  }

  @Test
  void aServerWithoutAnIssuerRefusesToStartRatherThanTrustTheDevIssuer() {
    PolicyCommandTest.Run r = anvil("serve", "--pack", examplePack().toString(), "--port", "0");
    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err()).contains("no token issuer configured").contains("only with --dev");
  }

  @Test
  void aDevTokenIsRejectedByAConfiguredIssuerAndATamperedOneByTheDevIssuer() {
    String token = mint("alice");
    PolicyCommandTest.Run foreign =
        anvil(
            "policy",
            "compile",
            "--pack",
            examplePack().toString(),
            "--token",
            token,
            "--issuer",
            "https://kc.example/realms/acme");
    assertThat(foreign.err())
        .contains("issuer: expected https://kc.example/realms/acme, was urn:anvil:dev-issuer");

    String[] parts = token.split("\\.");
    String tampered =
        parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
    PolicyCommandTest.Run bad =
        anvil(
            "policy", "compile", "--pack", examplePack().toString(), "--token", tampered, "--dev");
    assertThat(bad.exit()).isEqualTo(Main.USAGE);
    assertThat(bad.err()).containsAnyOf("signature: does not verify", "not a parseable JWT");
  }
}
