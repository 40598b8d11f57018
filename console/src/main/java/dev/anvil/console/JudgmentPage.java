package dev.anvil.console;

import dev.anvil.judge.AgreementReport;
import dev.anvil.judge.DeniedException;
import dev.anvil.judge.Item;
import dev.anvil.judge.Judging;
import dev.anvil.judge.NotFoundException;
import dev.anvil.judge.Task;
import dev.anvil.rbac.Principal;
import java.util.List;
import java.util.Optional;

/** The judgment queue of a task, as the signed-in user's, with its agreement where allowed. */
final class JudgmentPage {
  private JudgmentPage() {}

  static Html render(Page page) {
    Html h = new Html();
    h.el("h1", "Judgments");
    Optional<Judging> judging = page.backend().judging();
    if (judging.isEmpty()) {
      return h.raw("<p class=\"note\">").text("This engine keeps no judgments.").raw("</p>");
    }
    String taskId = page.param("task", 64);
    h.raw("<form method=\"get\" action=\"/judgments\">")
        .input("task", "task", taskId)
        .raw("<button type=\"submit\" id=\"show-task\">Show</button></form>");
    if (taskId.isEmpty()) {
      return h;
    }
    Principal who = page.session().identity().principal();
    Task task;
    List<Item> queue;
    try {
      task = judging.get().task(taskId);
      queue = judging.get().queue(who, taskId, Judging.MAX_QUEUE);
    } catch (NotFoundException e) {
      return h.raw("<p class=\"bad\">").text(e.getMessage()).raw("</p>");
    }
    page.audit("judge_queue", "", queue.stream().map(Item::documentId).distinct().toList(), "OK");
    h.raw("<table>")
        .row("task", task.id() + " — " + task.name())
        .row("creator", task.creator())
        .row("overlap", task.overlap())
        .row("items", task.items())
        .raw("</table>");
    try {
      AgreementReport a = judging.get().agreement(who, taskId);
      h.raw("<p id=\"agreement\">")
          .text(
              a.complete()
                  + " complete, "
                  + a.agreed()
                  + " agreed, "
                  + a.disputed()
                  + " disputed, "
                  + a.adjudicated()
                  + " adjudicated; Fleiss' kappa "
                  + (a.fleiss().isPresent()
                      ? String.format(java.util.Locale.ROOT, "%.3f", a.fleiss().getAsDouble())
                      : "undefined"))
          .raw("</p>");
    } catch (DeniedException e) {
      h.el("p", "Agreement: " + e.getMessage());
    }
    h.el("h2", "Your queue (most valuable first)")
        .raw("<table id=\"queue\">")
        .head("item", "query", "document", "chunk", "rank", "value");
    for (Item i : queue) {
      h.row(
          i.id(),
          i.query(),
          i.documentId(),
          i.chunk(),
          i.rank(),
          String.format(java.util.Locale.ROOT, "%.3f", i.value().score()));
    }
    return h.raw("</table>");
  }
}
