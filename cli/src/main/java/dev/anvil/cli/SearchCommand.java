package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ProtoMapping;
import dev.anvil.context.grpc.v1.Chunk;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil search "question"}: as a principal, on the local index or a running server. */
@Command(
    name = "search",
    description = "Search as a principal: the local index, or a server with --server.",
    mixinStandardHelpOptions = true)
final class SearchCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;

  @Parameters(paramLabel = "QUERY", description = "The question.")
  String query;

  @Option(
      names = {"-k", "--top-k"},
      defaultValue = "5",
      description = "Chunks to return (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--budget", defaultValue = "0", description = "Token budget (0: none).")
  int budget;

  @Option(
      names = "--mode",
      defaultValue = "HYBRID",
      description = "HYBRID, BM25 or DENSE (default: ${DEFAULT-VALUE}).")
  SearchRequest.Mode mode;

  @Mixin ClientTlsOptions tls;

  @Option(
      names = "--server",
      paramLabel = "HOST:PORT",
      description = "Ask a running anvil serve instead of the local index.")
  String server;

  @Override
  public Integer call() {
    List<Chunk> chunks;
    String version;
    String model;
    if (server != null) {
      HostPort hp = HostPort.parse("--server", server);
      String token = principal.bearer(pack.pack());
      try (ContextClient client =
          ContextClient.connect(
              hp.host(), hp.port(), tls.transport(hp), () -> token, Duration.ofSeconds(30))) {
        var res =
            client.search(
                dev.anvil.context.grpc.v1.SearchRequest.newBuilder()
                    .setQuery(query)
                    .setTopK(topK)
                    .setTokenBudget(budget)
                    .setModeValue(mode.ordinal())
                    .build());
        chunks = res.getChunksList();
        version = res.getPolicyVersion();
        model = res.getModelId();
      }
    } else {
      try (OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine engine = engineOptions.open(pack, embedder)) {
        SearchResponse res =
            engine.search(
                principal.resolve(pack.pack()),
                new SearchRequest(query, topK, budget, Map.of(), mode));
        chunks = res.hits().stream().map(ProtoMapping::chunk).toList();
        version = res.policyVersion();
        model = res.modelId();
      }
    }
    Output.chunks(pack.out(), chunks);
    pack.out().printf("(policy set %s, model %s)%n", version, model);
    return 0;
  }
}
