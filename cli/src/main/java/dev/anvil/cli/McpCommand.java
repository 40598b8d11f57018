package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.Admission;
import dev.anvil.context.mcp.McpStdio;
import dev.anvil.context.mcp.McpTools;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.Identity;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.store.Store;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code anvil mcp}: the context engine's MCP tools over stdio, for an MCP client on the same
 * machine (Claude Desktop, an IDE) that starts the process. The local index, as one user: a
 * development principal with {@code --dev --as NAME}, or the user of {@code --token}.
 */
@Command(
    name = "mcp",
    description = {
      "Serve the context engine's MCP tools (search, get_document, list_tags) over stdio, on the"
          + " local index, as one user: --dev --as NAME, or --token JWT (audience anvil-mcp).",
      "For an MCP client that starts it, e.g. Claude Desktop (docs/mcp.md). Standard output"
          + " carries the protocol; Anvil's messages go to standard error."
    },
    mixinStandardHelpOptions = true)
final class McpCommand implements Callable<Integer> {
  /** The agent ({@code azp}) the audit names for calls over stdio. */
  static final String AGENT = "anvil-mcp-stdio";

  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;
  @Mixin LimitOptions limits;
  @Mixin StoreOptions storeOptions;

  @Override
  public Integer call() throws Exception {
    PolicyPack p = pack.pack();
    Identity who = identity(p);
    Limits serverLimits = limits.limits();
    try (OnnxEmbedder embedder = engineOptions.embedder();
        ContextEngine engine = engineOptions.open(pack, embedder);
        AuditLog audit = engineOptions.openAudit();
        // Feedback (submit_feedback) is stored with the judgments, as anvil serve stores it.
        Store store = storeOptions.open()) {
      McpTools tools =
          new McpTools(
              engine,
              audit,
              new Admission(serverLimits),
              serverLimits,
              Clock.systemUTC(),
              GlobalOpenTelemetry.get(),
              java.util.Optional.of(
                  dev.anvil.judge.Judging.open(
                      store,
                      new dev.anvil.context.judging.EngineCorpus(engine),
                      Clock.systemUTC(),
                      false)));
      pack.err()
          .printf(
              "anvil: MCP over stdio as %s (%d chunks, policy %s, model %s), audit in %s%n",
              who.username(),
              engine.chunkCount(),
              engine.policies().current().version(),
              engine.modelId(),
              audit.file());
      pack.err().flush();
      McpStdio.serve(tools, who, System.in, System.out);
    }
    return 0;
  }

  /**
   * The user the tools run as, verified as a token is: {@code --token} against the issuer for the
   * MCP audience, or (only with {@code --dev}) a development token minted for the named principal.
   */
  private Identity identity(PolicyPack p) {
    Supplier<TagSchema> schema = () -> TagSchema.load(p.schemaFile());
    if (principal.token != null) {
      return principal
          .issuer
          .verifier(DevTokenIssuer.MCP_AUDIENCE, schema)
          .verify(Identities.token(principal.token));
    }
    if (!principal.issuer.dev) {
      throw new RbacException(
          "anvil mcp runs as a development principal only with --dev (anvil mcp --dev --as NAME);"
              + " otherwise give --token with the user's token for "
              + DevTokenIssuer.MCP_AUDIENCE);
    }
    DevTokenIssuer dev = Identities.devIssuer();
    // A year: the process holds the identity, and an MCP client keeps it running for long.
    String token =
        dev.mint(principal.resolve(p), AGENT, Duration.ofDays(365), DevTokenIssuer.MCP_AUDIENCE);
    return dev.verifier(DevTokenIssuer.MCP_AUDIENCE, schema).verify(token);
  }
}
