package dev.anvil.cli;

import dev.anvil.identity.Identity;
import dev.anvil.identity.OidcClient;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagSchema;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil login}: obtains a token from the configured issuer and keeps it for the CLI. */
@Command(
    name = "login",
    description = {
      "Log in to the configured OIDC issuer and save the access token (use it with --token -).",
      "Without --user: the device flow (open the printed URL, enter the code)."
    },
    mixinStandardHelpOptions = true)
final class LoginCommand implements Callable<Integer> {
  @Mixin Identities.IssuerOptions issuer;

  @Mixin PolicyCommand.PackOption pack;

  @Option(
      names = "--client",
      defaultValue = "anvil-cli",
      description = "Public client id (default: ${DEFAULT-VALUE}).")
  String client;

  @Option(
      names = "--user",
      paramLabel = "NAME",
      description = "Password grant for this user; the password is read from stdin.")
  String user;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    String iss = issuer.issuer();
    if (iss == null || iss.isBlank()) {
      throw new RbacException("anvil login needs --issuer URL (or ANVIL_ISSUER)");
    }
    PrintWriter out = spec.commandLine().getOut();
    OidcClient oidc = new OidcClient(iss, Duration.ofSeconds(15));
    OidcClient.TokenResponse token;
    if (user != null) {
      String password =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (password == null) {
        throw new RbacException(
            "no password on stdin (pipe it: echo \"$PASSWORD\" | anvil login --user NAME ...)");
      }
      token = oidc.password(client, Optional.empty(), user, password);
    } else {
      OidcClient.DeviceAuthorization auth = oidc.startDeviceFlow(client);
      out.printf("Open %s and enter the code %s%n", auth.verificationUri(), auth.userCode());
      out.flush();
      token = oidc.awaitDeviceToken(client, auth);
    }
    Identity who =
        issuer.verifier(() -> TagSchema.load(pack.pack().schemaFile())).verify(token.accessToken());
    Identities.saveToken(token.accessToken());
    out.printf(
        "logged in as %s (%s), token valid until %s, saved to %s%n",
        who.username(),
        PolicyCommand.describe(who.principal()),
        who.expiresAt(),
        Identities.savedTokenFile());
    return 0;
  }
}
