package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.Document;
import dev.anvil.context.IngestOutcome;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil ingest PATH...}: documents into the local index. */
@Command(
    name = "ingest",
    description =
        "Ingest files (one document each) or JSON lines into the local index, as a principal.",
    mixinStandardHelpOptions = true)
final class IngestCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;

  @Parameters(
      paramLabel = "PATH",
      arity = "1..*",
      description = "Files or directories; *.jsonl holds one JSON document per line.")
  List<Path> paths;

  @Option(
      names = "--tag",
      paramLabel = "TAG=VALUE[,VALUE]",
      description = "A tag for every document (set tags: comma-separated values).")
  Map<String, String> tags = new LinkedHashMap<>();

  @Option(
      names = "--batch",
      defaultValue = "32",
      description = "Documents embedded and committed together (default: ${DEFAULT-VALUE}).")
  int batch;

  @Override
  public Integer call() {
    Principal who = principal.resolve(pack.pack());
    Map<String, Object> extra = new LinkedHashMap<>();
    tags.forEach((k, v) -> extra.put(k, v.contains(",") ? List.of(v.split(",")) : v));
    List<Document> docs = DocumentFiles.read(paths, extra);
    int indexed = 0;
    List<IngestOutcome> problems = new ArrayList<>();
    try (OnnxEmbedder embedder = engineOptions.embedder();
        ContextEngine engine = engineOptions.open(pack, embedder);
        ProgressBar bar = Progress.bar("ingest", docs.size())) {
      for (int i = 0; i < docs.size(); i += batch) {
        for (IngestOutcome o :
            engine.ingest(who, docs.subList(i, Math.min(docs.size(), i + batch)))) {
          if (o instanceof IngestOutcome.Indexed) {
            indexed++;
          } else {
            problems.add(o);
          }
        }
        bar.stepTo(Math.min(docs.size(), i + batch));
      }
    }
    for (IngestOutcome o : problems) {
      pack.out().println(describe(o));
    }
    pack.out()
        .printf(
            "%d documents: %d indexed, %d not (see above)%n",
            docs.size(), indexed, problems.size());
    return problems.stream()
            .anyMatch(o -> o instanceof IngestOutcome.Rejected || o instanceof IngestOutcome.Denied)
        ? Main.FAILED
        : 0;
  }

  static String describe(IngestOutcome o) {
    return switch (o) {
      case IngestOutcome.Indexed i ->
          "indexed  " + i.id() + " v" + i.version() + " (" + i.chunks() + " chunks)";
      case IngestOutcome.Ignored i ->
          "ignored  "
              + i.id()
              + " v"
              + i.version()
              + ": version "
              + i.indexedVersion()
              + " is already indexed";
      case IngestOutcome.Rejected r -> "rejected " + r.id() + ": " + r.reason();
      case IngestOutcome.Denied d -> "denied   " + d.id() + ": by policy " + d.policy();
      case IngestOutcome.Deleted d -> "deleted  " + d.id();
    };
  }
}
