package dev.anvil.cli;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.Principal;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code anvil token ...}: tokens of the development issuer. */
@Command(
    name = "token",
    description = "Development tokens.",
    mixinStandardHelpOptions = true,
    subcommands = {TokenCommand.Mint.class})
final class TokenCommand {

  @Command(
      name = "mint",
      description = {
        "Print an access token signed by the development issuer (key in the data directory).",
        "Only a server in development mode (--dev) trusts it."
      })
  static final class Mint implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Mixin PolicyCommand.PrincipalOptions principal;

    @Option(
        names = "--ttl",
        defaultValue = "PT1H",
        description = "Validity, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(
        names = "--agent",
        defaultValue = "anvil-cli",
        description = "Client acting for the user (azp).")
    String agent;

    @Override
    public Integer call() {
      PolicyPack p = pack.pack();
      Principal who = principal.resolve(p);
      DevTokenIssuer issuer = Identities.devIssuer();
      // --audience names the service the token is for (anvil-mcp for the MCP endpoint).
      String audience =
          principal.issuer.audience != null
              ? principal.issuer.audience
              : DevTokenIssuer.ENGINE_AUDIENCE;
      pack.out().println(issuer.mint(who, agent, ttl, audience));
      return 0;
    }
  }
}
