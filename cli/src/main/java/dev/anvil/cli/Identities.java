package dev.anvil.cli;

import dev.anvil.identity.ClaimMapping;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.OidcTokenVerifier;
import dev.anvil.identity.TokenVerifier;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * Where the CLI gets identities: the configured OIDC issuer, or, only when asked for with {@code
 * --dev}, the development issuer of the local data directory. There is no silent fallback from one
 * to the other.
 */
final class Identities {

  private Identities() {}

  /**
   * The data directory: the {@code anvil.data} system property, else $ANVIL_DATA, else .anvil under
   * the installation, else ~/.anvil.
   */
  static Path dataDir() {
    String env = System.getProperty("anvil.data", System.getenv("ANVIL_DATA"));
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String home = System.getenv("ANVIL_HOME");
    return home != null
        ? Path.of(home, ".anvil")
        : Path.of(System.getProperty("user.home"), ".anvil");
  }

  static DevTokenIssuer devIssuer() {
    return DevTokenIssuer.openOrCreate(
        dataDir().resolve("dev-issuer/signing-key.jwk.json"), Clock.systemUTC());
  }

  /** Where {@code anvil login} keeps the token (readable by the owner only). */
  static Path savedTokenFile() {
    return dataDir().resolve("token");
  }

  static void saveToken(String token) {
    Path file = savedTokenFile();
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      Files.writeString(file, token, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not POSIX: the data directory's permissions apply
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the token to " + file, e);
    }
  }

  /** {@code --issuer}/{@code --audience}/{@code --dev}: which tokens to trust. */
  static final class IssuerOptions {
    @Option(
        names = "--issuer",
        paramLabel = "URL",
        description = "OIDC issuer to trust, e.g. https://kc.example/realms/acme.")
    String issuer;

    @Option(
        names = "--audience",
        paramLabel = "AUD",
        description =
            "Audience tokens must carry (default: the server's own, anvil-context-engine or"
                + " anvil-trainer: a token for one is refused by the other).")
    String audience;

    @Option(names = "--dev", description = "Trust the local development issuer (anvil token mint).")
    boolean dev;

    @Option(
        names = "--jwks-uri",
        paramLabel = "URL",
        description = "The issuer's JWKS (default: from its openid-configuration).")
    URI jwksUri;

    @Option(
        names = "--roles-claim",
        paramLabel = "PATH",
        description =
            "Claim path of a role list, repeatable (default: realm_access.roles, Keycloak's).")
    List<String> roleClaims = new ArrayList<>();

    @Option(
        names = "--client-roles",
        paramLabel = "CLIENT",
        description = "Also map resource_access.CLIENT.roles, prefixed 'CLIENT:' (repeatable).")
    List<String> clientRoles = new ArrayList<>();

    @Option(
        names = "--groups-claim",
        paramLabel = "PATH",
        description = "Claim path of the group list (default: groups).")
    String groupsClaim;

    @Option(
        names = "--attribute-claim",
        paramLabel = "NAME=PATH",
        description =
            "Map a claim to principal.attributes.NAME (repeatable; the 'attributes' object claim is always read).")
    Map<String, String> attributeClaims = new LinkedHashMap<>();

    /** The claim mapping: Keycloak's, adjusted by the options above. */
    ClaimMapping mapping() {
      ClaimMapping k = ClaimMapping.keycloak();
      return new ClaimMapping(
          k.subjectClaim(),
          k.usernameClaim(),
          roleClaims.isEmpty() ? k.roleClaims() : roleClaims,
          clientRoles,
          clientRoles.isEmpty() ? "" : "{client}:",
          groupsClaim != null ? groupsClaim : k.groupsClaim(),
          k.stripGroupSlash(),
          k.attributesClaim(),
          attributeClaims,
          k.agentClaim());
    }

    String issuer() {
      return issuer;
    }

    /** The context engine's verifier: {@link #verifier(String, Supplier)}. */
    TokenVerifier verifier(Supplier<TagSchema> schema) {
      return verifier(DevTokenIssuer.ENGINE_AUDIENCE, schema);
    }

    /**
     * The verifier of the configured issuer for a server whose own audience is {@code
     * serverAudience} (unless --audience says otherwise); attributes are mapped as {@code schema}
     * (the policies in force, read per token) declares them.
     */
    TokenVerifier verifier(String serverAudience, Supplier<TagSchema> schema) {
      return verifierFor(audience != null ? audience : serverAudience, schema);
    }

    /**
     * The verifier of the configured issuer for tokens meant for exactly {@code aud} (--audience
     * aside: a second listener of one server, such as the MCP endpoint, has an audience of its
     * own).
     */
    TokenVerifier verifierFor(String aud, Supplier<TagSchema> schema) {
      String iss = issuer();
      if (dev && iss != null) {
        throw new RbacException(
            "choose one: --dev (the development issuer) or an OIDC issuer (" + iss + ")");
      }
      if (dev) {
        return devIssuer().verifier(aud, schema);
      }
      if (iss == null || iss.isBlank()) {
        throw new RbacException(
            "no token issuer configured: pass --issuer URL (or set ANVIL_ISSUER); the development issuer is trusted only with --dev");
      }
      OidcTokenVerifier.Builder b =
          OidcTokenVerifier.builder(iss, aud).optClaimMapping(mapping()).optSchema(schema);
      if (jwksUri != null) {
        b.optJwksUri(jwksUri);
      }
      return b.build();
    }
  }

  /**
   * Reads {@code --token}: a literal token, or {@code -} for the one saved by {@code anvil login}.
   */
  static String token(String value) {
    if (!value.equals("-")) {
      return value.strip();
    }
    try {
      return Files.readString(savedTokenFile()).strip();
    } catch (IOException e) {
      throw new RbacException("no saved token at " + savedTokenFile() + ": run anvil login first");
    }
  }
}
