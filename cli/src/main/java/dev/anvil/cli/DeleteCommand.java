package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.rbac.Principal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil delete}: documents by id, or all that match tags, as far as the caller may delete.
 */
@Command(
    name = "delete",
    description =
        "Delete documents from the local index by id, or by tags (--tag), as a principal.",
    mixinStandardHelpOptions = true)
final class DeleteCommand implements Callable<Integer> {
  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;

  @Parameters(paramLabel = "ID", arity = "0..*", description = "Document ids.")
  List<String> ids = List.of();

  @Option(
      names = "--tag",
      paramLabel = "TAG=VALUE[,VALUE]",
      description = "Delete every document with these tags that you may delete.")
  Map<String, String> tags = new LinkedHashMap<>();

  @Override
  public Integer call() {
    if (ids.isEmpty() == tags.isEmpty()) {
      throw new dev.anvil.rbac.input.RbacException(
          "give document ids or --tag filters, not both and not neither");
    }
    Principal who = principal.resolve(pack.pack());
    int failures = 0;
    try (AuditLog log = engineOptions.openAudit();
        OnnxEmbedder embedder = engineOptions.embedder();
        ContextEngine engine = engineOptions.open(pack, embedder)) {
      WriteAudit audit = EngineOptions.recorder(log, who, engine);
      if (!tags.isEmpty()) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        tags.forEach((k, v) -> query.put(k, List.of(v.split(","))));
        pack.out().printf("deleted %d documents%n", engine.deleteWhere(who, query, audit));
      }
      for (String id : ids) {
        switch (engine.delete(who, id, audit)) {
          case dev.anvil.context.api.DeleteOutcome.Deleted d ->
              pack.out().printf("deleted   %s%n", id);
          case dev.anvil.context.api.DeleteOutcome.NotFound n -> {
            failures++;
            pack.out().printf("not found %s (or not yours to see)%n", id);
          }
          case dev.anvil.context.api.DeleteOutcome.Denied d -> {
            failures++;
            pack.out().printf("denied    %s by %s%n", id, d.policy());
          }
        }
      }
    }
    return failures == 0 ? 0 : Main.FAILED;
  }
}
