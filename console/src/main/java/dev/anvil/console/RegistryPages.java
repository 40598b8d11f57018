package dev.anvil.console;

import dev.anvil.console.spi.JobSource;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Models (their cards and lineage, from the registry directory the engine switches from) and the
 * trainer's jobs (as the signed-in user, through a token exchange).
 */
final class RegistryPages {
  private RegistryPages() {}

  /** Most models listed. */
  static final int MAX_MODELS = 500;

  static Html models(Page page) {
    Html h = new Html();
    h.el("h1", "Models");
    Optional<Path> dir = page.options().models();
    if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
      return h.raw("<p class=\"note\" id=\"no-models\">")
          .text("No model registry is configured (anvil serve --models DIR).")
          .raw("</p>");
    }
    PolicySet set = page.backend().engine().policies().current();
    Principal who = page.session().identity().principal();
    String serving = page.backend().engine().registryId().orElse("");
    h.raw("<p>Serving: <code>")
        .text(page.backend().engine().modelId())
        .raw("</code>. Models you may read (<code>read_model</code> on their lineage):</p>")
        .raw("<table id=\"models\">")
        .head("model", "job", "task", "owner", "created", "lineage", "serving");
    for (ModelCard card : cards(dir.get())) {
      if (readable(set, who, card)) {
        h.row(
            card.model(),
            card.job(),
            card.task(),
            card.owner(),
            card.created(),
            card.lineage(),
            card.model().equals(serving) ? "serving" : "");
      }
    }
    return h.raw("</table>");
  }

  /** A model is listed only where its lineage permits {@code read_model}: default deny. */
  private static boolean readable(PolicySet set, Principal who, ModelCard card) {
    try {
      return set.decide(who, Action.READ_MODEL, set.schema().validate(card.lineage())).permitted();
    } catch (InvalidTagsException e) {
      return false;
    }
  }

  private static List<ModelCard> cards(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory)
          .sorted()
          .limit(MAX_MODELS)
          .flatMap(
              d -> {
                try {
                  return ModelCard.read(d).stream();
                } catch (ModelCardException e) {
                  return Stream.empty(); // a card that does not read has no lineage to decide on
                }
              })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the models in " + dir, e);
    }
  }

  static Html jobs(Page page) {
    Html h = new Html();
    h.el("h1", "Jobs");
    JobSource jobs = page.backend().jobs();
    if (jobs.trainer().isEmpty()) {
      return h.raw("<p class=\"note\" id=\"no-trainer\">")
          .text(
              "No trainer is configured: start the engine with --trainer HOST:PORT to list the"
                  + " training jobs here.")
          .raw("</p>");
    }
    h.raw("<p>From the trainer at <code>").text(jobs.trainer().get()).raw("</code>, as ");
    h.text(page.session().identity().username()).raw(" (a token exchanged for the trainer).</p>");
    List<JobSource.Job> list;
    try {
      list =
          jobs.jobs(
              audience ->
                  page.options()
                      .signIn()
                      .exchange()
                      .exchange(page.session().accessToken(), audience));
    } catch (RuntimeException e) {
      return h.raw("<p class=\"bad\" id=\"jobs-error\">")
          .text("The trainer could not list jobs: " + e.getMessage())
          .raw("</p>");
    }
    h.raw("<table id=\"jobs\">").head("job", "name", "owner", "task", "state", "model", "detail");
    for (JobSource.Job j : list) {
      h.row(j.id(), j.name(), j.owner(), j.task(), j.state(), j.model(), j.detail());
    }
    return h.raw("</table>");
  }
}
